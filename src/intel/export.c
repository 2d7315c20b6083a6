/*
 * STIX 2.1 export of what we saw: for the malicious events (action
 * quarantine or reject) of a campaign or a time range, one indicator per
 * URL / domain / IP / sender / attachment hash involved, a sighting of it
 * (count, first and last seen, sighted by us), the campaigns and the
 * "indicates" relationships between them. Ids are name-based and times come
 * from the data, so the same store and filter always give the same bytes
 * (which is what gets signed). Statement ids 60..69.
 */
#include "intel/intel-private.h"

#include <jansson.h>
#include <string.h>
#include <time.h>

static const struct gv_sql_stmt q_export = {
	60,
	"SELECT en.kind, en.value, c.value, count(DISTINCT e.id), min(e.ts),"
	" max(e.ts) FROM event e JOIN event_entity ee ON ee.event = e.id"
	" JOIN entity en ON en.id = ee.entity"
	" LEFT JOIN entity c ON c.id = e.campaign"
	" WHERE e.action >= 2 AND e.ts >= $1 AND e.ts <= $2"
	" AND (CAST($3 AS TEXT) IS NULL OR c.value = $3 OR c.name = $3)"
	" AND en.kind IN (2, 4, 5, 6, 7)"
	" GROUP BY en.kind, en.value, c.value ORDER BY en.kind, en.value,"
	" c.value",
	NULL
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
	int rc = intel_sql_run(st, &q_export, p, 3, row_cb, &x, error_r);
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
