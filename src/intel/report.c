/*
 * Reports over the store, as JSON documents (docs/schema/report.json):
 * targeted users, malware/rule/file-type frequency per day, campaigns with
 * their targets, and recommendations with their evidence. Period filters
 * work on UTC days for the rollup-based reports (targeted, malware: that is
 * what keeps them fast over millions of events) and on event times for the
 * others. The graph walk lives in report-graph.c. Statement ids 70..99.
 */
#include "intel/intel-map.h"
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
	", t.usr FROM (SELECT * FROM target_total ORDER BY malicious DESC, total DESC,"
	" usr LIMIT $3) t JOIN entity u ON u.id = t.usr"
	" ORDER BY t.malicious DESC, t.total DESC, u.value",
	NULL
};
static const struct gv_sql_stmt q_targeted = {
	75,
	"SELECT u.value, t.total, t.malicious, t.max_score," TARGETED_COLS
	", t.usr FROM (SELECT usr, sum(total) AS total, sum(malicious) AS malicious,"
	" max(max_score) AS max_score FROM day_target"
	" WHERE day BETWEEN $1 AND $2 GROUP BY usr"
	" ORDER BY 3 DESC, 2 DESC, usr LIMIT $3) t"
	" JOIN entity u ON u.id = t.usr"
	" ORDER BY t.malicious DESC, t.total DESC, u.value",
	NULL
};

static const struct gv_sql_stmt q_user_campaigns = {
	77,
	"SELECT DISTINCT campaign FROM day_target_campaign"
	" WHERE usr = $1 AND day BETWEEN $2 AND $3",
	NULL
};

struct distinct_ctx {
	const struct intel_roots *roots;
	struct intel_cache *seen;
	int64_t n;
};

static int distinct_root_cb(void *ctx, const struct gv_sql_row *row)
{
	struct distinct_ctx *d = ctx;
	char key[32];
	snprintf(key, sizeof(key), "%lld",
		 (long long)intel_roots_find(d->roots, row->col[0].i));
	if (intel_cache_get(d->seen, 0, key) == 0) {
		intel_cache_put(d->seen, 0, key, 1);
		d->n++;
	}
	return 0;
}

static int targeted(struct gv_intel_store *st,
		    const struct gv_intel_report_query *q, json_t *rows,
		    const char **error_r)
{
	static const char *const names[] = { "user",	   "#messages",
					     "#malicious", "#max_score",
					     "#campaigns", "#days_attacked",
					     "#uid" };
	struct gv_sql_val p[3] = { GV_SQL_I(report_day(q->since, false)),
				   GV_SQL_I(report_day(q->until, true)),
				   GV_SQL_I((int64_t)q->limit) };
	bool all = q->since == 0 && q->until == 0;
	if (report_rows(st, all ? &q_targeted_all : &q_targeted, p, 3, names,
			7, rows, error_r) < 0)
		return -1;
	/* Distinct campaigns per ranked user, counting merged clusters
	 * once (their root). */
	struct intel_roots *roots;
	if (intel_roots_load(st, &roots, error_r) < 0)
		return -1;
	int rc = 1;
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		struct distinct_ctx d = { .roots = roots,
					  .seen = intel_cache_new(SIZE_MAX / 2) };
		json_int_t uid = json_integer_value(json_object_get(row, "uid"));
		struct gv_sql_val up[3] = { GV_SQL_I(uid), p[0], p[1] };
		if (rc > 0 && intel_sql_run(st, &q_user_campaigns, up, 3,
					    distinct_root_cb, &d, error_r) < 0)
			rc = -1;
		json_object_set_new(row, "campaigns", json_integer(d.n));
		json_object_del(row, "uid");
		intel_cache_free(&d.seen);
	}
	intel_roots_free(&roots);
	return rc;
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
 * always listed; clusters (cluster.c: "attachment:<sha256>",
 * "lure:<domain>/<path shape>", "infra:<a.b.c.0/24>",
 * "sender-domain:<domain>", named by the feature that founded them) only
 * once they hold two messages. The rollups are kept per cluster as
 * assigned at ingest; clusters merged since are summed under their root
 * here. */

static const struct gv_sql_stmt q_campaigns = {
	73,
	"SELECT t.campaign, c.value, c.name, t.messages, t.malicious,"
	" t.first_seen, t.last_seen FROM (SELECT campaign, sum(messages) AS"
	" messages, sum(malicious) AS malicious, min(first_seen) AS first_seen,"
	" max(last_seen) AS last_seen FROM day_campaign"
	" WHERE day BETWEEN $1 AND $2 GROUP BY campaign) t"
	" JOIN entity c ON c.id = t.campaign",
	NULL
};
/* Per cluster of a campaign: its users by id; names are looked up for
 * the campaign's top ten only. */
static const struct gv_sql_stmt q_campaign_targets = {
	74,
	"SELECT usr, sum(count) FROM day_target_campaign"
	" WHERE campaign = $1 AND day BETWEEN $2 AND $3 GROUP BY usr",
	NULL
};
static const struct gv_sql_stmt q_user_value = {
	78, "SELECT value FROM entity WHERE id = $1", NULL
};
static const struct gv_sql_stmt q_campaign_entity = {
	76, "SELECT value, name FROM entity WHERE id = $1", NULL
};

struct camp {
	int64_t root;
	char *value, *name;
	int64_t messages, malicious, first, last;
	int64_t *members; /* cluster ids summed into this root */
	size_t n_members;
};

struct camps_ctx {
	const struct intel_roots *roots;
	struct intel_cache *index; /* "<root>" -> position + 1 */
	struct camp *v;
	size_t n, cap;
};

static struct camp *camp_of(struct camps_ctx *c, int64_t root)
{
	char key[32];
	snprintf(key, sizeof(key), "%lld", (long long)root);
	int64_t at = intel_cache_get(c->index, 0, key);
	if (at > 0)
		return &c->v[at - 1];
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->v = gv_realloc(c->v, c->cap * sizeof(*c->v));
	}
	c->v[c->n] = (struct camp){ .root = root,
				    .first = INT64_MAX,
				    .last = INT64_MIN };
	intel_cache_put(c->index, 0, key, (int64_t)++c->n);
	return &c->v[c->n - 1];
}

static int camps_cb(void *ctx, const struct gv_sql_row *row)
{
	struct camps_ctx *c = ctx;
	int64_t id = row->col[0].i, root = intel_roots_find(c->roots, id);
	struct camp *k = camp_of(c, root);
	if (id == root) {
		k->value = gv_strdup(row->col[1].s ? row->col[1].s : "");
		k->name = row->col[2].type == GV_SQL_NULL ?
				  NULL :
				  gv_strdup(row->col[2].s);
	}
	k->members = gv_realloc(k->members,
				(k->n_members + 1) * sizeof(*k->members));
	k->members[k->n_members++] = id;
	k->messages += row->col[3].i;
	k->malicious += row->col[4].i;
	if (row->col[5].i < k->first)
		k->first = row->col[5].i;
	if (row->col[6].i > k->last)
		k->last = row->col[6].i;
	return 0;
}

static bool is_cluster(const char *v)
{
	static const char *const prefixes[] = { "attachment:", "lure:",
						"infra:", "sender-domain:" };
	for (size_t i = 0; i < GV_ARRAY_LEN(prefixes); i++)
		if (strncmp(v, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

static int camp_cmp(const void *a, const void *b)
{
	const struct camp *x = a, *y = b;
	if (x->messages != y->messages)
		return x->messages > y->messages ? -1 : 1;
	return strcmp(x->value, y->value);
}

struct target {
	int64_t usr;
	char *user; /* looked up for the candidates only */
	int64_t messages;
};

struct targets_ctx {
	struct intel_cache *index;
	struct target *v;
	size_t n, cap;
};

static int targets_cb(void *ctx, const struct gv_sql_row *row)
{
	struct targets_ctx *t = ctx;
	char u[32];
	snprintf(u, sizeof(u), "%lld", (long long)row->col[0].i);
	int64_t at = intel_cache_get(t->index, 0, u);
	if (at == 0) {
		if (t->n == t->cap) {
			t->cap = t->cap ? t->cap * 2 : 32;
			t->v = gv_realloc(t->v, t->cap * sizeof(*t->v));
		}
		t->v[t->n] = (struct target){ row->col[0].i, NULL, 0 };
		intel_cache_put(t->index, 0, u, (int64_t)++t->n);
		at = (int64_t)t->n;
	}
	t->v[at - 1].messages += row->col[1].i;
	return 0;
}

static int target_count_cmp(const void *a, const void *b)
{
	const struct target *x = a, *y = b;
	return (x->messages < y->messages) - (x->messages > y->messages);
}

static int target_cmp(const void *a, const void *b)
{
	const struct target *x = a, *y = b;
	if (x->messages != y->messages)
		return x->messages > y->messages ? -1 : 1;
	return strcmp(x->user, y->user);
}

static int user_value_cb(void *ctx, const struct gv_sql_row *row)
{
	*(char **)ctx = gv_strdup(row->col[0].s ? row->col[0].s : "");
	return 1;
}

/* The ten most targeted users of a campaign, over all its clusters. */
static json_t *campaign_targets(struct gv_intel_store *st,
				const struct camp *k,
				const struct gv_sql_val *days, int *rc_r,
				const char **error_r)
{
	struct targets_ctx t = { .index = intel_cache_new(SIZE_MAX / 2) };
	json_t *out = json_array();
	for (size_t m = 0; *rc_r > 0 && m < k->n_members; m++) {
		struct gv_sql_val p[3] = { GV_SQL_I(k->members[m]), days[0],
					   days[1] };
		if (intel_sql_run(st, &q_campaign_targets, p, 3, targets_cb, &t,
				  error_r) < 0)
			*rc_r = -1;
	}
	/* Top ten by messages, ties by name: names for the users that can
	 * still be in it (as many as the tenth's count or more). */
	if (t.n > 1)
		qsort(t.v, t.n, sizeof(*t.v), target_count_cmp);
	size_t cand = t.n < 10 ? t.n : 10;
	while (cand > 0 && cand < t.n &&
	       t.v[cand].messages == t.v[cand - 1].messages)
		cand++;
	for (size_t i = 0; i < cand; i++) {
		struct gv_sql_val p[1] = { GV_SQL_I(t.v[i].usr) };
		if (*rc_r > 0 && intel_sql_run(st, &q_user_value, p, 1,
					       user_value_cb, &t.v[i].user,
					       error_r) < 0)
			*rc_r = -1;
		if (t.v[i].user == NULL)
			t.v[i].user = gv_strdup("");
	}
	if (cand > 1)
		qsort(t.v, cand, sizeof(*t.v), target_cmp);
	for (size_t i = 0; i < cand; i++) {
		if (i < 10)
			json_array_append_new(
				out, json_pack("{s:s s:I}", "user", t.v[i].user,
					       "messages",
					       (json_int_t)t.v[i].messages));
		gv_free(t.v[i].user);
	}
	gv_free(t.v);
	intel_cache_free(&t.index);
	return out;
}

struct ent_text {
	char *value, *name;
};

static int ent_text_cb(void *ctx, const struct gv_sql_row *row)
{
	struct ent_text *e = ctx;
	e->value = gv_strdup(row->col[0].s ? row->col[0].s : "");
	e->name = row->col[1].type == GV_SQL_NULL ? NULL :
						    gv_strdup(row->col[1].s);
	return 1;
}

static int campaigns(struct gv_intel_store *st,
		     const struct gv_intel_report_query *q, json_t *rows,
		     const char **error_r)
{
	struct gv_sql_val p[2] = { GV_SQL_I(report_day(q->since, false)),
				   GV_SQL_I(report_day(q->until, true)) };
	struct intel_roots *roots;
	if (intel_roots_load(st, &roots, error_r) < 0)
		return -1;
	struct camps_ctx c = { .roots = roots,
			       .index = intel_cache_new(SIZE_MAX / 2) };
	int rc = intel_sql_run(st, &q_campaigns, p, 2, camps_cb, &c, error_r);
	/* A root whose own messages fall outside the period: its name. */
	for (size_t i = 0; rc > 0 && i < c.n; i++) {
		if (c.v[i].value != NULL)
			continue;
		struct ent_text e = { NULL, NULL };
		struct gv_sql_val id[1] = { GV_SQL_I(c.v[i].root) };
		if (intel_sql_run(st, &q_campaign_entity, id, 1, ent_text_cb,
				  &e, error_r) < 0)
			rc = -1;
		c.v[i].value = e.value ? e.value : gv_strdup("");
		c.v[i].name = e.name;
	}
	if (rc > 0 && c.n > 1)
		qsort(c.v, c.n, sizeof(*c.v), camp_cmp);
	size_t shown = 0;
	for (size_t i = 0; i < c.n; i++) {
		struct camp *k = &c.v[i];
		if (rc > 0 && shown < q->limit &&
		    (k->messages >= 2 || !is_cluster(k->value))) {
			json_t *targets = campaign_targets(st, k, p, &rc,
							   error_r);
			json_array_append_new(
				rows,
				json_pack("{s:s s:o s:I s:I s:I s:I s:o}",
					  "campaign", k->value, "name",
					  k->name ? json_string(k->name) :
						    json_null(),
					  "messages", (json_int_t)k->messages,
					  "malicious", (json_int_t)k->malicious,
					  "first_seen", (json_int_t)k->first,
					  "last_seen", (json_int_t)k->last,
					  "targets", targets));
			shown++;
		}
		gv_free(k->value);
		gv_free(k->name);
		gv_free(k->members);
	}
	gv_free(c.v);
	intel_cache_free(&c.index);
	intel_roots_free(&roots);
	return rc;
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
	case GV_REPORT_NEIGHBORS: {
		/* best effort: unmerged runs are read (slower) when it fails */
		const char *serr;
		if (intel_relation_runs_settle(st, &serr) < 0)
			gv_log(GV_LOG_INFO, "intel: relation runs not merged"
			       " before the walk: %s", serr);
		rc = report_neighbors(st, &q, doc, error_r);
		break;
	}
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
	/* nested documents (an alert's details) stay in the JSON output: a
	 * tab-separated line cannot show them usefully */
	const char *k;
	json_t *v;
	json_object_foreach(first, k, v)
		if (!json_is_object(v) && !json_is_array(v))
			fprintf(out, "%s\t", k);
	fputc('\n', out);
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		json_object_foreach(row, k, v) {
			json_t *f = json_object_get(first, k);
			if (f && (json_is_object(f) || json_is_array(f)))
				continue;
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
