/*
 * The indicator index: a read-only snapshot of every indicator in the store,
 * compiled for the scan path. Exact values sit in one open-addressing hash
 * table keyed by (kind, value); IP networks (CIDR indicators) in the same
 * table keyed by their masked prefix, probed per prefix length present;
 * URL and sender regular expressions (STIX LIKE / MATCHES) in one Hyperscan
 * database per kind. Each hit carries the names the analyst needs: the feed
 * that reported it and the campaign / actor / malware it indicates
 * (following attributed-to and uses one step further).
 * Snapshots are reference-counted; the holder swaps them atomically so a
 * feed update never blocks or disturbs a scan in flight.
 * Statement ids 50..59.
 */
#include "intel/intel-map.h"
#include "intel/intel-private.h"

#include <arpa/inet.h>
#include <hs.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

struct hit_rec {
	struct gv_intel_hit hit;
	int64_t entity;
	int64_t campaign_ent, malware_ent; /* to find their actor */
	bool regex;
};

struct rx_db {
	hs_database_t *db;
	unsigned *ids; /* hs id -> hit index */
	size_t n;
};

struct gv_intel_index {
	atomic_int refs;
	struct gv_pool *pool;
	struct hit_rec *hits;
	size_t n_hits, cap_hits;
	struct intel_cache *exact; /* (kind, value) -> hit index + 1 */
	bool prefix_len[2][129]; /* [v6][len]: some CIDR of that length */
	struct rx_db rx_url, rx_sender;
	struct intel_cache *names; /* entity id -> attribution (see below) */
};

static const struct gv_sql_stmt q_indicators = {
	50,
	"SELECT i.id, i.kind, i.regex, i.value, e.name, i.entity"
	" FROM indicator i JOIN entity e ON e.id = i.entity",
	NULL
};
/* Direct attributions of indicators: what they indicate, who reported.
 * These read `relation` alone: ingest's relation runs (relation_run) hold
 * only what messages add — targets, hosted-on, sent-from, is-type and a
 * campaign's uses — never indicates, reported-by, attributed-to or an
 * actor's uses, which imports write to `relation` directly. */
static const struct gv_sql_stmt q_attrib = {
	51,
	"SELECT r.src, t.kind, coalesce(t.name, t.value), t.id FROM relation r"
	" JOIN entity t ON t.id = r.dst WHERE r.type IN ($1, $2)"
	" AND t.kind IN ($3, $4, $5, $6)",
	NULL
};
/* One step further: campaign/malware -> actor (attributed-to, or an actor
 * that uses the malware). */
static const struct gv_sql_stmt q_actor_of = {
	52,
	"SELECT r.src, coalesce(t.name, t.value) FROM relation r"
	" JOIN entity t ON t.id = r.dst WHERE r.type = $1 AND t.kind = $2"
	" UNION ALL SELECT r.dst, coalesce(t.name, t.value) FROM relation r"
	" JOIN entity t ON t.id = r.src WHERE r.type = $3 AND t.kind = $2",
	NULL
};

static char *ip_key(const char *value, bool *v6_r, unsigned *len_r)
{
	/* Returns "<masked address>/<len>" or NULL when not a network. */
	char addr[64];
	const char *slash = strchr(value, '/');
	if (slash == NULL || (size_t)(slash - value) >= sizeof(addr))
		return NULL;
	memcpy(addr, value, (size_t)(slash - value));
	addr[slash - value] = '\0';
	uint64_t len;
	if (gv_parse_u64(slash + 1, 128, &len) < 0)
		return NULL;
	unsigned char b[16] = { 0 };
	bool v6 = strchr(addr, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, b) != 1 ||
	    len > (v6 ? 128u : 32u))
		return NULL;
	size_t nbytes = v6 ? 16 : 4;
	for (size_t i = 0; i < nbytes; i++) {
		int keep = (int)len - (int)(i * 8);
		if (keep <= 0)
			b[i] = 0;
		else if (keep < 8)
			b[i] &= (unsigned char)(0xff << (8 - keep));
	}
	char out[64];
	inet_ntop(v6 ? AF_INET6 : AF_INET, b, out, sizeof(out));
	char *key = gv_malloc(80);
	snprintf(key, 80, "%s/%u", out, (unsigned)len);
	*v6_r = v6;
	*len_r = (unsigned)len;
	return key;
}

struct build {
	struct gv_intel_index *ix;
	struct intel_cache *by_entity; /* indicator entity -> hit index + 1 */
	struct intel_cache *actor_of; /* campaign/malware entity -> name + 1 */
	char **actor_names;
	size_t n_actor_names, cap_actor_names;
};

static int ind_cb(void *ctx, const struct gv_sql_row *row)
{
	struct build *b = ctx;
	struct gv_intel_index *ix = b->ix;
	if (ix->n_hits == ix->cap_hits) {
		ix->cap_hits = ix->cap_hits ? ix->cap_hits * 2 : 256;
		ix->hits = gv_realloc(ix->hits,
				      gv_mul_size(ix->cap_hits,
						  sizeof(*ix->hits)));
	}
	struct hit_rec *h = &ix->hits[ix->n_hits];
	memset(h, 0, sizeof(*h));
	h->hit.indicator_id = row->col[0].i;
	h->hit.kind = (enum gv_intel_kind)row->col[1].i;
	h->hit.value = gv_pstrdup(ix->pool, row->col[3].s ? row->col[3].s : "");
	h->hit.name = row->col[4].s ? gv_pstrdup(ix->pool, row->col[4].s) :
				      NULL;
	h->hit.feed = "";
	h->entity = row->col[5].i;
	h->regex = row->col[2].i != 0;
	char ekey[32];
	snprintf(ekey, sizeof(ekey), "%lld", (long long)h->entity);
	intel_cache_put(b->by_entity, 0, ekey, (int64_t)ix->n_hits + 1);
	if (!h->regex) {
		bool v6;
		unsigned len;
		char *net = h->hit.kind == GV_ENT_IP ?
				    ip_key(h->hit.value, &v6, &len) :
				    NULL;
		if (net != NULL) {
			ix->prefix_len[v6][len] = true;
			intel_cache_put(ix->exact, GV_ENT_IP, net,
					(int64_t)ix->n_hits + 1);
			gv_free(net);
		} else {
			intel_cache_put(ix->exact, (int)h->hit.kind,
					h->hit.value, (int64_t)ix->n_hits + 1);
		}
	}
	ix->n_hits++;
	return 0;
}

static struct hit_rec *rec_of(struct build *b, int64_t entity)
{
	char ekey[32];
	snprintf(ekey, sizeof(ekey), "%lld", (long long)entity);
	int64_t i = intel_cache_get(b->by_entity, 0, ekey);
	return i > 0 ? &b->ix->hits[i - 1] : NULL;
}

static int attrib_cb(void *ctx, const struct gv_sql_row *row)
{
	struct build *b = ctx;
	struct hit_rec *h = rec_of(b, row->col[0].i);
	if (h == NULL || row->col[2].s == NULL)
		return 0;
	const char **slot = NULL;
	switch (row->col[1].i) {
	case GV_ENT_FEED:
		slot = &h->hit.feed;
		if (**slot != '\0')
			slot = NULL;
		break;
	case GV_ENT_CAMPAIGN:
		slot = &h->hit.campaign;
		break;
	case GV_ENT_ACTOR:
		slot = &h->hit.actor;
		break;
	case GV_ENT_MALWARE:
		slot = &h->hit.malware;
		break;
	}
	if (slot != NULL && (*slot == NULL || **slot == '\0'))
		*slot = gv_pstrdup(b->ix->pool, row->col[2].s);
	if (row->col[1].i == GV_ENT_CAMPAIGN && h->campaign_ent == 0)
		h->campaign_ent = row->col[3].i;
	if (row->col[1].i == GV_ENT_MALWARE && h->malware_ent == 0)
		h->malware_ent = row->col[3].i;
	return 0;
}

static int actor_cb(void *ctx, const struct gv_sql_row *row)
{
	struct build *b = ctx;
	if (row->col[1].s == NULL)
		return 0;
	char key[32];
	snprintf(key, sizeof(key), "%lld", (long long)row->col[0].i);
	if (intel_cache_get(b->actor_of, 0, key) != 0)
		return 0;
	if (b->n_actor_names == b->cap_actor_names) {
		b->cap_actor_names = b->cap_actor_names ? b->cap_actor_names * 2 :
							  64;
		b->actor_names = gv_realloc(b->actor_names,
					    gv_mul_size(b->cap_actor_names,
							sizeof(char *)));
	}
	b->actor_names[b->n_actor_names++] =
		gv_pstrdup(b->ix->pool, row->col[1].s);
	intel_cache_put(b->actor_of, 0, key, (int64_t)b->n_actor_names);
	return 0;
}

/* Hits without a direct actor get the actor of their campaign/malware. */
static void fill_actors(struct build *b)
{
	for (size_t i = 0; i < b->ix->n_hits; i++) {
		struct hit_rec *h = &b->ix->hits[i];
		int64_t via[2] = { h->campaign_ent, h->malware_ent };
		for (size_t j = 0; j < 2 && h->hit.actor == NULL; j++) {
			char key[32];
			snprintf(key, sizeof(key), "%lld", (long long)via[j]);
			int64_t n = via[j] ? intel_cache_get(b->actor_of, 0,
							     key) :
					     0;
			if (n > 0)
				h->hit.actor = b->actor_names[n - 1];
		}
	}
}

static void rx_compile(struct gv_intel_index *ix, struct rx_db *rx,
		       enum gv_intel_kind kind)
{
	const char **exprs = gv_calloc(ix->n_hits + 1, sizeof(*exprs));
	unsigned *flags = gv_calloc(ix->n_hits + 1, sizeof(*flags));
	rx->ids = gv_calloc(ix->n_hits + 1, sizeof(*rx->ids));
	size_t n = 0, rejected = 0;
	for (size_t i = 0; i < ix->n_hits; i++) {
		struct gv_intel_hit *h = &ix->hits[i].hit;
		if (h->kind != kind || !ix->hits[i].regex)
			continue;
		/* Validate each pattern alone: one construct Hyperscan does
		 * not support must not sink the whole set. */
		hs_database_t *one;
		hs_compile_error_t *ce;
		unsigned f = HS_FLAG_SINGLEMATCH | HS_FLAG_DOTALL |
			     (kind == GV_ENT_SENDER ? HS_FLAG_CASELESS : 0);
		if (hs_compile(h->value, f, HS_MODE_BLOCK, NULL, &one, &ce) !=
		    HS_SUCCESS) {
			hs_free_compile_error(ce);
			rejected++;
			continue;
		}
		hs_free_database(one);
		exprs[n] = h->value;
		flags[n] = f;
		rx->ids[n] = (unsigned)i;
		n++;
	}
	if (rejected)
		gv_log(GV_LOG_WARN, "intel index: %zu %s pattern(s) rejected "
				    "by Hyperscan",
		       rejected, gv_intel_kind_name(kind));
	rx->n = n;
	if (n > 0) {
		unsigned *ids = gv_calloc(n, sizeof(*ids));
		for (size_t i = 0; i < n; i++)
			ids[i] = (unsigned)i;
		hs_compile_error_t *ce;
		if (hs_compile_multi(exprs, flags, ids, (unsigned)n,
				     HS_MODE_BLOCK, NULL, &rx->db,
				     &ce) != HS_SUCCESS) {
			gv_log(GV_LOG_ERROR, "intel index: hyperscan: %s",
			       ce->message);
			hs_free_compile_error(ce);
			rx->db = NULL;
		}
		gv_free(ids);
	}
	gv_free(exprs);
	gv_free(flags);
}

int gv_intel_index_build(struct gv_intel_store *st,
			 struct gv_intel_index **index_r, const char **error_r)
{
	struct gv_intel_index *ix = gv_calloc(1, sizeof(*ix));
	atomic_init(&ix->refs, 1);
	ix->pool = gv_pool_new(65536);
	ix->exact = intel_cache_new(SIZE_MAX / 4);
	struct build b = { .ix = ix,
			   .by_entity = intel_cache_new(SIZE_MAX / 4),
			   .actor_of = intel_cache_new(SIZE_MAX / 4) };
	struct gv_sql_val pa[6] = {
		GV_SQL_I(GV_REL_INDICATES), GV_SQL_I(GV_REL_REPORTED_BY),
		GV_SQL_I(GV_ENT_FEED),	    GV_SQL_I(GV_ENT_CAMPAIGN),
		GV_SQL_I(GV_ENT_ACTOR),	    GV_SQL_I(GV_ENT_MALWARE)
	};
	struct gv_sql_val pb[3] = { GV_SQL_I(GV_REL_ATTRIBUTED_TO),
				    GV_SQL_I(GV_ENT_ACTOR),
				    GV_SQL_I(GV_REL_USES) };
	int rc = intel_sql_run(st, &q_indicators, NULL, 0, ind_cb, &b,
			       error_r);
	if (rc > 0)
		rc = intel_sql_run(st, &q_attrib, pa, 6, attrib_cb, &b,
				   error_r);
	if (rc > 0)
		rc = intel_sql_run(st, &q_actor_of, pb, 3, actor_cb, &b,
				   error_r);
	if (rc > 0)
		fill_actors(&b);
	intel_cache_free(&b.by_entity);
	intel_cache_free(&b.actor_of);
	gv_free(b.actor_names);
	if (rc < 0) {
		gv_intel_index_unref(&ix);
		return -1;
	}
	rx_compile(ix, &ix->rx_url, GV_ENT_URL);
	rx_compile(ix, &ix->rx_sender, GV_ENT_SENDER);
	*index_r = ix;
	return 1;
}

void gv_intel_index_ref(struct gv_intel_index *ix)
{
	atomic_fetch_add(&ix->refs, 1);
}

void gv_intel_index_unref(struct gv_intel_index **ixp)
{
	struct gv_intel_index *ix = *ixp;
	*ixp = NULL;
	if (ix == NULL || atomic_fetch_sub(&ix->refs, 1) != 1)
		return;
	hs_free_database(ix->rx_url.db);
	hs_free_database(ix->rx_sender.db);
	gv_free(ix->rx_url.ids);
	gv_free(ix->rx_sender.ids);
	intel_cache_free(&ix->exact);
	gv_free(ix->hits);
	gv_pool_free(&ix->pool);
	gv_free(ix);
}

size_t gv_intel_index_size(const struct gv_intel_index *ix)
{
	return ix->n_hits;
}

/* ---- lookup ---- */

static int found(const struct gv_intel_index *ix, int64_t slot,
		 struct gv_intel_hit *hit_r)
{
	if (slot <= 0)
		return 0;
	*hit_r = ix->hits[slot - 1].hit;
	return 1;
}

static int lookup_domain(const struct gv_intel_index *ix, const char *d,
			 struct gv_intel_hit *hit_r)
{
	for (const char *p = d; p != NULL; p = strchr(p, '.')) {
		if (*p == '.')
			p++;
		if (strchr(p, '.') == NULL)
			break; /* never match a bare TLD */
		if (found(ix, intel_cache_get(ix->exact, GV_ENT_DOMAIN, p),
			  hit_r))
			return 1;
	}
	return 0;
}

static int lookup_ip(const struct gv_intel_index *ix, const char *v,
		     struct gv_intel_hit *hit_r)
{
	if (found(ix, intel_cache_get(ix->exact, GV_ENT_IP, v), hit_r))
		return 1;
	bool v6 = strchr(v, ':') != NULL;
	for (unsigned len = v6 ? 128 : 32; len > 0; len--) {
		if (!ix->prefix_len[v6][len])
			continue;
		char net[80];
		if (strlen(v) > 45)
			return 0;
		snprintf(net, sizeof(net), "%.45s/%u", v, len);
		bool is6;
		unsigned l;
		char *key = ip_key(net, &is6, &l);
		if (key == NULL)
			return 0;
		int64_t slot = intel_cache_get(ix->exact, GV_ENT_IP, key);
		gv_free(key);
		if (found(ix, slot, hit_r))
			return 1;
	}
	return 0;
}

static __thread hs_scratch_t *tl_scratch; /* per thread, grows as needed */

static int rx_hit(unsigned id, unsigned long long from, unsigned long long to,
		  unsigned flags, void *ctx)
{
	(void)from, (void)to, (void)flags;
	*(unsigned *)ctx = id;
	return 1; /* stop at the first match */
}

static int lookup_rx(const struct gv_intel_index *ix, const struct rx_db *rx,
		     const char *v, struct gv_intel_hit *hit_r)
{
	if (rx->db == NULL || hs_alloc_scratch(rx->db, &tl_scratch) !=
				      HS_SUCCESS)
		return 0;
	unsigned id = UINT32_MAX;
	hs_scan(rx->db, v, (unsigned)strnlen(v, 1u << 20), 0, tl_scratch,
		rx_hit, &id);
	if (id == UINT32_MAX || id >= rx->n)
		return 0;
	*hit_r = ix->hits[rx->ids[id]].hit;
	return 1;
}

int gv_intel_index_lookup(const struct gv_intel_index *ix,
			  enum gv_intel_kind kind, const char *value,
			  struct gv_intel_hit *hit_r)
{
	if (ix == NULL || value == NULL || strlen(value) > 8192)
		return 0;
	char v[8300];
	if (kind == GV_ENT_URL && strstr(value, "://") == NULL)
		snprintf(v, sizeof(v), "http://%s", value);
	else
		snprintf(v, sizeof(v), "%s", value);
	if (!intel_normalize(kind, v))
		return 0;
	switch (kind) {
	case GV_ENT_DOMAIN:
		return lookup_domain(ix, v, hit_r);
	case GV_ENT_IP:
		return lookup_ip(ix, v, hit_r);
	case GV_ENT_HASH:
		return found(ix, intel_cache_get(ix->exact, GV_ENT_HASH, v),
			     hit_r);
	case GV_ENT_SENDER: {
		if (found(ix, intel_cache_get(ix->exact, GV_ENT_SENDER, v),
			  hit_r) ||
		    lookup_rx(ix, &ix->rx_sender, v, hit_r))
			return 1;
		const char *d = intel_email_domain(v);
		return d ? lookup_domain(ix, d, hit_r) : 0;
	}
	case GV_ENT_URL:
		if (found(ix, intel_cache_get(ix->exact, GV_ENT_URL, v), hit_r))
			return 1;
		return lookup_rx(ix, &ix->rx_url, v, hit_r);
	default:
		return 0;
	}
}

/* ---- holder ---- */

struct gv_intel_index_holder {
	pthread_mutex_t lock;
	struct gv_intel_index *cur;
};

struct gv_intel_index_holder *gv_intel_index_holder_new(void)
{
	struct gv_intel_index_holder *h = gv_calloc(1, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	return h;
}

void gv_intel_index_holder_free(struct gv_intel_index_holder **hp)
{
	struct gv_intel_index_holder *h = *hp;
	if (h == NULL)
		return;
	gv_intel_index_unref(&h->cur);
	pthread_mutex_destroy(&h->lock);
	gv_free(h);
	*hp = NULL;
}

void gv_intel_index_holder_swap(struct gv_intel_index_holder *h,
				struct gv_intel_index *ix)
{
	pthread_mutex_lock(&h->lock);
	struct gv_intel_index *old = h->cur;
	h->cur = ix;
	pthread_mutex_unlock(&h->lock);
	gv_intel_index_unref(&old); /* readers still holding it keep it */
}

struct gv_intel_index *
gv_intel_index_holder_get(struct gv_intel_index_holder *h)
{
	/* The lock covers load + ref so a swap cannot free the snapshot in
	 * between; it is held for two instructions. */
	pthread_mutex_lock(&h->lock);
	struct gv_intel_index *ix = h->cur;
	if (ix != NULL)
		gv_intel_index_ref(ix);
	pthread_mutex_unlock(&h->lock);
	return ix;
}
