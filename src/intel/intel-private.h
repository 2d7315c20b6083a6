/*
 * Internals shared by the intel module's files. Not a public interface.
 *
 * The store logic (ingest, import, reports, index build) is written once
 * against a tiny SQL driver vtable; the SQLite and PostgreSQL drivers only
 * prepare, bind, step and convert. Every statement is a `struct gv_sql_stmt`
 * with a fixed id, so drivers prepare it once per connection and reuse it
 * (prepared statements only, parameters always bound, never interpolated).
 * Placeholders are $1..$n in both dialects (SQLite accepts $NNN names).
 */
#ifndef GV_INTEL_PRIVATE_H
#define GV_INTEL_PRIVATE_H

#include "intel/intel.h"
#include "util/util.h"

#include <string.h>

/* ---- SQL driver layer ---- */

enum gv_sql_type { GV_SQL_NULL, GV_SQL_INT, GV_SQL_REAL, GV_SQL_TEXT };

struct gv_sql_val {
	enum gv_sql_type type;
	int64_t i;
	double d;
	const char *s;
};

#define GV_SQL_I(v) ((struct gv_sql_val){ .type = GV_SQL_INT, .i = (v) })
#define GV_SQL_D(v) ((struct gv_sql_val){ .type = GV_SQL_REAL, .d = (v) })
#define GV_SQL_S(v) \
	((struct gv_sql_val){ .type = (v) ? GV_SQL_TEXT : GV_SQL_NULL, .s = (v) })

/* One statement. pg == NULL: the same text serves both dialects. */
struct gv_sql_stmt {
	unsigned id; /* unique, < GV_SQL_MAX_STMTS */
	const char *sql;
	const char *pg;
};
#define GV_SQL_MAX_STMTS 160

/* A result row: columns as values. Text is valid during the callback only. */
struct gv_sql_row {
	size_t n;
	const struct gv_sql_val *col;
};
/* Return 0 to continue, 1 to stop early, -1 to fail the query. */
typedef int gv_sql_row_cb(void *ctx, const struct gv_sql_row *row);

struct gv_sql_conn;

struct gv_sql_driver {
	const char *name;
	int (*open)(const char *conninfo, unsigned busy_timeout_ms,
		    struct gv_sql_conn **conn_r, const char **error_r);
	void (*close)(struct gv_sql_conn *conn);
	/* Runs parameterless SQL (schema, BEGIN/COMMIT). */
	int (*exec)(struct gv_sql_conn *conn, const char *sql,
		    const char **error_r);
	/* Runs a prepared statement; cb may be NULL. 1 ok, -1 error. */
	int (*run)(struct gv_sql_conn *conn, const struct gv_sql_stmt *stmt,
		   const struct gv_sql_val *params, size_t n,
		   gv_sql_row_cb *cb, void *ctx, const char **error_r);
	/* run() for a statement whose columns are all integers: a driver
	 * may leave .s NULL (SQLite then does not format each as text, which
	 * dominates reading many rows). NULL: run() serves. */
	int (*run_ints)(struct gv_sql_conn *conn,
			const struct gv_sql_stmt *stmt,
			const struct gv_sql_val *params, size_t n,
			gv_sql_row_cb *cb, void *ctx, const char **error_r);
	/* Schema statements, run in order at open. */
	const char *const *schema;
};

extern const struct gv_sql_driver gv_sql_driver_sqlite;
extern const struct gv_sql_driver gv_sql_driver_pg;

struct intel_cache;

struct gv_intel_store {
	const struct gv_sql_driver *drv;
	struct gv_sql_conn *conn;
	struct intel_cache *cache; /* (kind,value) -> entity id */
	/* keys each ingest aggregate had in the last batch: the next
	 * batch's maps start that large instead of re-growing */
	size_t agg_hint[8];
	bool in_tx;
	char error[512];
};

/* Helpers over store->drv, with error text kept in store->error. */
int intel_sql_run(struct gv_intel_store *st, const struct gv_sql_stmt *stmt,
		  const struct gv_sql_val *params, size_t n, gv_sql_row_cb *cb,
		  void *ctx, const char **error_r);
/* intel_sql_run() for integer-only results (driver run_ints). */
int intel_sql_run_ints(struct gv_intel_store *st,
		       const struct gv_sql_stmt *stmt,
		       const struct gv_sql_val *params, size_t n,
		       gv_sql_row_cb *cb, void *ctx, const char **error_r);
/* Runs a statement returning one integer (first column of the first row);
 * 1 got it, 0 no row, -1 error. */
int intel_sql_int(struct gv_intel_store *st, const struct gv_sql_stmt *stmt,
		  const struct gv_sql_val *params, size_t n, int64_t *out_r,
		  const char **error_r);
int intel_begin(struct gv_intel_store *st, const char **error_r);
int intel_commit(struct gv_intel_store *st, const char **error_r);
void intel_rollback(struct gv_intel_store *st);

/* The index that finds an event by uid holds a 64-bit hash of it, not the
 * 64-character uid: the scan's uids are hashes, so every batch inserts at
 * random places and dirtied nearly every page of a text index (a quarter
 * of the ingest time at a million events, bench/intel.sh). Stored: the
 * function and its seed are part of the store format. */
static inline int64_t intel_uid_key(const char *uid)
{
	return (int64_t)(gv_hash64(uid, strlen(uid), 0x756964) >> 1);
}

/* Entity upsert with the per-store cache: returns the id (creating the row
 * with count 0 when new). Counts are updated by intel_entity_seen. */
int intel_entity_id(struct gv_intel_store *st, enum gv_intel_kind kind,
		    const char *value, int64_t ts, int64_t *id_r,
		    const char **error_r);
/* Sets the display name of an entity (STIX name). */
int intel_entity_name(struct gv_intel_store *st, int64_t id, const char *name,
		      const char **error_r);
/* Adds count sightings in [first,last] to an entity / a relation. */
int intel_entity_seen(struct gv_intel_store *st, int64_t id, int64_t count,
		      int64_t first, int64_t last, const char **error_r);
int intel_relation_seen(struct gv_intel_store *st, int64_t src,
			enum gv_intel_rel type, int64_t dst, int64_t count,
			int64_t first, int64_t last, const char **error_r);
/* Forgets cached ids (after a rollback they may not exist). */
void intel_cache_clear(struct gv_intel_store *st);

/* The edge lists the ingest writes as text: a message's edges in
 * event.edges and an entity's messages in posting.events, both
 * "role.id role.id ..." (ingest.c). Parses text into *arr (grown as
 * needed, caller frees), appending after *n; malformed items are skipped. */
struct intel_edge {
	int64_t role, id;
};
/* A posting row keeps an entity's newest INTEL_POSTING_KEEP message edges:
 * all the graph walk reads (its fan-out per node is no larger). */
#define INTEL_POSTING_KEEP 25
void intel_edges_parse(const char *text, struct intel_edge **arr, size_t *n,
		       size_t *cap);

/* cluster.c: the campaign cluster of an unattributed message (0: it has
 * no clustering feature); creates and merges clusters as needed. */
int intel_cluster_assign(struct gv_intel_store *st, struct gv_pool *pool,
			 const struct gv_intel_event *ev, int64_t ts,
			 int64_t *campaign_r, const char **error_r);
/* Every cluster's current root, for the reports. */
struct intel_roots;
int intel_roots_load(struct gv_intel_store *st, struct intel_roots **roots_r,
		     const char **error_r);
int64_t intel_roots_find(const struct intel_roots *roots, int64_t campaign);
void intel_roots_free(struct intel_roots **roots);

/* Normalises a value of kind in place (lower case where case-insensitive,
 * trailing dot, brackets around IPv6). Returns false when it is not a valid
 * value of that kind (then it must not become an indicator). */
bool intel_normalize(enum gv_intel_kind kind, char *value);
/* The domain part of an e-mail address, or NULL. */
const char *intel_email_domain(const char *addr);

/* Adds one indicator (exact value or URL regex when is_regex) from a feed,
 * de-duplicated by (kind, is_regex, value); links it to the feed and to the
 * optional indicates-targets. *is_new_r tells whether it was new. */
int intel_indicator_add(struct gv_intel_store *st, enum gv_intel_kind kind,
			bool is_regex, const char *value, const char *name,
			int64_t feed_id, int64_t ts, bool *is_new_r,
			int64_t *indicator_entity_r, const char **error_r);

/* ---- importers (import.c dispatches to them) ---- */

struct intel_import {
	struct gv_intel_store *st;
	const struct gv_intel_warninglist *wl;
	const struct gv_intel_import_limits *limits;
	struct gv_intel_import_stats *stats;
	FILE *report;
	const char *file; /* for messages */
	int64_t feed_id;
	int64_t now;
	struct gv_pool *pool; /* per file */
};

bool intel_warninglist_hit(const struct gv_intel_warninglist *wl,
			   enum gv_intel_kind kind, const char *value);
/* Adds an exact indicator after normalisation and the warninglist check;
 * counts into stats. Returns the indicator entity id or 0 when suppressed
 * or invalid, -1 on store error. */
int64_t intel_import_value(struct intel_import *im, enum gv_intel_kind kind,
			   const char *value, const char *name,
			   const char **error_r);
void intel_import_note(struct intel_import *im, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct json_t;
int intel_import_stix(struct intel_import *im, struct json_t *root,
		      const char **error_r);
int intel_import_misp(struct intel_import *im, struct json_t *root,
		      const char **error_r);
/* 1 it was MISP/STIX-shaped, 0 not recognised. */
bool intel_is_stix(struct json_t *root);
bool intel_is_misp(struct json_t *root);
int intel_import_lines(struct intel_import *im, const unsigned char *data,
		       size_t len, bool csv, const char **error_r);

/* Hex helpers for signing and ids. */
void intel_hex(const unsigned char *in, size_t len, char *out);
/* Deterministic STIX id "<type>--<uuid>" from a seed string. */
void intel_stix_id(const char *type, const char *seed, char out[80]);

#endif
