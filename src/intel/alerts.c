/*
 * Alerts and lookalike domains that other detectors keep in the store
 * (contract in intel.h), and the two reports that list them. Both writes
 * are idempotent: an alert is inserted once per key (a replay finds the
 * key and does nothing); a lookalike is an upsert per (domain, brand)
 * whose min/max merge gives the same row however often it is replayed.
 * Statement ids 130..149.
 */
#include "intel/intel-report.h"

#include <string.h>
#include <time.h>

static const struct gv_sql_stmt q_alert_ins = {
	130,
	"INSERT INTO alert(key, entity, detector, kind, severity, ts, usr, ip,"
	" domain, title, summary, details) VALUES($1, $2, $3, $4, $5, $6, $7,"
	" $8, $9, $10, $11, $12) ON CONFLICT(key) DO NOTHING RETURNING id",
	NULL
};
static const struct gv_sql_stmt q_lk_ins = {
	131,
	"INSERT INTO lookalike(domain, brand, technique, score, first_seen,"
	" last_seen, source) VALUES($1, $2, $3, $4, $5, $5, $6)"
	" ON CONFLICT(domain, brand) DO NOTHING RETURNING domain",
	NULL
};
/* A known pair: widen the period, keep the best score and its technique,
 * keep the first source. */
static const struct gv_sql_stmt q_lk_upd = {
	132,
	"UPDATE lookalike SET technique = CASE WHEN $4 > score THEN $3"
	" ELSE technique END, score = max(score, $4),"
	" first_seen = min(first_seen, $5), last_seen = max(last_seen, $5),"
	" source = coalesce(source, $6) WHERE domain = $1 AND brand = $2",
	"UPDATE lookalike SET technique = CASE WHEN $4 > score THEN $3"
	" ELSE technique END, score = GREATEST(score, $4),"
	" first_seen = LEAST(first_seen, $5),"
	" last_seen = GREATEST(last_seen, $5),"
	" source = coalesce(source, $6) WHERE domain = $1 AND brand = $2"
};

static int64_t now_or(int64_t t)
{
	return t != 0 ? t : (int64_t)time(NULL);
}

/* A normalised copy of value as an entity of kind; 0 when empty. Users
 * of alerts may be logins without a domain: kept lower case as given. */
static int entity_of(struct gv_intel_store *st, struct gv_pool *pool,
		     enum gv_intel_kind kind, const char *value, int64_t ts,
		     int64_t *id_r, const char **error_r)
{
	*id_r = 0;
	if (value == NULL || *value == '\0')
		return 1;
	char *v = gv_pstrndup(pool, value, strnlen(value, 4096));
	if (!intel_normalize(kind, v)) {
		if (kind != GV_ENT_USER && kind != GV_ENT_BRAND)
			return 1; /* not a valid IP / domain: no entity */
		gv_ascii_lower(v, strlen(v));
		if (*v == '\0')
			return 1;
	}
	return intel_entity_id(st, kind, v, ts, id_r, error_r);
}

static int alert_one(struct gv_intel_store *st, struct gv_pool *pool,
		     const struct gv_intel_alert *a, size_t *inserted,
		     const char **error_r)
{
	if (a->key == NULL || *a->key == '\0')
		return 1;
	int64_t ts = now_or(a->time), ent;
	if (intel_entity_id(st, GV_ENT_ALERT, a->key, ts, &ent, error_r) < 0)
		return -1;
	int sev = a->severity < 0 ? 0 : a->severity > 4 ? 4 : a->severity;
	/* details: kept as given when it is a JSON object, else quoted. */
	const char *details = a->details;
	if (details != NULL) {
		json_t *j = json_loads(details, 0, NULL);
		if (!json_is_object(j)) {
			json_t *s = json_string(details);
			char *d = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
			details = d ? gv_pstrdup(pool, d) : NULL;
			gv_free(d);
			json_decref(s);
		}
		json_decref(j);
	}
	struct gv_sql_val p[12] = {
		GV_SQL_S(a->key),
		GV_SQL_I(ent),
		GV_SQL_S(a->detector ? a->detector : ""),
		GV_SQL_S(a->kind ? a->kind : ""),
		GV_SQL_I(sev),
		GV_SQL_I(ts),
		GV_SQL_S(a->user),
		GV_SQL_S(a->ip),
		GV_SQL_S(a->domain),
		GV_SQL_S(a->title),
		GV_SQL_S(a->summary),
		GV_SQL_S(details),
	};
	int64_t id;
	int rc = intel_sql_int(st, &q_alert_ins, p, 12, &id, error_r);
	if (rc <= 0)
		return rc; /* 0: known key, nothing more to do */
	(*inserted)++;
	if (a->title != NULL && intel_entity_name(st, ent, a->title,
						  error_r) < 0)
		return -1;
	const struct {
		enum gv_intel_kind kind;
		const char *value;
	} about[] = { { GV_ENT_USER, a->user },
		      { GV_ENT_IP, a->ip },
		      { GV_ENT_DOMAIN, a->domain } };
	for (size_t i = 0; i < GV_ARRAY_LEN(about); i++) {
		int64_t dst;
		if (entity_of(st, pool, about[i].kind, about[i].value, ts, &dst,
			      error_r) < 0)
			return -1;
		if (dst > 0 && intel_relation_seen(st, ent, GV_REL_ALERTS_ON, dst,
						   1, ts, ts, error_r) < 0)
			return -1;
	}
	return 1;
}

static int lookalike_one(struct gv_intel_store *st, struct gv_pool *pool,
			 const struct gv_intel_lookalike *l, size_t *inserted,
			 const char **error_r)
{
	int64_t ts = now_or(l->first_seen), dom, brand, feed = 0;
	if (entity_of(st, pool, GV_ENT_DOMAIN, l->domain, ts, &dom,
		      error_r) < 0 ||
	    entity_of(st, pool, GV_ENT_BRAND, l->brand, ts, &brand,
		      error_r) < 0)
		return -1;
	if (dom == 0 || brand == 0)
		return 1; /* no valid domain or brand: skipped */
	if (l->source != NULL && *l->source != '\0' &&
	    intel_entity_id(st, GV_ENT_FEED, l->source, ts, &feed,
			    error_r) < 0)
		return -1;
	int64_t score = l->score > 100 ? 100 : (int64_t)l->score;
	struct gv_sql_val p[6] = { GV_SQL_I(dom),	  GV_SQL_I(brand),
				   GV_SQL_S(l->technique), GV_SQL_I(score),
				   GV_SQL_I(ts),	  GV_SQL_S(l->source) };
	int64_t got;
	int rc = intel_sql_int(st, &q_lk_ins, p, 6, &got, error_r);
	if (rc < 0)
		return -1;
	if (rc == 1)
		(*inserted)++;
	else if (intel_sql_run(st, &q_lk_upd, p, 6, NULL, NULL, error_r) < 0)
		return -1;
	/* Relations with count 0 (sightings are not messages): the upsert
	 * only widens first/last seen, so replays change nothing. */
	if (intel_relation_seen(st, dom, GV_REL_IMITATES, brand, 0, ts, ts,
				error_r) < 0)
		return -1;
	if (feed > 0 && intel_relation_seen(st, dom, GV_REL_REPORTED_BY, feed,
					    0, ts, ts, error_r) < 0)
		return -1;
	return 1;
}

typedef int one_fn(struct gv_intel_store *st, struct gv_pool *pool,
		   const void *item, size_t *inserted, const char **error_r);

static int alert_cb(struct gv_intel_store *st, struct gv_pool *pool,
		    const void *item, size_t *inserted, const char **error_r)
{
	return alert_one(st, pool, item, inserted, error_r);
}

static int lookalike_cb(struct gv_intel_store *st, struct gv_pool *pool,
			const void *item, size_t *inserted,
			const char **error_r)
{
	return lookalike_one(st, pool, item, inserted, error_r);
}

static int store_all(struct gv_intel_store *st, const void *const *items,
		     size_t n, one_fn *fn, size_t *inserted_r,
		     const char **error_r)
{
	size_t inserted = 0;
	if (n == 0) {
		if (inserted_r)
			*inserted_r = 0;
		return 1;
	}
	struct gv_pool *pool = gv_pool_new(8192);
	int ret = intel_begin(st, error_r);
	for (size_t i = 0; ret > 0 && i < n; i++)
		if (fn(st, pool, items[i], &inserted, error_r) < 0)
			ret = -1;
	if (ret > 0)
		ret = intel_commit(st, error_r);
	else if (st->in_tx)
		intel_rollback(st);
	gv_pool_free(&pool);
	if (ret > 0 && inserted_r)
		*inserted_r = inserted;
	return ret;
}

int gv_intel_store_alerts(struct gv_intel_store *st,
			  const struct gv_intel_alert *const *alerts, size_t n,
			  size_t *inserted_r, const char **error_r)
{
	return store_all(st, (const void *const *)alerts, n, alert_cb,
			 inserted_r, error_r);
}

int gv_intel_store_lookalikes(struct gv_intel_store *st,
			      const struct gv_intel_lookalike *const *lks,
			      size_t n, size_t *inserted_r,
			      const char **error_r)
{
	return store_all(st, (const void *const *)lks, n, lookalike_cb,
			 inserted_r, error_r);
}

/* ---- reports ---- */

static const struct gv_sql_stmt q_alerts = {
	133,
	"SELECT ts, detector, kind, severity, usr, ip, domain, title, summary,"
	" details, key FROM alert WHERE ts BETWEEN $1 AND $2"
	" ORDER BY ts DESC, id DESC LIMIT $3",
	NULL
};
static const struct gv_sql_stmt q_lookalikes = {
	134,
	"SELECT d.value, b.value, l.technique, l.score, l.first_seen,"
	" l.last_seen, l.source FROM lookalike l"
	" JOIN entity d ON d.id = l.domain JOIN entity b ON b.id = l.brand"
	" WHERE l.last_seen >= $1 AND l.first_seen <= $2"
	" ORDER BY l.score DESC, d.value, b.value LIMIT $3",
	NULL
};

static const char *const severity_names[] = { "info", "low", "medium",
					       "high", "critical" };

static json_t *text_or_null(const struct gv_sql_val *v)
{
	return v->type == GV_SQL_NULL || v->s == NULL ? json_null() :
							json_string(v->s);
}

static void iso_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int alert_row(void *ctx, const struct gv_sql_row *row)
{
	json_t *rows = ctx;
	char when[32];
	iso_time(row->col[0].i, when);
	int64_t sev = row->col[3].i;
	json_t *details = NULL;
	if (row->col[9].type != GV_SQL_NULL && row->col[9].s != NULL)
		details = json_loads(row->col[9].s, JSON_DECODE_ANY, NULL);
	json_t *o = json_object();
	json_object_set_new(o, "time", json_string(when));
	json_object_set_new(o, "detector", text_or_null(&row->col[1]));
	json_object_set_new(o, "kind", text_or_null(&row->col[2]));
	json_object_set_new(o, "severity",
			    json_string(severity_names[sev < 0 ? 0 :
						       sev > 4 ? 4 : sev]));
	json_object_set_new(o, "user", text_or_null(&row->col[4]));
	json_object_set_new(o, "ip", text_or_null(&row->col[5]));
	json_object_set_new(o, "domain", text_or_null(&row->col[6]));
	json_object_set_new(o, "title", text_or_null(&row->col[7]));
	json_object_set_new(o, "summary", text_or_null(&row->col[8]));
	json_object_set_new(o, "details", details ? details : json_null());
	json_object_set_new(o, "key", text_or_null(&row->col[10]));
	json_object_set_new(o, "unix_time", json_integer(row->col[0].i));
	json_array_append_new(rows, o);
	return 0;
}

int report_alerts(struct gv_intel_store *st,
		  const struct gv_intel_report_query *q, json_t *rows,
		  const char **error_r)
{
	struct gv_sql_val p[3] = { GV_SQL_I(q->since),
				   GV_SQL_I(q->until ? q->until : INT64_MAX),
				   GV_SQL_I((int64_t)q->limit) };
	return intel_sql_run(st, &q_alerts, p, 3, alert_row, rows, error_r);
}

int report_lookalikes(struct gv_intel_store *st,
		      const struct gv_intel_report_query *q, json_t *rows,
		      const char **error_r)
{
	static const char *const names[] = { "domain",	    "brand",
					     "technique",   "#score",
					     "#first_seen", "#last_seen",
					     "source" };
	struct gv_sql_val p[3] = { GV_SQL_I(q->since),
				   GV_SQL_I(q->until ? q->until : INT64_MAX),
				   GV_SQL_I((int64_t)q->limit) };
	return report_rows(st, &q_lookalikes, p, 3, names, 7, rows, error_r);
}
