/*
 * Writing a batch's aggregated sums: entity counts, relations and the
 * per-day / all-time rollups the reports read. Each aggregate map becomes
 * multi-row statements (up to ~120 parameters: e.g. 17 relation rows per
 * statement) so a batch costs a few statement executions — and, on
 * PostgreSQL, a few round trips — per table instead of one per row. Every
 * key occurs once per map, which is what makes a multi-row upsert legal on
 * PostgreSQL ("cannot affect row a second time" cannot happen).
 * Statement ids 100..127 (two per table and dialect-shared).
 */
#include "intel/intel-map.h"
#include "intel/intel-private.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct table {
	/* SQL before the VALUES rows, and after; pg variants may be NULL. */
	const char *head, *head_pg, *tail, *tail_pg;
	int cols;
	bool cast; /* rows in an UPDATE ... FROM (VALUES): type them */
	void (*row)(const struct intel_agg_slot *s, struct gv_sql_val *out);
};

#define UPSERT_MINMAX(t, f)                                                  \
	" first_seen = " f "(" t ".first_seen, excluded.first_seen),"        \
	" last_seen = " f "(" t ".last_seen, excluded.last_seen)"

static void row_entity(const struct intel_agg_slot *s, struct gv_sql_val *o)
{
	o[0] = GV_SQL_I(s->k[0]);
	o[1] = GV_SQL_I(s->count);
	o[2] = GV_SQL_I(s->first);
	o[3] = GV_SQL_I(s->last);
}

static void row_relation(const struct intel_agg_slot *s, struct gv_sql_val *o)
{
	/* o[0]: the run, set by intel_rollup_flush */
	o[1] = GV_SQL_I(s->k[0]);
	o[2] = GV_SQL_I(s->k[1]);
	o[3] = GV_SQL_I(s->k[2]);
	o[4] = GV_SQL_I(s->first);
	o[5] = GV_SQL_I(s->last);
	o[6] = GV_SQL_I(s->count);
}

static void row_target(const struct intel_agg_slot *s, struct gv_sql_val *o)
{
	o[0] = GV_SQL_I(s->k[1]); /* usr */
	o[1] = GV_SQL_I(s->k[0]); /* day */
	o[2] = GV_SQL_I(s->count);
	o[3] = GV_SQL_I(s->malicious);
	o[4] = GV_SQL_D(s->max_score);
}

static void row_target_all(const struct intel_agg_slot *s,
			   struct gv_sql_val *o)
{
	o[0] = GV_SQL_I(s->k[0]);
	o[1] = GV_SQL_I(s->count);
	o[2] = GV_SQL_I(s->malicious);
	o[3] = GV_SQL_D(s->max_score);
}

static void row_target_campaign(const struct intel_agg_slot *s,
				struct gv_sql_val *o)
{
	o[0] = GV_SQL_I(s->k[1]); /* usr */
	o[1] = GV_SQL_I(s->k[2]); /* campaign */
	o[2] = GV_SQL_I(s->k[0]); /* day */
	o[3] = GV_SQL_I(s->count);
}

static void row_stat(const struct intel_agg_slot *s, struct gv_sql_val *o)
{
	o[0] = GV_SQL_I(s->k[0]);
	o[1] = GV_SQL_I(s->k[1]);
	o[2] = GV_SQL_I(s->k[2]);
	o[3] = GV_SQL_I(s->count);
	o[4] = GV_SQL_I(s->malicious);
}

static void row_campaign(const struct intel_agg_slot *s, struct gv_sql_val *o)
{
	o[0] = GV_SQL_I(s->k[0]);
	o[1] = GV_SQL_I(s->k[1]);
	o[2] = GV_SQL_I(s->count);
	o[3] = GV_SQL_I(s->malicious);
	o[4] = GV_SQL_I(s->first);
	o[5] = GV_SQL_I(s->last);
}

static const struct table tables[INTEL_ROLLUP_MAX] = {
	[INTEL_ROLLUP_ENTITY] = {
		"UPDATE entity SET count = entity.count + v.column2,"
		" first_seen = min(entity.first_seen, v.column3),"
		" last_seen = max(entity.last_seen, v.column4) FROM (VALUES",
		"UPDATE entity SET count = entity.count + v.column2,"
		" first_seen = LEAST(entity.first_seen, v.column3),"
		" last_seen = GREATEST(entity.last_seen, v.column4) FROM (VALUES",
		") AS v WHERE entity.id = v.column1", NULL, 4, true, row_entity },
	/* Appended as the batch's run (see relation_run in the schema):
	 * column 1 is the run id, not a slot field. */
	[INTEL_ROLLUP_RELATION] = {
		"INSERT INTO relation_run(run, src, type, dst, first_seen,"
		" last_seen, count) VALUES", NULL, "", NULL, 7, false,
		row_relation },
	[INTEL_ROLLUP_TARGET] = {
		"INSERT INTO day_target(usr, day, total, malicious, max_score)"
		" VALUES", NULL,
		" ON CONFLICT(usr, day) DO UPDATE SET"
		" total = day_target.total + excluded.total,"
		" malicious = day_target.malicious + excluded.malicious,"
		" max_score = max(day_target.max_score, excluded.max_score)",
		" ON CONFLICT(usr, day) DO UPDATE SET"
		" total = day_target.total + excluded.total,"
		" malicious = day_target.malicious + excluded.malicious,"
		" max_score = GREATEST(day_target.max_score,"
		" excluded.max_score)", 5, false, row_target },
	[INTEL_ROLLUP_TARGET_ALL] = {
		"INSERT INTO target_total(usr, total, malicious, max_score)"
		" VALUES", NULL,
		" ON CONFLICT(usr) DO UPDATE SET"
		" total = target_total.total + excluded.total,"
		" malicious = target_total.malicious + excluded.malicious,"
		" max_score = max(target_total.max_score, excluded.max_score)",
		" ON CONFLICT(usr) DO UPDATE SET"
		" total = target_total.total + excluded.total,"
		" malicious = target_total.malicious + excluded.malicious,"
		" max_score = GREATEST(target_total.max_score,"
		" excluded.max_score)", 4, false, row_target_all },
	[INTEL_ROLLUP_TARGET_CAMPAIGN] = {
		"INSERT INTO day_target_campaign(usr, campaign, day, count)"
		" VALUES", NULL,
		" ON CONFLICT(usr, campaign, day) DO UPDATE SET"
		" count = day_target_campaign.count + excluded.count", NULL, 4,
		false, row_target_campaign },
	[INTEL_ROLLUP_STAT] = {
		"INSERT INTO day_stat(day, kind, entity, count, malicious)"
		" VALUES", NULL,
		" ON CONFLICT(day, kind, entity) DO UPDATE"
		" SET count = day_stat.count + excluded.count,"
		" malicious = day_stat.malicious + excluded.malicious", NULL,
		5, false, row_stat },
	[INTEL_ROLLUP_CAMPAIGN] = {
		"INSERT INTO day_campaign(campaign, day, messages, malicious,"
		" first_seen, last_seen) VALUES", NULL,
		" ON CONFLICT(campaign, day) DO UPDATE SET"
		" messages = day_campaign.messages + excluded.messages,"
		" malicious = day_campaign.malicious + excluded.malicious,"
		UPSERT_MINMAX("day_campaign", "min"),
		" ON CONFLICT(campaign, day) DO UPDATE SET"
		" messages = day_campaign.messages + excluded.messages,"
		" malicious = day_campaign.malicious + excluded.malicious,"
		UPSERT_MINMAX("day_campaign", "LEAST"), 6, false,
		row_campaign },
};

#define MAX_PARAMS 120
#define SQL_SIZE 16384

/* [table][0 many, 1 one] */
static char sql_text[INTEL_ROLLUP_MAX][2][2][SQL_SIZE]; /* [..][sqlite|pg] */
static struct gv_sql_stmt stmts[INTEL_ROLLUP_MAX][2];
static int rows_per[INTEL_ROLLUP_MAX];

static void build(char *out, const char *head, const char *tail, int cols,
		  int rows, bool cast)
{
	size_t n = (size_t)snprintf(out, SQL_SIZE, "%s", head);
	int k = 1;
	for (int r = 0; r < rows; r++) {
		n += (size_t)snprintf(out + n, SQL_SIZE - n, "%s(",
				      r ? "," : " ");
		for (int c = 0; c < cols; c++)
			n += (size_t)snprintf(out + n, SQL_SIZE - n,
					      cast ? "%sCAST($%d AS BIGINT)" :
						     "%s$%d",
					      c ? "," : "", k++);
		n += (size_t)snprintf(out + n, SQL_SIZE - n, ")");
	}
	n += (size_t)snprintf(out + n, SQL_SIZE - n, "%s", tail);
	gv_assert(n + 1 < SQL_SIZE);
}

static void build_all(void)
{
	for (int t = 0; t < INTEL_ROLLUP_MAX; t++) {
		const struct table *tb = &tables[t];
		rows_per[t] = MAX_PARAMS / tb->cols;
		for (int one = 0; one < 2; one++) {
			int rows = one ? 1 : rows_per[t];
			build(sql_text[t][one][0], tb->head, tb->tail, tb->cols,
			      rows, tb->cast);
			build(sql_text[t][one][1],
			      tb->head_pg ? tb->head_pg : tb->head,
			      tb->tail_pg ? tb->tail_pg : tb->tail, tb->cols,
			      rows, tb->cast);
			stmts[t][one] = (struct gv_sql_stmt){
				.id = (unsigned)(100 + t * 2 + one),
				.sql = sql_text[t][one][0],
				.pg = sql_text[t][one][1],
			};
		}
	}
}

/* Sorted by value (keys copied next to the slot pointer): comparing
 * through the pointers cost a cache miss per comparison. Keys first, for
 * intel_sort3. */
struct keyed {
	int64_t k[3];
	const struct intel_agg_slot *s;
};

int intel_rollup_flush(struct gv_intel_store *st, enum intel_rollup which,
		       const struct intel_agg *agg, int64_t run,
		       const char **error_r)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, build_all);
	const struct table *tb = &tables[which];
	size_t cols = (size_t)tb->cols, per = (size_t)rows_per[which];
	struct gv_sql_val vals[MAX_PARAMS];
	/* Rows in key order: consecutive upserts then land on the same or
	 * neighbouring b-tree pages instead of anywhere. */
	struct keyed *order = gv_calloc(agg->used + 1, sizeof(*order));
	size_t m = 0;
	for (size_t i = 0; i < agg->cap; i++)
		if (intel_agg_used(&agg->slots[i]))
			order[m++] = (struct keyed){
				{ agg->slots[i].k[0], agg->slots[i].k[1],
				  agg->slots[i].k[2] },
				&agg->slots[i]
			};
	intel_sort3(order, m, sizeof(*order));
	size_t n = 0;
	int ret = 1;
	for (size_t i = 0; ret > 0 && i < m; i++) {
		tb->row(order[i].s, vals + n * cols);
		if (which == INTEL_ROLLUP_RELATION)
			vals[n * cols] = GV_SQL_I(run);
		if (++n == per) {
			if (intel_sql_run(st, &stmts[which][0], vals, n * cols,
					  NULL, NULL, error_r) < 0)
				ret = -1;
			n = 0;
		}
	}
	for (size_t r = 0; ret > 0 && r < n; r++)
		if (intel_sql_run(st, &stmts[which][1], vals + r * cols, cols,
				  NULL, NULL, error_r) < 0)
			ret = -1;
	gv_free(order);
	return ret;
}

/* ---- relation runs ---- */

/* Runs accumulate until this many, then the batch that adds the last one
 * merges them all into `relation` (one sorted pass over its b-tree and
 * index instead of one per batch). More runs mean cheaper ingest and more
 * index seeks per relation lookup (one per run). */
#define RUNS_MERGE 16
#define RUNS_CHUNK 32

static const struct gv_sql_stmt q_run_add = {
	114, "INSERT INTO relation_runs(run) VALUES($1)", NULL
};
static const struct gv_sql_stmt q_run_count = {
	115, "SELECT count(*) FROM relation_runs", NULL
};
/* PostgreSQL: the runs are locked, so of two hosts merging at once the
 * second waits and then sees only the runs still there. */
static const struct gv_sql_stmt q_run_list = {
	116, "SELECT run FROM relation_runs ORDER BY run",
	"SELECT run FROM relation_runs ORDER BY run FOR UPDATE"
};
static char merge_sql[2][2048];
static char run_del_sql[2][512];
static const struct gv_sql_stmt q_run_merge = { 117, merge_sql[0],
						merge_sql[1] };
/* SQLite: one writer at a time, so the runs listed are all there are and
 * the table is emptied whole (no per-row deletes: truncated); PostgreSQL
 * deletes the runs this host merged. */
static const struct gv_sql_stmt q_run_del = { 118, "DELETE FROM relation_run",
					      run_del_sql[0] };
static const struct gv_sql_stmt q_runs_del = { 119, "DELETE FROM relation_runs",
					       run_del_sql[1] };

static void build_runs(void)
{
	char in[RUNS_CHUNK * 5 + 8];
	size_t n = 0;
	for (int i = 1; i <= RUNS_CHUNK; i++)
		n += (size_t)snprintf(in + n, sizeof(in) - n, "%s$%d",
				      i > 1 ? "," : "", i);
	for (int pg = 0; pg < 2; pg++)
		snprintf(merge_sql[pg], sizeof(merge_sql[pg]),
			 "INSERT INTO relation(src, type, dst, first_seen,"
			 " last_seen, count) SELECT src, type, dst,"
			 " min(first_seen), max(last_seen), sum(count)"
			 " FROM relation_run WHERE run IN (%s)"
			 " GROUP BY src, type, dst ORDER BY src, type, dst"
			 " ON CONFLICT(src, type, dst) DO UPDATE SET"
			 " count = relation.count + excluded.count,%s",
			 in,
			 pg ? UPSERT_MINMAX("relation", "LEAST") :
			      UPSERT_MINMAX("relation", "min"));
	snprintf(run_del_sql[0], sizeof(run_del_sql[0]),
		 "DELETE FROM relation_run WHERE run IN (%s)", in); /* pg */
	snprintf(run_del_sql[1], sizeof(run_del_sql[1]),
		 "DELETE FROM relation_runs WHERE run IN (%s)", in);
}

struct run_list {
	int64_t *v;
	size_t n, cap;
};

static int run_cb(void *ctx, const struct gv_sql_row *row)
{
	struct run_list *l = ctx;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = gv_realloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = row->col[0].i;
	return 0;
}

/* Merges every registered run into `relation` and empties the runs;
 * inside the caller's transaction. */
static int runs_merge(struct gv_intel_store *st, const char **error_r)
{
	struct gv_sql_val p[RUNS_CHUNK];
	struct run_list l = { 0 };
	int ret = intel_sql_run(st, &q_run_list, NULL, 0, run_cb, &l, error_r);
	/* every run merged first, then deleted (on SQLite the first delete
	 * empties the tables) */
	for (int del = 0; del < 2; del++)
		for (size_t i = 0; ret > 0 && i < l.n; i += RUNS_CHUNK) {
			/* unused places repeat a run: IN ignores duplicates */
			for (size_t k = 0; k < RUNS_CHUNK; k++)
				p[k] = GV_SQL_I(l.v[i + k < l.n ? i + k : i]);
			if ((!del && intel_sql_run(st, &q_run_merge, p,
						   RUNS_CHUNK, NULL, NULL,
						   error_r) < 0) ||
			    (del && (intel_sql_run(st, &q_run_del, p, RUNS_CHUNK,
						   NULL, NULL, error_r) < 0 ||
				     intel_sql_run(st, &q_runs_del, p,
						   RUNS_CHUNK, NULL, NULL,
						   error_r) < 0)))
				ret = -1;
		}
	gv_free(l.v);
	return ret;
}

int intel_relation_run_done(struct gv_intel_store *st, int64_t run,
			    const char **error_r)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, build_runs);
	struct gv_sql_val p[1] = { GV_SQL_I(run) };
	int64_t runs = 0;
	if (intel_sql_run(st, &q_run_add, p, 1, NULL, NULL, error_r) < 0 ||
	    intel_sql_int(st, &q_run_count, NULL, 0, &runs, error_r) < 0)
		return -1;
	if (runs < RUNS_MERGE)
		return 1;
	return runs_merge(st, error_r);
}

int intel_relation_runs_settle(struct gv_intel_store *st,
			       const char **error_r)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, build_runs);
	int64_t runs = 0;
	if (st->in_tx)
		return 1;
	if (intel_sql_int(st, &q_run_count, NULL, 0, &runs, error_r) < 0)
		return -1;
	if (runs == 0)
		return 1;
	int rc = intel_begin(st, error_r);
	if (rc > 0)
		rc = runs_merge(st, error_r);
	if (rc > 0)
		return intel_commit(st, error_r);
	if (st->in_tx)
		intel_rollback(st);
	return -1;
}
