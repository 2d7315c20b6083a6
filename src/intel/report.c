/*
 * Reports over the store, as JSON documents (docs/schema/report.json):
 * targeted users, malware/rule/file-type frequency per day, campaigns with
 * their targets, and recommendations with their evidence. Period filters
 * work on UTC days for the rollup-based reports (targeted, malware: that is
 * what keeps them fast over millions of events) and on event times for the
 * others. The graph walk lives in report-graph.c. Statement ids 70..99.
 */
#include "intel/intel-report.h"

#include <string.h>

/* ---- small helpers shared with report-graph.c ---- */

int64_t report_day(int64_t t, bool end)
{
	if (t == 0)
		return end ? INT64_MAX / 86400 : 0;
	return t / 86400;
}

static json_t *jnum(const struct gv_sql_val *v)
{
	if (v->type == GV_SQL_NULL)
		return json_null();
	if (v->type == GV_SQL_REAL)
		return json_real(v->d);
	return json_integer(v->i);
}

static json_t *jtext(const struct gv_sql_val *v)
{
	return v->type == GV_SQL_NULL || v->s == NULL ? json_null() :
							json_string(v->s);
}

/* Rows as objects: names[i] is column i; a name starting with '#' is a
 * number, otherwise text. */
struct rows_ctx {
	json_t *rows;
	const char *const *names;
	size_t n;
};

static int rows_cb(void *ctx, const struct gv_sql_row *row)
{
	struct rows_ctx *c = ctx;
	json_t *o = json_object();
	for (size_t i = 0; i < c->n && i < row->n; i++) {
		const char *nm = c->names[i];
		json_object_set_new(o, nm[0] == '#' ? nm + 1 : nm,
				    nm[0] == '#' ? jnum(&row->col[i]) :
						   jtext(&row->col[i]));
	}
	json_array_append_new(c->rows, o);
	return 0;
}

int report_rows(struct gv_intel_store *st, const struct gv_sql_stmt *q,
		const struct gv_sql_val *p, size_t np,
		const char *const *names, size_t n, json_t *rows,
		const char **error_r)
{
	struct rows_ctx c = { .rows = rows, .names = names, .n = n };
	return intel_sql_run(st, q, p, np, rows_cb, &c, error_r);
}

/* ---- targeted users ---- */

/* Ranked from the all-time rollup when no period is asked (one small
 * table: fast over any number of events), else from the per-day rollup of
 * the period; distinct campaigns and attacked days are then looked up
 * for the ranked users only (primary-key prefix usr). */
#define TARGETED_COLS                                                        \
	" (SELECT count(DISTINCT tc.campaign) FROM day_target_campaign tc"   \
	"  WHERE tc.usr = t.usr AND tc.day BETWEEN $1 AND $2),"              \
	" (SELECT count(*) FROM day_target d WHERE d.usr = t.usr"            \
	"  AND d.day BETWEEN $1 AND $2 AND d.malicious > 0)"
static const struct gv_sql_stmt q_targeted_all = {
	70,
	"SELECT u.value, t.total, t.malicious, t.max_score," TARGETED_COLS
	" FROM (SELECT * FROM target_total ORDER BY malicious DESC, total DESC,"
	" usr LIMIT $3) t JOIN entity u ON u.id = t.usr"
	" ORDER BY t.malicious DESC, t.total DESC, u.value",
	NULL
};
static const struct gv_sql_stmt q_targeted = {
	75,
	"SELECT u.value, t.total, t.malicious, t.max_score," TARGETED_COLS
	" FROM (SELECT usr, sum(total) AS total, sum(malicious) AS malicious,"
	" max(max_score) AS max_score FROM day_target"
	" WHERE day BETWEEN $1 AND $2 GROUP BY usr"
	" ORDER BY 3 DESC, 2 DESC, usr LIMIT $3) t"
	" JOIN entity u ON u.id = t.usr"
	" ORDER BY t.malicious DESC, t.total DESC, u.value",
	NULL
};

static int targeted(struct gv_intel_store *st,
		    const struct gv_intel_report_query *q, json_t *rows,
		    const char **error_r)
{
	static const char *const names[] = { "user",	   "#messages",
					     "#malicious", "#max_score",
					     "#campaigns", "#days_attacked" };
	struct gv_sql_val p[3] = { GV_SQL_I(report_day(q->since, false)),
				   GV_SQL_I(report_day(q->until, true)),
				   GV_SQL_I((int64_t)q->limit) };
	bool all = q->since == 0 && q->until == 0;
	return report_rows(st, all ? &q_targeted_all : &q_targeted, p, 3,
			   names, 6, rows, error_r);
}

/* ---- malware, rules and file types over time ---- */

static const struct gv_sql_stmt q_top = {
	71,
	"SELECT s.kind, en.value, sum(s.count), sum(s.malicious)"
	" FROM day_stat s JOIN entity en ON en.id = s.entity"
	" WHERE s.day BETWEEN $1 AND $2 GROUP BY s.kind, en.value"
	" ORDER BY s.kind, 3 DESC, en.value",
	NULL
};
static const struct gv_sql_stmt q_daily = {
	72,
	"SELECT s.day, s.kind, en.value, s.count, s.malicious"
	" FROM day_stat s JOIN entity en ON en.id = s.entity"
	" WHERE s.day BETWEEN $1 AND $2 ORDER BY s.day, s.kind, s.count DESC"
	" LIMIT $3",
	NULL
};

struct top_ctx {
	json_t *rows;
	int64_t kind;
	size_t in_kind, limit;
};

static int top_cb(void *ctx, const struct gv_sql_row *row)
{
	struct top_ctx *c = ctx;
	if (row->col[0].i != c->kind) {
		c->kind = row->col[0].i;
		c->in_kind = 0;
	}
	if (c->in_kind++ >= c->limit)
		return 0;
	json_array_append_new(
		c->rows,
		json_pack("{s:s s:o s:I s:I}", "kind",
			  gv_intel_kind_name((enum gv_intel_kind)row->col[0].i),
			  "value", jtext(&row->col[1]), "messages",
			  (json_int_t)row->col[2].i, "malicious",
			  (json_int_t)row->col[3].i));
	return 0;
}

static int daily_cb(void *ctx, const struct gv_sql_row *row)
{
	json_t *rows = ctx;
	char day[16];
	time_t t = (time_t)(row->col[0].i * 86400);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	json_array_append_new(
		rows,
		json_pack("{s:s s:s s:o s:I s:I}", "day", day, "kind",
			  gv_intel_kind_name((enum gv_intel_kind)row->col[1].i),
			  "value", jtext(&row->col[2]), "messages",
			  (json_int_t)row->col[3].i, "malicious",
			  (json_int_t)row->col[4].i));
	return 0;
}

static int malware(struct gv_intel_store *st,
		   const struct gv_intel_report_query *q, json_t *doc,
		   json_t *rows, const char **error_r)
{
	struct gv_sql_val p[3] = { GV_SQL_I(report_day(q->since, false)),
				   GV_SQL_I(report_day(q->until, true)),
				   GV_SQL_I(100000) };
	struct top_ctx tc = { .rows = rows, .kind = -1, .limit = q->limit };
	if (intel_sql_run(st, &q_top, p, 2, top_cb, &tc, error_r) < 0)
		return -1;
	json_t *daily = json_array();
	json_object_set_new(doc, "daily", daily);
	return intel_sql_run(st, &q_daily, p, 3, daily_cb, daily, error_r);
}

/* ---- campaigns ----
 * Attributed campaigns (named by a feed through an indicator hit) are
 * always listed; ingest-time clusters ("attachment:<sha256>",
 * "lure:<domain>/<path shape>", "infra:<a.b.c.0/24>",
 * "sender-domain:<domain>") only once they hold two messages. */

static const struct gv_sql_stmt q_campaigns = {
	73,
	"SELECT c.value, c.name, t.messages, t.malicious, t.first_seen,"
	" t.last_seen, c.id FROM (SELECT campaign, sum(messages) AS messages,"
	" sum(malicious) AS malicious, min(first_seen) AS first_seen,"
	" max(last_seen) AS last_seen FROM day_campaign"
	" WHERE day BETWEEN $1 AND $2 GROUP BY campaign) t"
	" JOIN entity c ON c.id = t.campaign"
	" WHERE t.messages >= 2 OR (c.value NOT LIKE 'attachment:%'"
	" AND c.value NOT LIKE 'lure:%' AND c.value NOT LIKE 'infra:%'"
	" AND c.value NOT LIKE 'sender-domain:%')"
	" ORDER BY t.messages DESC, c.value LIMIT $3",
	NULL
};
static const struct gv_sql_stmt q_campaign_targets = {
	74,
	"SELECT u.value, sum(tc.count) FROM day_target_campaign tc"
	" JOIN entity u ON u.id = tc.usr"
	" WHERE tc.campaign = $1 AND tc.day BETWEEN $2 AND $3"
	" GROUP BY u.value ORDER BY 2 DESC, u.value LIMIT 10",
	NULL
};

static int campaigns(struct gv_intel_store *st,
		     const struct gv_intel_report_query *q, json_t *rows,
		     const char **error_r)
{
	static const char *const names[] = { "campaign",   "name",
					     "#messages",  "#malicious",
					     "#first_seen", "#last_seen",
					     "#id" };
	struct gv_sql_val p[3] = { GV_SQL_I(report_day(q->since, false)),
				   GV_SQL_I(report_day(q->until, true)),
				   GV_SQL_I((int64_t)q->limit) };
	if (report_rows(st, &q_campaigns, p, 3, names, 7, rows, error_r) < 0)
		return -1;
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		json_t *targets = json_array();
		static const char *const tn[] = { "user", "#messages" };
		json_int_t id = json_integer_value(json_object_get(row, "id"));
		struct gv_sql_val tp[3] = { GV_SQL_I(id), p[0], p[1] };
		if (report_rows(st, &q_campaign_targets, tp, 3, tn, 2, targets,
				error_r) < 0) {
			json_decref(targets);
			return -1;
		}
		json_object_set_new(row, "targets", targets);
		json_object_del(row, "id");
	}
	return 1;
}

/* ---- entry ---- */

int gv_intel_report(struct gv_intel_store *st,
		    const struct gv_intel_report_query *query, char **json_r,
		    const char **error_r)
{
	struct gv_intel_report_query q = *query;
	if (q.limit == 0)
		q.limit = 20;
	static const char *const kinds[] = { "targeted", "malware",
					     "campaigns", "neighbors",
					     "recommendations", "alerts",
					     "lookalikes" };
	json_t *doc = json_object();
	json_t *rows = json_array();
	json_object_set_new(doc, "schema", json_string("geneva-report/1"));
	json_object_set_new(doc, "report", json_string(kinds[q.kind]));
	json_object_set_new(doc, "since", json_integer(q.since));
	json_object_set_new(doc, "until", json_integer(q.until));
	json_object_set_new(doc, "rows", rows);
	int rc;
	switch (q.kind) {
	case GV_REPORT_TARGETED:
		rc = targeted(st, &q, rows, error_r);
		break;
	case GV_REPORT_MALWARE:
		rc = malware(st, &q, doc, rows, error_r);
		break;
	case GV_REPORT_CAMPAIGNS:
		rc = campaigns(st, &q, rows, error_r);
		break;
	case GV_REPORT_NEIGHBORS:
		rc = report_neighbors(st, &q, doc, error_r);
		break;
	case GV_REPORT_ALERTS:
		rc = report_alerts(st, &q, rows, error_r);
		break;
	case GV_REPORT_LOOKALIKES:
		rc = report_lookalikes(st, &q, rows, error_r);
		break;
	default:
		rc = report_recommendations(st, &q, rows, error_r);
	}
	if (rc > 0) {
		char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		*json_r = gv_strdup(s);
		gv_free(s); /* jansson allocates with malloc */
	}
	json_decref(doc);
	return rc;
}

/* ---- table output ---- */

static void print_value(json_t *v, FILE *out)
{
	if (json_is_string(v))
		fprintf(out, "%s", json_string_value(v));
	else if (json_is_integer(v))
		fprintf(out, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		fprintf(out, "%.2f", json_real_value(v));
	else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			if (i)
				fputc(',', out);
			if (json_is_object(x)) {
				const char *k;
				json_t *y;
				bool first = true;
				json_object_foreach(x, k, y) {
					if (!first)
						fputc(':', out);
					first = false;
					print_value(y, out);
				}
			} else {
				print_value(x, out);
			}
		}
	} else if (json_is_object(v)) {
		char *s = json_dumps(v, JSON_COMPACT);
		fprintf(out, "%s", s);
		gv_free(s);
	} else {
		fputc('-', out);
	}
}

static void print_rows(json_t *rows, FILE *out)
{
	json_t *first = json_array_get(rows, 0);
	if (first == NULL) {
		fprintf(out, "(no rows)\n");
		return;
	}
	const char *k;
	json_t *v;
	json_object_foreach(first, k, v) fprintf(out, "%s\t", k);
	fputc('\n', out);
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		json_object_foreach(row, k, v) {
			print_value(v, out);
			fputc('\t', out);
		}
		fputc('\n', out);
	}
}

void gv_intel_report_print_table(const char *json, FILE *out)
{
	json_t *doc = json_loads(json, 0, NULL);
	if (doc == NULL)
		return;
	fprintf(out, "# %s\n", json_string_value(json_object_get(doc,
								   "report")));
	print_rows(json_object_get(doc, "rows"), out);
	json_t *daily = json_object_get(doc, "daily");
	if (daily) {
		fprintf(out, "\n# per day\n");
		print_rows(daily, out);
	}
	json_t *edges = json_object_get(doc, "edges");
	if (edges) {
		fprintf(out, "\n# edges\n");
		print_rows(edges, out);
	}
	json_decref(doc);
}
