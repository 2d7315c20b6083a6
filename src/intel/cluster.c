/*
 * Campaign clustering of messages no feed attributed (and that were not
 * accepted): messages that share an attachment (SHA-256) or a lure URL
 * pattern (registrable domain + first path segment, digits folded: the
 * domain a lure is hosted on and the shape of its path) are one campaign,
 * transitively — a persistent union-find over those features. Embedded
 * resources (src=, CSS url(): images, web fonts, scripts on shared CDNs)
 * are not lures and take no part: they would chain unrelated campaigns.
 * A message with neither is grouped by its sending infrastructure (the /24
 * of its first relay IPv4), else by its sender's domain; those weaker
 * features never join a message that has a strong one, so a big mail
 * provider's relays cannot chain unrelated campaigns together.
 *
 * Store: cluster_feature(feature -> the cluster it was first seen in) and
 * cluster_parent(cluster -> parent) for merged clusters; a cluster is a
 * campaign entity named by the feature that founded it, and its root (the
 * oldest, smallest id: parents always point down, so there is no cycle)
 * is the campaign the reports show. A message keeps the cluster it was
 * given at ingest; reports map it to the current root. Lookups go through
 * the store's entity cache (kinds below), so a feature or parent seen
 * before costs a hash probe. Statement ids 140..149.
 */
#include "intel/intel-map.h"
#include "intel/intel-private.h"

#include <stdio.h>
#include <string.h>

#define KIND_FEATURE 1000 /* cache: feature -> cluster */
#define KIND_PARENT 1001 /* cache: "<id>" -> parent id (itself: root) */

static const struct gv_sql_stmt q_feat_get = {
	140, "SELECT cluster FROM cluster_feature WHERE feature = $1", NULL
};
static const struct gv_sql_stmt q_feat_ins = {
	141,
	"INSERT INTO cluster_feature(feature, cluster) VALUES($1, $2)"
	" ON CONFLICT DO NOTHING",
	NULL
};
static const struct gv_sql_stmt q_parent_get = {
	142, "SELECT parent FROM cluster_parent WHERE cluster = $1", NULL
};
static const struct gv_sql_stmt q_parent_ins = {
	143,
	"INSERT INTO cluster_parent(cluster, parent) VALUES($1, $2)"
	" ON CONFLICT DO NOTHING",
	NULL
};
static const struct gv_sql_stmt q_parent_all = {
	144, "SELECT cluster, parent FROM cluster_parent", NULL
};

/* The skeleton of a lure URL: registrable domain plus the first path
 * segment with digits folded, so "x.com/inv/123" and "x.com/inv/456" meet. */
static char *lure_key(struct gv_pool *pool, const struct gv_intel_url *u)
{
	const char *dom = u->domain ? u->domain : u->host;
	if (dom == NULL || u->url == NULL)
		return NULL;
	const char *p = strstr(u->url, "://");
	p = p ? strchr(p + 3, '/') : NULL;
	char seg[64] = "";
	size_t n = 0;
	if (p != NULL)
		for (p++; *p && *p != '/' && *p != '?' && n < sizeof(seg) - 1;
		     p++)
			seg[n++] = (*p >= '0' && *p <= '9') ? '#' : *p;
	seg[n] = '\0';
	char *key = gv_psprintf(pool, "lure:%s/%s", dom, seg);
	gv_ascii_lower(key, strlen(key));
	return key;
}

static void add_feature(const char **fs, size_t *n, size_t max, const char *f)
{
	if (f == NULL || *n == max)
		return;
	for (size_t i = 0; i < *n; i++)
		if (strcmp(fs[i], f) == 0)
			return;
	fs[(*n)++] = f;
}

/* The features of a message, strongest first; *n_r of them (at most max). */
static size_t features(struct gv_pool *pool, const struct gv_intel_event *ev,
		       const char **fs, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < ev->n_attachments; i++)
		if (ev->attachments[i].sha256 && *ev->attachments[i].sha256)
			add_feature(fs, &n, max,
				    gv_psprintf(pool, "attachment:%s",
						ev->attachments[i].sha256));
	for (size_t i = 0; i < ev->n_urls; i++) {
		const char *src = ev->urls[i].source;
		if (src != NULL &&
		    (strcmp(src, "src") == 0 || strcmp(src, "css") == 0))
			continue; /* embedded resource, not a lure */
		add_feature(fs, &n, max, lure_key(pool, &ev->urls[i]));
	}
	if (n > 0)
		return n;
	for (size_t i = 0; i < ev->n_ips; i++) {
		unsigned a, b, c;
		if (ev->ips[i] && sscanf(ev->ips[i], "%u.%u.%u.", &a, &b, &c) ==
					  3) {
			add_feature(fs, &n, max,
				    gv_psprintf(pool, "infra:%u.%u.%u.0/24", a,
						b, c));
			return n;
		}
	}
	const char *d = intel_email_domain(ev->from ? ev->from :
						      ev->envelope_from);
	if (d != NULL)
		add_feature(fs, &n, max,
			    gv_psprintf(pool, "sender-domain:%s", d));
	return n;
}

static int parent_of(struct gv_intel_store *st, int64_t c, int64_t *p_r,
		     const char **error_r)
{
	char key[32];
	snprintf(key, sizeof(key), "%lld", (long long)c);
	int64_t p = intel_cache_get(st->cache, KIND_PARENT, key);
	if (p == 0) {
		struct gv_sql_val v[1] = { GV_SQL_I(c) };
		int rc = intel_sql_int(st, &q_parent_get, v, 1, &p, error_r);
		if (rc < 0)
			return -1;
		if (rc == 0)
			p = c;
		intel_cache_put(st->cache, KIND_PARENT, key, p);
	}
	*p_r = p;
	return 1;
}

static int find_root(struct gv_intel_store *st, int64_t c, int64_t *root_r,
		     const char **error_r)
{
	for (int guard = 0; guard < 1000000; guard++) {
		int64_t p;
		if (parent_of(st, c, &p, error_r) < 0)
			return -1;
		if (p == c || p <= 0) {
			*root_r = c;
			return 1;
		}
		c = p;
	}
	*error_r = "intel: cluster parents do not end";
	return -1;
}

#define MAX_FEATURES 64

int intel_cluster_assign(struct gv_intel_store *st, struct gv_pool *pool,
			 const struct gv_intel_event *ev, int64_t ts,
			 int64_t *campaign_r, const char **error_r)
{
	const char *fs[MAX_FEATURES];
	size_t n = features(pool, ev, fs, MAX_FEATURES);
	*campaign_r = 0;
	if (n == 0)
		return 1;
	int64_t roots[MAX_FEATURES];
	bool known[MAX_FEATURES];
	size_t nroots = 0;
	int64_t root = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t c = intel_cache_get(st->cache, KIND_FEATURE, fs[i]);
		known[i] = c != 0;
		if (c == 0) {
			struct gv_sql_val v[1] = { GV_SQL_S(fs[i]) };
			int rc = intel_sql_int(st, &q_feat_get, v, 1, &c,
					       error_r);
			if (rc < 0)
				return -1;
			known[i] = rc == 1;
			if (known[i])
				intel_cache_put(st->cache, KIND_FEATURE, fs[i],
						c);
		}
		if (!known[i])
			continue;
		int64_t r;
		if (find_root(st, c, &r, error_r) < 0)
			return -1;
		bool have = false;
		for (size_t k = 0; k < nroots; k++)
			have |= roots[k] == r;
		if (!have)
			roots[nroots++] = r;
		if (root == 0 || r < root)
			root = r;
	}
	if (root == 0) {
		/* A new cluster, named by its strongest feature. */
		if (intel_entity_id(st, GV_ENT_CAMPAIGN, fs[0], ts, &root,
				    error_r) < 0)
			return -1;
	}
	for (size_t k = 0; k < nroots; k++) {
		if (roots[k] == root)
			continue;
		/* Merge: the younger root hangs under the oldest. The graph
		 * gets the link too (sub-cluster part-of-campaign root). */
		struct gv_sql_val v[2] = { GV_SQL_I(roots[k]), GV_SQL_I(root) };
		char key[32];
		snprintf(key, sizeof(key), "%lld", (long long)roots[k]);
		if (intel_sql_run(st, &q_parent_ins, v, 2, NULL, NULL,
				  error_r) < 0 ||
		    intel_relation_seen(st, roots[k], GV_REL_PART_OF_CAMPAIGN,
					root, 0, ts, ts, error_r) < 0)
			return -1;
		intel_cache_put(st->cache, KIND_PARENT, key, root);
	}
	for (size_t i = 0; i < n; i++) {
		if (known[i])
			continue;
		struct gv_sql_val v[2] = { GV_SQL_S(fs[i]), GV_SQL_I(root) };
		if (intel_sql_run(st, &q_feat_ins, v, 2, NULL, NULL, error_r) <
		    0)
			return -1;
		intel_cache_put(st->cache, KIND_FEATURE, fs[i], root);
	}
	*campaign_r = root;
	return 1;
}

/* ---- for the reports: every cluster's root, read once ---- */

struct intel_roots {
	struct intel_cache *parent; /* "<id>" -> parent */
};

static int parents_cb(void *ctx, const struct gv_sql_row *row)
{
	struct intel_roots *r = ctx;
	char key[32];
	snprintf(key, sizeof(key), "%lld", (long long)row->col[0].i);
	intel_cache_put(r->parent, 0, key, row->col[1].i);
	return 0;
}

int intel_roots_load(struct gv_intel_store *st, struct intel_roots **roots_r,
		     const char **error_r)
{
	struct intel_roots *r = gv_calloc(1, sizeof(*r));
	r->parent = intel_cache_new(SIZE_MAX / 2);
	if (intel_sql_run(st, &q_parent_all, NULL, 0, parents_cb, r,
			  error_r) < 0) {
		intel_roots_free(&r);
		return -1;
	}
	*roots_r = r;
	return 1;
}

int64_t intel_roots_find(const struct intel_roots *r, int64_t c)
{
	for (int guard = 0; guard < 1000000; guard++) {
		char key[32];
		snprintf(key, sizeof(key), "%lld", (long long)c);
		int64_t p = intel_cache_get(r->parent, 0, key);
		if (p == 0 || p == c)
			return c;
		c = p;
	}
	return c;
}

void intel_roots_free(struct intel_roots **rp)
{
	if (*rp == NULL)
		return;
	intel_cache_free(&(*rp)->parent);
	gv_free(*rp);
	*rp = NULL;
}
