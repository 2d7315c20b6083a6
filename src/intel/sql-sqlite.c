/*
 * SQLite driver for the intel store: WAL journal, synchronous=NORMAL (a
 * power loss may lose the last transactions but never corrupts; the
 * recorder's own journal covers the scan side), prepared statements cached
 * per connection by statement id. A lock held too long (busy_timeout) is an
 * error, which makes the recorder journal instead of blocking the scan.
 */
#include "intel/intel-private.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

struct gv_sql_conn {
	sqlite3 *db;
	sqlite3_stmt *stmts[GV_SQL_MAX_STMTS];
	/* $1..$n appear in order, so parameter i+1 is "$(i+1)" (checked at
	 * prepare): bind by position, no name lookups. */
	bool ordered[GV_SQL_MAX_STMTS];
	char error[512];
};

static const char *const sqlite_schema[] = {
	"PRAGMA journal_mode=WAL",
	"PRAGMA synchronous=NORMAL",
	/* The graph's indexes are written at random places: a 512 MiB page
	 * cache (allocated as pages are used; a batch of the relation and
	 * posting b-trees touches most of their pages at a million events)
	 * and memory-mapped reads keep hot index pages in memory;
	 * checkpointing every 256 MiB of WAL rather than 4 MiB means fewer
	 * fsyncs per event and a page that several batches rewrite (posting
	 * rows, rollups) is copied to the database once per checkpoint, not
	 * once per batch; the WAL file is cut back to 64 MiB after each.
	 * Measured with bench/intel.sh. */
	"PRAGMA cache_size=-524288",
	"PRAGMA mmap_size=268435456",
	"PRAGMA wal_autocheckpoint=65536",
	"PRAGMA journal_size_limit=67108864",
	"PRAGMA temp_store=MEMORY",
	"PRAGMA foreign_keys=OFF",
	"CREATE TABLE IF NOT EXISTS entity(id INTEGER PRIMARY KEY,"
	" kind INTEGER NOT NULL, value TEXT NOT NULL, name TEXT,"
	" first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
	" count INTEGER NOT NULL DEFAULT 0, UNIQUE(kind, value))",
	"CREATE TABLE IF NOT EXISTS relation(src INTEGER NOT NULL,"
	" type INTEGER NOT NULL, dst INTEGER NOT NULL,"
	" first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
	" count INTEGER NOT NULL, PRIMARY KEY(src, type, dst)) WITHOUT ROWID",
	"CREATE INDEX IF NOT EXISTS relation_dst ON relation(dst, type)",
	/* Relations an ingest batch adds, as one run per batch (keyed by
	 * the batch's first event id): appended to a plain rowid table, no
	 * key and no index (nothing looks a run row up: the merge every few
	 * runs (rollup.c) sorts them all, the graph walk merges the runs
	 * first and scans them only when the store is too busy to). */
	"CREATE TABLE IF NOT EXISTS relation_run(run INTEGER NOT NULL,"
	" src INTEGER NOT NULL, type INTEGER NOT NULL, dst INTEGER NOT NULL,"
	" first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
	" count INTEGER NOT NULL)",
	"CREATE TABLE IF NOT EXISTS relation_runs(run INTEGER PRIMARY KEY)",
	"CREATE TABLE IF NOT EXISTS event(id INTEGER PRIMARY KEY,"
	" uid TEXT NOT NULL, ts INTEGER NOT NULL, day INTEGER NOT NULL,"
	" message_id TEXT, subject TEXT, sender INTEGER, action INTEGER NOT NULL,"
	" score REAL NOT NULL, campaign INTEGER, source TEXT,"
	" edges TEXT, uid_key INTEGER NOT NULL)",
	"CREATE INDEX IF NOT EXISTS event_ts ON event(ts)",
	/* uid lookups by a hash of it (ingest.c uid_key) */
	"CREATE INDEX IF NOT EXISTS event_uid_key ON event(uid_key)",
	/* A message's edges are its event row's `edges` text; the other
	 * direction is one posting row per entity (its newest messages). */
	"CREATE TABLE IF NOT EXISTS posting(entity INTEGER PRIMARY KEY,"
	" events TEXT NOT NULL)",
	/* Findings are read by rule (recommendations), never by event:
	 * keyed by the rule's entity first, a batch appends at one place
	 * per rule instead of updating a second index (bench/intel.sh). */
	"CREATE TABLE IF NOT EXISTS finding(rule INTEGER NOT NULL,"
	" event INTEGER NOT NULL, idx INTEGER NOT NULL, score REAL,"
	" evidence TEXT, part TEXT, PRIMARY KEY(rule, event, idx))"
	" WITHOUT ROWID",
	"CREATE TABLE IF NOT EXISTS indicator(id INTEGER PRIMARY KEY,"
	" kind INTEGER NOT NULL, regex INTEGER NOT NULL, value TEXT NOT NULL,"
	" entity INTEGER NOT NULL, first_seen INTEGER NOT NULL,"
	" UNIQUE(kind, regex, value))",
	"CREATE TABLE IF NOT EXISTS day_target(day INTEGER NOT NULL,"
	" usr INTEGER NOT NULL, total INTEGER NOT NULL,"
	" malicious INTEGER NOT NULL, max_score REAL NOT NULL,"
	" PRIMARY KEY(usr, day)) WITHOUT ROWID",
	"CREATE TABLE IF NOT EXISTS day_target_campaign(day INTEGER NOT NULL,"
	" usr INTEGER NOT NULL, campaign INTEGER NOT NULL,"
	" count INTEGER NOT NULL, PRIMARY KEY(usr, campaign, day))"
	" WITHOUT ROWID",
	"CREATE TABLE IF NOT EXISTS day_stat(day INTEGER NOT NULL,"
	" kind INTEGER NOT NULL, entity INTEGER NOT NULL,"
	" count INTEGER NOT NULL, malicious INTEGER NOT NULL,"
	" PRIMARY KEY(day, kind, entity)) WITHOUT ROWID",
	"CREATE INDEX IF NOT EXISTS day_target_campaign_c ON"
	" day_target_campaign(campaign, day)",
	"CREATE TABLE IF NOT EXISTS day_campaign(campaign INTEGER NOT NULL,"
	" day INTEGER NOT NULL, messages INTEGER NOT NULL, malicious INTEGER NOT NULL,"
	" first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
	" PRIMARY KEY(campaign, day)) WITHOUT ROWID",
	"CREATE TABLE IF NOT EXISTS target_total(usr INTEGER PRIMARY KEY,"
	" total INTEGER NOT NULL, malicious INTEGER NOT NULL, max_score REAL NOT NULL)",
	"CREATE INDEX IF NOT EXISTS target_total_mal ON"
	" target_total(malicious, total)",
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT)",
	"INSERT INTO meta(key, value) VALUES('schema', '4')"
	" ON CONFLICT DO NOTHING",
	"CREATE TABLE IF NOT EXISTS stix_object(stix_id TEXT NOT NULL,"
	" entity INTEGER NOT NULL, PRIMARY KEY(stix_id, entity)) WITHOUT ROWID",
	/* Alerts and lookalikes other detectors keep here (alerts.c). */
	"CREATE TABLE IF NOT EXISTS alert(id INTEGER PRIMARY KEY,"
	" key TEXT NOT NULL UNIQUE, entity INTEGER NOT NULL,"
	" detector TEXT NOT NULL, kind TEXT NOT NULL, severity INTEGER NOT NULL,"
	" ts INTEGER NOT NULL, usr TEXT, ip TEXT, domain TEXT, title TEXT,"
	" summary TEXT, details TEXT)",
	"CREATE INDEX IF NOT EXISTS alert_ts ON alert(ts)",
	"CREATE TABLE IF NOT EXISTS cluster_feature(feature TEXT PRIMARY KEY,"
	" cluster INTEGER NOT NULL) WITHOUT ROWID",
	"CREATE TABLE IF NOT EXISTS cluster_parent(cluster INTEGER PRIMARY KEY,"
	" parent INTEGER NOT NULL)",
	"CREATE TABLE IF NOT EXISTS lookalike(domain INTEGER NOT NULL,"
	" brand INTEGER NOT NULL, technique TEXT, score INTEGER NOT NULL,"
	" first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, source TEXT,"
	" PRIMARY KEY(domain, brand)) WITHOUT ROWID",
	NULL
};

static int fail(struct gv_sql_conn *c, const char *what, const char **error_r)
{
	snprintf(c->error, sizeof(c->error), "sqlite: %s: %s", what,
		 sqlite3_errmsg(c->db));
	*error_r = c->error;
	return -1;
}

/* uid_key(uid): intel_uid_key in SQL, so statements can look an event up
 * by its uid text through the uid_key index (ingest.c, report-graph.c). */
static void uid_key_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const unsigned char *t = sqlite3_value_text(argv[0]);
	if (t == NULL)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_int64(ctx, intel_uid_key((const char *)t));
}

static int sq_open(const char *path, unsigned busy_ms,
		   struct gv_sql_conn **conn_r, const char **error_r)
{
	struct gv_sql_conn *c = gv_calloc(1, sizeof(*c));
	int rc = sqlite3_open_v2(path, &c->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
					 SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (rc != SQLITE_OK) {
		snprintf(c->error, sizeof(c->error), "sqlite: %s: %s", path,
			 c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		static char err[512];
		memcpy(err, c->error, sizeof(err));
		*error_r = err;
		sqlite3_close(c->db);
		gv_free(c);
		return -1;
	}
	sqlite3_busy_timeout(c->db, (int)(busy_ms ? busy_ms : 2000));
	sqlite3_create_function(c->db, "uid_key", 1,
				SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
				uid_key_fn, NULL, NULL);
	*conn_r = c;
	return 1;
}

static void sq_close(struct gv_sql_conn *c)
{
	for (size_t i = 0; i < GV_SQL_MAX_STMTS; i++)
		sqlite3_finalize(c->stmts[i]);
	sqlite3_close(c->db);
	gv_free(c);
}

static int sq_exec(struct gv_sql_conn *c, const char *sql, const char **error_r)
{
	/* Every transaction of the store writes: take the write lock at BEGIN
	 * (waiting up to busy_timeout for another writer). A deferred BEGIN
	 * would read first (which uids are stored, the largest event id) and
	 * then fail at its first write with SQLITE_BUSY_SNAPSHOT whenever
	 * another process committed in between. */
	if (strcmp(sql, "BEGIN") == 0)
		sql = "BEGIN IMMEDIATE";
	char *msg = NULL;
	if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(c->error, sizeof(c->error), "sqlite: %s",
			 msg ? msg : sqlite3_errmsg(c->db));
		sqlite3_free(msg);
		*error_r = c->error;
		return -1;
	}
	return 1;
}

static bool params_ordered(sqlite3_stmt *s)
{
	int n = sqlite3_bind_parameter_count(s);
	for (int i = 1; i <= n; i++) {
		char want[16];
		snprintf(want, sizeof(want), "$%d", i % 100000);
		const char *name = sqlite3_bind_parameter_name(s, i);
		if (name == NULL || strcmp(name, want) != 0)
			return false;
	}
	return true;
}

static int bind_all(struct gv_sql_conn *c, sqlite3_stmt *s, bool ordered,
		    const struct gv_sql_val *p, size_t n, const char **error_r)
{
	int count = sqlite3_bind_parameter_count(s);
	for (size_t i = 0; i < n; i++) {
		int idx;
		if (ordered) {
			idx = (int)i + 1;
			if (idx > count)
				break; /* the statement does not use it */
		} else {
			char name[32];
			snprintf(name, sizeof(name), "$%u",
				 (unsigned)(i + 1) & 0xffffu);
			idx = sqlite3_bind_parameter_index(s, name);
			if (idx == 0)
				continue;
		}
		int rc;
		switch (p[i].type) {
		case GV_SQL_INT:
			rc = sqlite3_bind_int64(s, idx, p[i].i);
			break;
		case GV_SQL_REAL:
			rc = sqlite3_bind_double(s, idx, p[i].d);
			break;
		case GV_SQL_TEXT:
			rc = sqlite3_bind_text(s, idx, p[i].s, -1,
					       SQLITE_STATIC);
			break;
		default:
			rc = sqlite3_bind_null(s, idx);
		}
		if (rc != SQLITE_OK)
			return fail(c, "bind", error_r);
	}
	return 1;
}

static int run(struct gv_sql_conn *c, const struct gv_sql_stmt *st,
	       const struct gv_sql_val *params, size_t n, gv_sql_row_cb *cb,
	       void *ctx, bool ints, const char **error_r)
{
	gv_assert(st->id < GV_SQL_MAX_STMTS);
	sqlite3_stmt *s = c->stmts[st->id];
	if (s == NULL) {
		if (sqlite3_prepare_v3(c->db, st->sql, -1,
				       SQLITE_PREPARE_PERSISTENT, &s,
				       NULL) != SQLITE_OK)
			return fail(c, "prepare", error_r);
		c->stmts[st->id] = s;
		c->ordered[st->id] = params_ordered(s);
	}
	if (bind_all(c, s, c->ordered[st->id], params, n, error_r) < 0) {
		sqlite3_reset(s);
		return -1;
	}
	int ret = 1;
	struct gv_sql_val cols[32];
	for (;;) {
		int rc = sqlite3_step(s);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW) {
			ret = fail(c, "step", error_r);
			break;
		}
		if (cb == NULL)
			continue;
		int nc = sqlite3_column_count(s);
		if (nc > 32)
			nc = 32;
		for (int i = 0; i < nc; i++) {
			int t = sqlite3_column_type(s, i);
			cols[i] = (struct gv_sql_val){ 0 };
			if (t == SQLITE_NULL) {
				cols[i].type = GV_SQL_NULL;
				continue;
			}
			cols[i].type = t == SQLITE_INTEGER ? GV_SQL_INT :
				       t == SQLITE_FLOAT   ? GV_SQL_REAL :
							     GV_SQL_TEXT;
			cols[i].i = sqlite3_column_int64(s, i);
			if (ints && t == SQLITE_INTEGER)
				continue;
			cols[i].d = sqlite3_column_double(s, i);
			cols[i].s = (const char *)sqlite3_column_text(s, i);
		}
		struct gv_sql_row row = { .n = (size_t)nc, .col = cols };
		int r = cb(ctx, &row);
		if (r < 0) {
			snprintf(c->error, sizeof(c->error),
				 "sqlite: row callback failed");
			*error_r = c->error;
			ret = -1;
			break;
		}
		if (r > 0)
			break;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

static int sq_run(struct gv_sql_conn *c, const struct gv_sql_stmt *st,
		  const struct gv_sql_val *params, size_t n, gv_sql_row_cb *cb,
		  void *ctx, const char **error_r)
{
	return run(c, st, params, n, cb, ctx, false, error_r);
}

static int sq_run_ints(struct gv_sql_conn *c, const struct gv_sql_stmt *st,
		       const struct gv_sql_val *params, size_t n,
		       gv_sql_row_cb *cb, void *ctx, const char **error_r)
{
	return run(c, st, params, n, cb, ctx, true, error_r);
}

const struct gv_sql_driver gv_sql_driver_sqlite = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.exec = sq_exec,
	.run = sq_run,
	.run_ints = sq_run_ints,
	.schema = sqlite_schema,
};
