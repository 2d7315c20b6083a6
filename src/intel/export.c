/*
 * STIX 2.1 export of what we saw: for the malicious events (action
 * quarantine or reject) of a campaign or a time range, one indicator per
 * URL / domain / IP / sender / attachment hash involved, a sighting of it
 * (count, first and last seen, sighted by us), the campaigns and the
 * "indicates" relationships between them. Ids are name-based and times come
 * from the data, so the same store and filter always give the same bytes
 * (which is what gets signed). Statement ids 60..69.
 */
#include "intel/intel-map.h"
#include "intel/intel-private.h"

#include <jansson.h>
#include <string.h>
#include <time.h>

/* The malicious events in range with their edges; what they touch is
 * aggregated here per (entity, campaign): distinct messages, first and
 * last time. */
static const struct gv_sql_stmt q_export = {
	60,
	"SELECT e.ts, e.campaign, e.edges FROM event e"
	" WHERE e.action >= 2 AND e.ts >= $1 AND e.ts <= $2",
	NULL
};
/* Campaigns a --campaign filter names (by value or name). */
static const struct gv_sql_stmt q_export_camp = {
	62,
	"SELECT id FROM entity WHERE kind = 10 AND (value = $1 OR name = $1)",
	NULL
};
static const struct gv_sql_stmt q_export_ent = {
	61, "SELECT kind, value FROM entity WHERE id = $1", NULL
};

static void stix_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

/* A STIX string literal: quote and backslash escaped. */
static char *quote(const char *v)
{
	struct gv_buf b;
	gv_buf_init(&b, 1 << 20);
	gv_buf_putc(&b, '\'');
	for (; *v; v++) {
		if (*v == '\'' || *v == '\\')
			gv_buf_putc(&b, '\\');
		gv_buf_putc(&b, (unsigned char)*v);
	}
	gv_buf_putc(&b, '\'');
	char *s = gv_strdup(gv_buf_cstr(&b) ? (const char *)b.data : "''");
	gv_buf_free(&b);
	return s;
}

static char *pattern_of(int kind, const char *value)
{
	const char *path;
	size_t n = strlen(value);
	switch (kind) {
	case GV_ENT_URL:
		path = "url:value";
		break;
	case GV_ENT_DOMAIN:
		path = "domain-name:value";
		break;
	case GV_ENT_IP:
		path = strchr(value, ':') ? "ipv6-addr:value" :
					    "ipv4-addr:value";
		break;
	case GV_ENT_SENDER:
		path = "email-addr:value";
		break;
	default:
		path = n == 32 ? "file:hashes.MD5" :
		       n == 40 ? "file:hashes.'SHA-1'" :
		       n == 64 ? "file:hashes.'SHA-256'" :
				 "file:hashes.'SHA-512'";
	}
	char *q = quote(value);
	size_t len = strlen(path) + strlen(q) + 8;
	char *p = gv_malloc(len);
	snprintf(p, len, "[%s = %s]", path, q);
	gv_free(q);
	return p;
}

struct export_ctx {
	json_t *objects;
	json_t *seen; /* ids already emitted */
	const char *identity;
	size_t n;
};

static void add(struct export_ctx *x, const char *id, json_t *obj)
{
	if (json_object_get(x->seen, id) != NULL) {
		json_decref(obj);
		return;
	}
	json_object_set_new(x->seen, id, json_true());
	json_array_append_new(x->objects, obj);
	x->n++;
}

static int row_cb(void *ctx, const struct gv_sql_row *row)
{
	struct export_ctx *x = ctx;
	int kind = (int)row->col[0].i;
	const char *value = row->col[1].s, *camp = row->col[2].s;
	if (value == NULL)
		return 0;
	char first[32], last[32], ind[80], sig[80], seed[600];
	stix_time(row->col[4].i, first);
	stix_time(row->col[5].i, last);
	snprintf(seed, sizeof(seed), "%d:%.500s", kind, value);
	intel_stix_id("indicator", seed, ind);
	char *pat = pattern_of(kind, value);
	add(x, ind,
	    json_pack("{s:s s:s s:s s:s s:s s:s s:s s:s s:s s:s s:[s]}",
		      "type", "indicator", "spec_version", "2.1", "id", ind,
		      "created", first, "modified", first, "valid_from", first,
		      "created_by_ref", x->identity, "name", value,
		      "pattern", pat, "pattern_type", "stix",
		      "indicator_types", "malicious-activity"));
	gv_free(pat);
	snprintf(seed, sizeof(seed), "%d:%.500s:%.60s", kind, value,
		 camp ? camp : "");
	intel_stix_id("sighting", seed, sig);
	add(x, sig,
	    json_pack("{s:s s:s s:s s:s s:s s:s s:s s:s s:I s:s s:[s]}",
		      "type", "sighting", "spec_version", "2.1", "id", sig,
		      "created", last, "modified", last, "first_seen", first,
		      "last_seen", last, "sighting_of_ref", ind, "count",
		      (json_int_t)row->col[3].i, "created_by_ref", x->identity,
		      "where_sighted_refs", x->identity));
	if (camp != NULL) {
		char cid[80], rid[80];
		intel_stix_id("campaign", camp, cid);
		add(x, cid,
		    json_pack("{s:s s:s s:s s:s s:s s:s s:s}", "type",
			      "campaign", "spec_version", "2.1", "id", cid,
			      "created", first, "modified", first, "name", camp,
			      "created_by_ref", x->identity));
		snprintf(seed, sizeof(seed), "%s>%s", ind, cid);
		intel_stix_id("relationship", seed, rid);
		add(x, rid,
		    json_pack("{s:s s:s s:s s:s s:s s:s s:s s:s s:s}", "type",
			      "relationship", "spec_version", "2.1", "id", rid,
			      "created", first, "modified", first,
			      "relationship_type", "indicates", "source_ref",
			      ind, "target_ref", cid, "created_by_ref",
			      x->identity));
	}
	return 0;
}

/* ---- aggregation of the events' edges ---- */

struct agg_ctx {
	struct gv_intel_store *st;
	const struct intel_roots *roots;
	struct intel_cache *wanted; /* filter: root ids; NULL: all */
	const char *error;
	struct intel_agg agg; /* (entity, campaign index + 1 or 0, 0) */
	struct intel_cache *camp_ids; /* campaign value -> index + 1 */
	char **camps;
	size_t n_camps;
	struct intel_edge *es;
	size_t n, cap;
};

static int64_t cmp64(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

static int id_cmp(const void *a, const void *b)
{
	const struct intel_edge *x = a, *y = b;
	return (int)cmp64(x->id, y->id);
}

static int camp_id_cb(void *ctx, const struct gv_sql_row *row)
{
	struct agg_ctx *a = ctx;
	char key[32];
	snprintf(key, sizeof(key), "%lld",
		 (long long)intel_roots_find(a->roots, row->col[0].i));
	intel_cache_put(a->wanted, 0, key, 1);
	return 0;
}

static int value_cb(void *ctx, const struct gv_sql_row *row)
{
	*(char **)ctx = gv_strdup(row->col[1].s ? row->col[1].s : "");
	return 1;
}

static int event_cb(void *ctx, const struct gv_sql_row *row)
{
	struct agg_ctx *a = ctx;
	int64_t ts = row->col[0].i, camp = 0;
	/* The event's campaign is its cluster's root (merged since). */
	int64_t root = row->col[1].type == GV_SQL_NULL ?
			       0 :
			       intel_roots_find(a->roots, row->col[1].i);
	char rkey[32];
	snprintf(rkey, sizeof(rkey), "%lld", (long long)root);
	if (a->wanted != NULL &&
	    (root == 0 || intel_cache_get(a->wanted, 0, rkey) == 0))
		return 0;
	if (root > 0)
		camp = intel_cache_get(a->camp_ids, 1, rkey);
	if (root > 0 && camp == 0) {
		/* First event of this campaign: its name, once. */
		char *cv = NULL;
		struct gv_sql_val p[1] = { GV_SQL_I(root) };
		if (intel_sql_run(a->st, &q_export_ent, p, 1, value_cb, &cv,
				  &a->error) < 0)
			return -1;
		a->camps = gv_realloc(a->camps,
				      (a->n_camps + 1) * sizeof(*a->camps));
		a->camps[a->n_camps++] = cv ? cv : gv_strdup("");
		camp = (int64_t)a->n_camps;
		intel_cache_put(a->camp_ids, 1, rkey, camp);
	}
	a->n = 0;
	intel_edges_parse(row->col[2].s, &a->es, &a->n, &a->cap);
	if (a->n > 1)
		qsort(a->es, a->n, sizeof(*a->es), id_cmp);
	for (size_t i = 0; i < a->n; i++)
		if (i == 0 || a->es[i].id != a->es[i - 1].id)
			intel_agg_add(&a->agg, a->es[i].id, camp, 0, ts, true, 0);
	return 0;
}

struct out_row {
	int64_t kind, count, first, last;
	char *value;
	const char *camp;
};

static int out_cmp(const void *a, const void *b)
{
	const struct out_row *x = a, *y = b;
	if (x->kind != y->kind)
		return (int)cmp64(x->kind, y->kind);
	int c = strcmp(x->value, y->value);
	if (c != 0)
		return c;
	if (x->camp == NULL || y->camp == NULL)
		return (x->camp != NULL) - (y->camp != NULL); /* NULL first */
	return strcmp(x->camp, y->camp);
}

struct ent_ctx {
	int64_t kind;
	char *value;
};

static int ent_cb(void *ctx, const struct gv_sql_row *row)
{
	struct ent_ctx *e = ctx;
	e->kind = row->col[0].i;
	e->value = gv_strdup(row->col[1].s ? row->col[1].s : "");
	return 1;
}

/* Rows (kind, value, campaign, messages, first, last) for the sender, URL,
 * domain, IP and hash entities of the malicious events in range, ordered
 * by kind, value, campaign (no campaign first), into row_cb. */
static int export_rows(struct gv_intel_store *st,
		       const struct gv_sql_val *p, struct export_ctx *x,
		       const char **error_r)
{
	struct agg_ctx a = { .st = st, .camp_ids = intel_cache_new(SIZE_MAX / 2) };
	intel_agg_init(&a.agg);
	struct intel_roots *roots;
	if (intel_roots_load(st, &roots, error_r) < 0) {
		intel_cache_free(&a.camp_ids);
		intel_agg_free(&a.agg);
		return -1;
	}
	a.roots = roots;
	int rc = 1;
	if (p[2].type != GV_SQL_NULL) {
		a.wanted = intel_cache_new(SIZE_MAX / 2);
		rc = intel_sql_run(st, &q_export_camp, p + 2, 1, camp_id_cb, &a,
				   error_r);
	}
	if (rc > 0)
		rc = intel_sql_run(st, &q_export, p, 2, event_cb, &a, error_r);
	if (rc < 0 && a.error != NULL)
		*error_r = a.error;
	struct out_row *rows = gv_calloc(a.agg.used + 1, sizeof(*rows));
	size_t n = 0;
	for (size_t i = 0; rc > 0 && i < a.agg.cap; i++) {
		const struct intel_agg_slot *s = &a.agg.slots[i];
		if (!intel_agg_used(s))
			continue;
		struct ent_ctx e = { 0, NULL };
		struct gv_sql_val q[1] = { GV_SQL_I(s->k[0]) };
		if (intel_sql_run(st, &q_export_ent, q, 1, ent_cb, &e,
				  error_r) < 0) {
			rc = -1;
			break;
		}
		bool wanted = e.kind == GV_ENT_SENDER || e.kind == GV_ENT_URL ||
			      e.kind == GV_ENT_DOMAIN || e.kind == GV_ENT_IP ||
			      e.kind == GV_ENT_HASH;
		if (e.value == NULL || !wanted) {
			gv_free(e.value);
			continue;
		}
		rows[n++] = (struct out_row){
			.kind = e.kind,
			.count = s->count,
			.first = s->first,
			.last = s->last,
			.value = e.value,
			.camp = s->k[1] ? a.camps[s->k[1] - 1] : NULL,
		};
	}
	if (n > 1)
		qsort(rows, n, sizeof(*rows), out_cmp);
	for (size_t i = 0; i < n; i++) {
		struct gv_sql_val cols[6] = {
			GV_SQL_I(rows[i].kind),	 GV_SQL_S(rows[i].value),
			GV_SQL_S(rows[i].camp),	 GV_SQL_I(rows[i].count),
			GV_SQL_I(rows[i].first), GV_SQL_I(rows[i].last)
		};
		struct gv_sql_row r = { 6, cols };
		if (rc > 0)
			row_cb(x, &r);
		gv_free(rows[i].value);
	}
	gv_free(rows);
	for (size_t i = 0; i < a.n_camps; i++)
		gv_free(a.camps[i]);
	gv_free(a.camps);
	gv_free(a.es);
	intel_cache_free(&a.camp_ids);
	intel_cache_free(&a.wanted);
	intel_roots_free(&roots);
	intel_agg_free(&a.agg);
	return rc;
}

int gv_intel_export_stix(struct gv_intel_store *st,
			 const struct gv_intel_export_filter *f, char **json_r,
			 size_t *len_r, size_t *objects_r, const char **error_r)
{
	char ident[80], bundle[80], seed[600];
	intel_stix_id("identity", "geneva", ident);
	struct export_ctx x = { .objects = json_array(),
				.seen = json_object(),
				.identity = ident };
	add(&x, ident,
	    json_pack("{s:s s:s s:s s:s s:s s:s s:s}", "type", "identity",
		      "spec_version", "2.1", "id", ident, "created",
		      "2026-01-01T00:00:00.000Z", "modified",
		      "2026-01-01T00:00:00.000Z", "name", "Geneva",
		      "identity_class", "system"));
	int64_t until = f->until ? f->until : INT64_MAX;
	struct gv_sql_val p[3] = { GV_SQL_I(f->since), GV_SQL_I(until),
				   GV_SQL_S(f->campaign) };
	int rc = export_rows(st, p, &x, error_r);
	if (rc > 0) {
		snprintf(seed, sizeof(seed), "%lld:%lld:%.500s",
			 (long long)f->since, (long long)until,
			 f->campaign ? f->campaign : "");
		intel_stix_id("bundle", seed, bundle);
		json_t *b = json_pack("{s:s s:s s:O}", "type", "bundle", "id",
				      bundle, "objects", x.objects);
		char *s = json_dumps(b, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
		json_decref(b);
		*json_r = gv_strdup(s);
		*len_r = strlen(s);
		*objects_r = x.n;
		gv_free(s); /* jansson allocates with malloc */
	}
	json_decref(x.objects);
	json_decref(x.seen);
	return rc;
}
