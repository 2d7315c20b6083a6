/*
 * The store handle: picks the driver from the URI, creates the schema,
 * and offers the entity / relation / indicator primitives the importers and
 * the ingest path share. Statement ids 0..19 belong to this file.
 */
#include "intel/intel-map.h"
#include "intel/intel-private.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_names[] = {
	[GV_ENT_MESSAGE] = "message",	 [GV_ENT_SENDER] = "sender",
	[GV_ENT_USER] = "user",		 [GV_ENT_URL] = "url",
	[GV_ENT_DOMAIN] = "domain",	 [GV_ENT_IP] = "ip",
	[GV_ENT_HASH] = "hash",		 [GV_ENT_RULE] = "rule",
	[GV_ENT_MALWARE] = "malware",	 [GV_ENT_CAMPAIGN] = "campaign",
	[GV_ENT_ACTOR] = "actor",	 [GV_ENT_ORG] = "organization",
	[GV_ENT_INDICATOR] = "indicator", [GV_ENT_FEED] = "feed",
	[GV_ENT_FILETYPE] = "filetype", [GV_ENT_ALERT] = "alert",
	[GV_ENT_BRAND] = "brand",
};

static const char *const rel_names[] = {
	[GV_REL_SENT_BY] = "sent-by",
	[GV_REL_TARGETS] = "targets",
	[GV_REL_LINKS_TO] = "links-to",
	[GV_REL_HOSTED_ON] = "hosted-on",
	[GV_REL_HAS_ATTACHMENT] = "has-attachment",
	[GV_REL_MATCHED_RULE] = "matched-rule",
	[GV_REL_PART_OF_CAMPAIGN] = "part-of-campaign",
	[GV_REL_ATTRIBUTED_TO] = "attributed-to",
	[GV_REL_INDICATES] = "indicates",
	[GV_REL_SENT_FROM] = "sent-from",
	[GV_REL_USES] = "uses",
	[GV_REL_REPORTED_BY] = "reported-by",
	[GV_REL_IS_TYPE] = "is-type",
	[GV_REL_FAMILY] = "family",
	[GV_REL_RELATED] = "related-to",
	[GV_REL_ALERTS_ON] = "alerts-on",
	[GV_REL_IMITATES] = "imitates",
};

const char *gv_intel_kind_name(enum gv_intel_kind kind)
{
	if ((int)kind < 1 || kind > GV_ENT_KIND_MAX)
		return "unknown";
	return kind_names[kind];
}

const char *gv_intel_rel_name(enum gv_intel_rel rel)
{
	if ((int)rel < 1 || rel > GV_REL_MAX)
		return "unknown";
	return rel_names[rel];
}

enum gv_intel_kind gv_intel_kind_parse(const char *name)
{
	for (int k = 1; k <= GV_ENT_KIND_MAX; k++)
		if (strcmp(kind_names[k], name) == 0)
			return (enum gv_intel_kind)k;
	if (strcmp(name, "email") == 0)
		return GV_ENT_SENDER;
	if (strcmp(name, "actor") == 0 || strcmp(name, "threat-actor") == 0)
		return GV_ENT_ACTOR;
	return 0;
}

/* ---- open / close ---- */

/* Bumped whenever a table changes; stores of another version are refused. */
#define GV_INTEL_SCHEMA_VERSION 4

int gv_intel_store_open(const struct gv_intel_store_settings *settings,
			struct gv_intel_store **store_r, const char **error_r)
{
	const char *uri = settings->uri;
	const struct gv_sql_driver *drv = &gv_sql_driver_sqlite;
	const char *conninfo = uri;
	if (uri == NULL || *uri == '\0') {
		*error_r = "intel: no store configured";
		return -1;
	}
	if (strncmp(uri, "sqlite:", 7) == 0) {
		conninfo = uri + 7;
	} else if (strncmp(uri, "postgres:", 9) == 0) {
		drv = &gv_sql_driver_pg;
		conninfo = uri + 9;
	} else if (strncmp(uri, "postgresql://", 13) == 0) {
		drv = &gv_sql_driver_pg;
	}
	struct gv_sql_conn *conn;
	if (drv->open(conninfo, settings->busy_timeout_ms, &conn, error_r) < 0)
		return -1;
	struct gv_intel_store *st = gv_calloc(1, sizeof(*st));
	st->drv = drv;
	st->conn = conn;
	st->cache = intel_cache_new(1u << 20);
	for (size_t i = 0; drv->schema[i] != NULL; i++) {
		const char *err;
		if (drv->exec(conn, drv->schema[i], &err) < 0) {
			static __thread char buf[600];
			snprintf(buf, sizeof(buf), "%s (schema)", err);
			*error_r = buf;
			gv_intel_store_close(&st);
			return -1;
		}
	}
	/* A store written by another schema version is refused rather than
	 * half-understood. */
	static const struct gv_sql_stmt q_version = {
		16, "SELECT value FROM meta WHERE key = 'schema'", NULL
	};
	int64_t version = 0;
	if (intel_sql_int(st, &q_version, NULL, 0, &version, error_r) < 0 ||
	    version != GV_INTEL_SCHEMA_VERSION) {
		static __thread char buf[200];
		snprintf(buf, sizeof(buf),
			 "store schema version %lld, this geneva needs %d",
			 (long long)version, GV_INTEL_SCHEMA_VERSION);
		*error_r = buf;
		gv_intel_store_close(&st);
		return -1;
	}
	*store_r = st;
	return 1;
}

void gv_intel_store_close(struct gv_intel_store **stp)
{
	struct gv_intel_store *st = *stp;
	if (st == NULL)
		return;
	if (st->in_tx)
		intel_rollback(st);
	st->drv->close(st->conn);
	intel_cache_free(&st->cache);
	gv_free(st);
	*stp = NULL;
}

const char *gv_intel_store_backend(const struct gv_intel_store *st)
{
	return st->drv->name;
}

/* ---- helpers ---- */

int intel_sql_run(struct gv_intel_store *st, const struct gv_sql_stmt *stmt,
		  const struct gv_sql_val *params, size_t n, gv_sql_row_cb *cb,
		  void *ctx, const char **error_r)
{
	return st->drv->run(st->conn, stmt, params, n, cb, ctx, error_r);
}

int intel_sql_run_ints(struct gv_intel_store *st,
		       const struct gv_sql_stmt *stmt,
		       const struct gv_sql_val *params, size_t n,
		       gv_sql_row_cb *cb, void *ctx, const char **error_r)
{
	return (st->drv->run_ints ? st->drv->run_ints : st->drv->run)(
		st->conn, stmt, params, n, cb, ctx, error_r);
}

struct int_ctx {
	int64_t v;
	bool got;
};

static int int_cb(void *ctx, const struct gv_sql_row *row)
{
	struct int_ctx *c = ctx;
	if (row->n > 0 && row->col[0].type != GV_SQL_NULL) {
		c->v = row->col[0].i;
		c->got = true;
	}
	return 1;
}

int intel_sql_int(struct gv_intel_store *st, const struct gv_sql_stmt *stmt,
		  const struct gv_sql_val *params, size_t n, int64_t *out_r,
		  const char **error_r)
{
	struct int_ctx c = { 0, false };
	if (intel_sql_run(st, stmt, params, n, int_cb, &c, error_r) < 0)
		return -1;
	if (c.got)
		*out_r = c.v;
	return c.got ? 1 : 0;
}

int intel_begin(struct gv_intel_store *st, const char **error_r)
{
	gv_assert(!st->in_tx);
	if (st->drv->exec(st->conn, "BEGIN", error_r) < 0)
		return -1;
	st->in_tx = true;
	return 1;
}

int intel_commit(struct gv_intel_store *st, const char **error_r)
{
	gv_assert(st->in_tx);
	st->in_tx = false;
	if (st->drv->exec(st->conn, "COMMIT", error_r) < 0) {
		const char *e2;
		st->drv->exec(st->conn, "ROLLBACK", &e2);
		intel_cache_clear(st);
		return -1;
	}
	return 1;
}

void intel_rollback(struct gv_intel_store *st)
{
	const char *err;
	if (st->in_tx)
		st->drv->exec(st->conn, "ROLLBACK", &err);
	st->in_tx = false;
	intel_cache_clear(st);
}

void intel_cache_clear(struct gv_intel_store *st)
{
	intel_cache_reset(st->cache);
}

/* ---- entities and relations ---- */

static const struct gv_sql_stmt q_entity_get = {
	0, "SELECT id FROM entity WHERE kind = $1 AND value = $2", NULL
};
static const struct gv_sql_stmt q_entity_ins = {
	1,
	"INSERT INTO entity(kind, value, first_seen, last_seen, count)"
	" VALUES($1, $2, $3, $3, 0) ON CONFLICT(kind, value) DO NOTHING"
	" RETURNING id",
	NULL
};
static const struct gv_sql_stmt q_entity_seen = {
	2,
	"UPDATE entity SET count = count + $2, first_seen = min(first_seen, $3),"
	" last_seen = max(last_seen, $4) WHERE id = $1",
	"UPDATE entity SET count = count + $2,"
	" first_seen = LEAST(first_seen, $3), last_seen = GREATEST(last_seen, $4)"
	" WHERE id = $1"
};
static const struct gv_sql_stmt q_relation_seen = {
	3,
	"INSERT INTO relation(src, type, dst, first_seen, last_seen, count)"
	" VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT(src, type, dst) DO UPDATE"
	" SET count = relation.count + excluded.count,"
	" first_seen = min(relation.first_seen, excluded.first_seen),"
	" last_seen = max(relation.last_seen, excluded.last_seen)",
	"INSERT INTO relation(src, type, dst, first_seen, last_seen, count)"
	" VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT(src, type, dst) DO UPDATE"
	" SET count = relation.count + excluded.count,"
	" first_seen = LEAST(relation.first_seen, excluded.first_seen),"
	" last_seen = GREATEST(relation.last_seen, excluded.last_seen)"
};
static const struct gv_sql_stmt q_entity_name = {
	4, "UPDATE entity SET name = $2 WHERE id = $1 AND name IS NULL", NULL
};
static const struct gv_sql_stmt q_ind_ins = {
	5,
	"INSERT INTO indicator(kind, regex, value, entity, first_seen)"
	" VALUES($1, $2, $3, $4, $5) ON CONFLICT(kind, regex, value) DO NOTHING"
	" RETURNING id",
	NULL
};

int intel_entity_id(struct gv_intel_store *st, enum gv_intel_kind kind,
		    const char *value, int64_t ts, int64_t *id_r,
		    const char **error_r)
{
	if (value == NULL) {
		*error_r = "intel: entity without a value";
		return -1;
	}
	int64_t id = intel_cache_get(st->cache, (int)kind, value);
	if (id != 0) {
		*id_r = id;
		return 1;
	}
	struct gv_sql_val p[3] = { GV_SQL_I(kind), GV_SQL_S(value),
				   GV_SQL_I(ts) };
	/* Insert first: new values are the common case for a busy writer;
	 * a conflict (existing or a concurrent host) falls back to select. */
	int rc = intel_sql_int(st, &q_entity_ins, p, 3, &id, error_r);
	if (rc == 0)
		rc = intel_sql_int(st, &q_entity_get, p, 2, &id, error_r);
	if (rc <= 0) {
		if (rc == 0)
			*error_r = "intel: entity vanished during upsert";
		return -1;
	}
	intel_cache_put(st->cache, (int)kind, value, id);
	*id_r = id;
	return 1;
}

int intel_entity_name(struct gv_intel_store *st, int64_t id, const char *name,
		      const char **error_r)
{
	struct gv_sql_val p[2] = { GV_SQL_I(id), GV_SQL_S(name) };
	return intel_sql_run(st, &q_entity_name, p, 2, NULL, NULL, error_r);
}

int intel_entity_seen(struct gv_intel_store *st, int64_t id, int64_t count,
		      int64_t first, int64_t last, const char **error_r)
{
	struct gv_sql_val p[4] = { GV_SQL_I(id), GV_SQL_I(count),
				   GV_SQL_I(first), GV_SQL_I(last) };
	return intel_sql_run(st, &q_entity_seen, p, 4, NULL, NULL, error_r);
}

int intel_relation_seen(struct gv_intel_store *st, int64_t src,
			enum gv_intel_rel type, int64_t dst, int64_t count,
			int64_t first, int64_t last, const char **error_r)
{
	struct gv_sql_val p[6] = { GV_SQL_I(src),   GV_SQL_I(type),
				   GV_SQL_I(dst),   GV_SQL_I(first),
				   GV_SQL_I(last),  GV_SQL_I(count) };
	return intel_sql_run(st, &q_relation_seen, p, 6, NULL, NULL, error_r);
}

int intel_indicator_add(struct gv_intel_store *st, enum gv_intel_kind kind,
			bool is_regex, const char *value, const char *name,
			int64_t feed_id, int64_t ts, bool *is_new_r,
			int64_t *indicator_entity_r, const char **error_r)
{
	/* The indicator entity is keyed "<kind>[~]:<value>" so the same value
	 * from any number of feeds (with their random ids) is one indicator. */
	size_t vlen = strlen(value);
	char *key = gv_malloc(vlen + 32);
	snprintf(key, vlen + 32, "%s%s:%s", gv_intel_kind_name(kind),
		 is_regex ? "~" : "", value);
	int64_t ent;
	int rc = intel_entity_id(st, GV_ENT_INDICATOR, key, ts, &ent, error_r);
	gv_free(key);
	if (rc < 0)
		return -1;
	if (name != NULL && intel_entity_name(st, ent, name, error_r) < 0)
		return -1;
	struct gv_sql_val p[5] = { GV_SQL_I(kind), GV_SQL_I(is_regex ? 1 : 0),
				   GV_SQL_S(value), GV_SQL_I(ent),
				   GV_SQL_I(ts) };
	int64_t id;
	rc = intel_sql_int(st, &q_ind_ins, p, 5, &id, error_r);
	if (rc < 0)
		return -1;
	*is_new_r = rc == 1;
	/* The observable itself is an entity too (for graph walks), and the
	 * indicator points at it and at the feed that reported it. */
	if (!is_regex) {
		int64_t obs;
		if (intel_entity_id(st, kind, value, ts, &obs, error_r) < 0 ||
		    intel_relation_seen(st, ent, GV_REL_INDICATES, obs, 0, ts,
					ts, error_r) < 0)
			return -1;
	}
	if (feed_id > 0 && intel_relation_seen(st, ent, GV_REL_REPORTED_BY,
					       feed_id, 0, ts, ts,
					       error_r) < 0)
		return -1;
	*indicator_entity_r = ent;
	return 1;
}

/* ---- counts ---- */

static const struct gv_sql_stmt q_count_events = {
	10, "SELECT count(*) FROM event", NULL
};
static const struct gv_sql_stmt q_count_entities = {
	11, "SELECT count(*) FROM entity", NULL
};
static const struct gv_sql_stmt q_count_relations = {
	12,
	"SELECT (SELECT count(*) FROM relation) + (SELECT count(*) FROM"
	" (SELECT DISTINCT src, type, dst FROM relation_run r WHERE NOT EXISTS"
	" (SELECT 1 FROM relation m WHERE m.src = r.src AND m.type = r.type"
	" AND m.dst = r.dst)) AS x)",
	NULL
};
static const struct gv_sql_stmt q_count_indicators = {
	13, "SELECT count(*) FROM indicator", NULL
};
static const struct gv_sql_stmt q_count_findings = {
	14, "SELECT count(*) FROM finding", NULL
};
static const struct gv_sql_stmt q_count_kinds = {
	15, "SELECT kind, count(*) FROM entity GROUP BY kind", NULL
};
static const struct gv_sql_stmt q_count_alerts = {
	17, "SELECT count(*) FROM alert", NULL
};
static const struct gv_sql_stmt q_count_lookalikes = {
	18, "SELECT count(*) FROM lookalike", NULL
};

static int kinds_cb(void *ctx, const struct gv_sql_row *row)
{
	struct gv_intel_counts *c = ctx;
	int64_t k = row->col[0].i;
	if (k >= 0 && k <= GV_ENT_KIND_MAX)
		c->by_kind[k] = (uint64_t)row->col[1].i;
	return 0;
}

int gv_intel_store_counts(struct gv_intel_store *st,
			  struct gv_intel_counts *c, const char **error_r)
{
	memset(c, 0, sizeof(*c));
	const struct gv_sql_stmt *qs[] = { &q_count_events, &q_count_entities,
					   &q_count_relations,
					   &q_count_indicators,
					   &q_count_findings, &q_count_alerts,
					   &q_count_lookalikes };
	uint64_t *outs[] = { &c->events,     &c->entities, &c->relations,
			     &c->indicators, &c->findings, &c->alerts,
			     &c->lookalikes };
	for (size_t i = 0; i < GV_ARRAY_LEN(qs); i++) {
		int64_t v = 0;
		if (intel_sql_int(st, qs[i], NULL, 0, &v, error_r) < 0)
			return -1;
		*outs[i] = (uint64_t)v;
	}
	return intel_sql_run(st, &q_count_kinds, NULL, 0, kinds_cb, c,
			     error_r);
}

/* ---- value normalisation ---- */

static void lower(char *s)
{
	gv_ascii_lower(s, strlen(s));
}

static bool valid_hex(const char *s)
{
	size_t n = strlen(s);
	if (n != 32 && n != 40 && n != 64 && n != 128)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool valid_domain(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253 || strchr(s, '.') == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c == '/' || c == '@' || c == ':' || c == '\\')
			return false;
	}
	return true;
}

bool intel_normalize(enum gv_intel_kind kind, char *v)
{
	/* Trim surrounding blanks (lists and CSV cells carry them). */
	size_t n = strlen(v);
	size_t b = 0;
	while (b < n && (v[b] == ' ' || v[b] == '\t'))
		b++;
	while (n > b && (v[n - 1] == ' ' || v[n - 1] == '\t' ||
			 v[n - 1] == '\r' || v[n - 1] == '\n'))
		n--;
	memmove(v, v + b, n - b);
	v[n - b] = '\0';
	n -= b;
	if (n == 0)
		return false;
	switch (kind) {
	case GV_ENT_DOMAIN:
		lower(v);
		if (v[n - 1] == '.')
			v[--n] = '\0';
		return valid_domain(v);
	case GV_ENT_SENDER:
	case GV_ENT_USER: {
		lower(v);
		const char *at = strrchr(v, '@');
		return at != NULL && at != v && at[1] != '\0';
	}
	case GV_ENT_HASH:
		lower(v);
		return valid_hex(v);
	case GV_ENT_IP: {
		if (v[0] == '[' && v[n - 1] == ']') {
			memmove(v, v + 1, n - 2);
			v[n - 2] = '\0';
		}
		/* A network "addr/len" is kept as written when valid (the
		 * index masks it); a /32 or /128 is the address itself. */
		char *slash = strchr(v, '/');
		uint64_t plen = 0;
		if (slash != NULL) {
			*slash = '\0';
			if (gv_parse_u64(slash + 1, 128, &plen) < 0)
				return false;
		}
		unsigned char buf[16];
		char out[INET6_ADDRSTRLEN];
		bool v4 = inet_pton(AF_INET, v, buf) == 1;
		bool v6 = !v4 && inet_pton(AF_INET6, v, buf) == 1;
		if (!v4 && !v6)
			return false;
		if (v6 && inet_ntop(AF_INET6, buf, out, sizeof(out)) != NULL &&
		    strlen(out) <= strlen(v))
			memcpy(v, out, strlen(out) + 1); /* canonical form */
		if (slash != NULL) {
			if (plen > (v4 ? 32u : 128u))
				return false;
			if (plen != (v4 ? 32u : 128u)) {
				size_t l = strlen(v);
				v[l] = '/';
				memmove(v + l + 1, slash + 1,
					strlen(slash + 1) + 1);
			}
		}
		return true;
	}
	case GV_ENT_URL: {
		/* Scheme and host are case-insensitive; the path is not. An
		 * empty path and "/" are the same URL. Values without a scheme
		 * are made http:// by the importers (they have room to grow
		 * the string; this function only shrinks). */
		char *p = strstr(v, "://");
		if (p == NULL || p == v)
			return false;
		char *end = p + 3;
		while (*end && *end != '/' && *end != '?' && *end != '#')
			end++;
		if (end == p + 3)
			return false;
		gv_ascii_lower(v, (size_t)(end - v));
		if (end[0] == '/' && end[1] == '\0')
			end[0] = '\0';
		return true;
	}
	default:
		return true;
	}
}

const char *intel_email_domain(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	return at && at[1] ? at + 1 : NULL;
}
