/* Hash maps internal to the intel module (map.c). */
#ifndef GV_INTEL_MAP_H
#define GV_INTEL_MAP_H

#include "util/util.h"

struct intel_cache;
struct intel_cache *intel_cache_new(size_t max_entries);
void intel_cache_free(struct intel_cache **cache);
void intel_cache_reset(struct intel_cache *cache);
/* Entity id or 0 when not cached. */
int64_t intel_cache_get(struct intel_cache *cache, int kind,
			const char *value);
/* Adds or updates. */
void intel_cache_put(struct intel_cache *cache, int kind, const char *value,
		     int64_t id);

/* 64 bytes: one cache line per probe. count 0: empty. */
struct intel_agg_slot {
	int64_t k[3];
	int64_t count, malicious, first, last;
	double max_score;
};
static inline bool intel_agg_used(const struct intel_agg_slot *s)
{
	return s->count != 0;
}

/* Aggregates sightings keyed by three integers within one batch. */
struct intel_agg {
	struct intel_agg_slot *slots;
	size_t cap, used;
};
void intel_agg_init(struct intel_agg *agg);
/* Sized for about `expected` keys (no re-hashing on the way there). */
void intel_agg_init_for(struct intel_agg *agg, size_t expected);
void intel_agg_free(struct intel_agg *agg);
void intel_agg_add(struct intel_agg *agg, int64_t k0, int64_t k1, int64_t k2,
		   int64_t ts, bool malicious, double score);

/* Sorts n records of size bytes, each starting with three int64 keys,
 * by (k0, k1, k2) ascending; stable. */
void intel_sort3(void *base, size_t n, size_t size);

/* rollup.c: writes one batch aggregate map with multi-row statements. */
enum intel_rollup {
	INTEL_ROLLUP_ENTITY, /* (entity) -> count, first, last */
	INTEL_ROLLUP_RELATION, /* (src, type, dst), into relation_run */
	INTEL_ROLLUP_TARGET, /* (day, user) */
	INTEL_ROLLUP_TARGET_ALL, /* (user) */
	INTEL_ROLLUP_TARGET_CAMPAIGN, /* (day, user, campaign) */
	INTEL_ROLLUP_STAT, /* (day, kind, entity) */
	INTEL_ROLLUP_CAMPAIGN, /* (campaign, day) */
	INTEL_ROLLUP_MAX
};
struct gv_intel_store;
/* run: the batch's relation run id (INTEL_ROLLUP_RELATION only). */
int intel_rollup_flush(struct gv_intel_store *st, enum intel_rollup which,
		       const struct intel_agg *agg, int64_t run,
		       const char **error_r);
/* Registers the relation run a batch wrote and, when enough have piled
 * up, merges them all into `relation`. Inside the batch's transaction. */
int intel_relation_run_done(struct gv_intel_store *st, int64_t run,
			    const char **error_r);
/* Merges whatever runs are registered, in a transaction of its own (no-op
 * inside one): the graph walk calls it first, so the runs need no index
 * by destination. -1 when the store is busy or failing (the walk then
 * reads the runs as they are, by scanning them). */
int intel_relation_runs_settle(struct gv_intel_store *st,
			       const char **error_r);

#endif
