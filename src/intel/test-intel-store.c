/*
 * Store tests, run unchanged against every backend: SQLite (a temp file,
 * suite 'unit') and PostgreSQL (tests/e2e/intel-pg.sh starts a real server
 * and sets GV_TEST_STORE=postgres:<conninfo>, plus GV_TEST_STORE_STOP /
 * GV_TEST_STORE_START shell commands used by the outage test).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intel/intel-journal.h"
#include "intel/intel-map.h"
#include "intel/intel-private.h"
#include "intel/intel.h"
#include "util/util.h"

static char tmpdir[256];
static char uri[1024];
static int test_no;

static bool is_pg(void)
{
	return strncmp(uri, "postgres", 8) == 0;
}

/* A fresh, empty store for each test. */
static int setup(void **state)
{
	(void)state;
	const char *env = getenv("GV_TEST_STORE");
	test_no++;
	if (env != NULL && *env != '\0') {
		snprintf(uri, sizeof(uri), "%s", env);
		PGconn *c = PQconnectdb(uri + strlen("postgres:"));
		assert_int_equal(PQstatus(c), CONNECTION_OK);
		PGresult *r = PQexec(c, "SET client_min_messages = warning;"
					"DROP SCHEMA public CASCADE;"
					"CREATE SCHEMA public");
		assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
		PQclear(r);
		PQfinish(c);
	} else {
		snprintf(uri, sizeof(uri), "sqlite:%s/store-%d.db", tmpdir,
			 test_no);
	}
	return 0;
}

static struct gv_intel_store *open_store(void)
{
	struct gv_intel_store_settings s = { .uri = uri,
					     .busy_timeout_ms = 100 };
	struct gv_intel_store *st = NULL;
	const char *err = NULL;
	if (gv_intel_store_open(&s, &st, &err) < 0)
		fail_msg("open %s: %s", uri, err);
	return st;
}

/* A phishing-like event; i varies ids and users. */
static void make_event(struct gv_intel_event *ev, char *idbuf, size_t n,
		       int i, const char *const *rcpts,
		       const struct gv_intel_url *urls,
		       const struct gv_intel_finding *findings,
		       const struct gv_intel_attachment *att)
{
	snprintf(idbuf, n, "evt-%d", i);
	static const char *const ips[] = { "203.0.113.7" };
	*ev = (struct gv_intel_event){
		.event_id = idbuf,
		.time = 1767225600 + i * 3600, /* 2026-01-01 + i hours */
		.message_id = "<m@example.net>",
		.envelope_from = "bounce@evil.example",
		.envelope_rcpts = rcpts,
		.n_envelope_rcpts = 2,
		.from = "billing@evil.example",
		.subject = "Invoice",
		.action = i % 2 ? GV_ACT_QUARANTINE : GV_ACT_TAG,
		.score = 7.5,
		.findings = findings,
		.n_findings = 1,
		.urls = urls,
		.n_urls = 1,
		.ips = ips,
		.n_ips = 1,
		.attachments = att,
		.n_attachments = 1,
		.source = "test",
	};
}

static const char *const rcpts[] = { "Alice@Corp.example",
				     "bob@corp.example" };
static const struct gv_intel_url urls[] = {
	{ "http://login.evil.example/inv/123", "login.evil.example",
	  "evil.example", "href" }
};
static const struct gv_intel_finding findings[] = {
	{ "url", "lure-login", 5.0, "login form", "1.2" }
};
static const struct gv_intel_attachment att[] = {
	{ "inv.docm", "application/vnd.ms-word.document.macroEnabled.12", 1234,
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  NULL }
};

static void ingest_n(struct gv_intel_store *st, int from, int to,
		     size_t *inserted_r)
{
	struct gv_intel_event evs[64];
	char ids[64][32];
	const struct gv_intel_event *ptrs[64];
	assert_true(to - from <= 64);
	for (int i = from; i < to; i++) {
		make_event(&evs[i - from], ids[i - from], 32, i, rcpts, urls,
			   findings, att);
		ptrs[i - from] = &evs[i - from];
	}
	const char *err = NULL;
	if (gv_intel_store_ingest(st, ptrs, (size_t)(to - from), inserted_r,
				  &err) < 0)
		fail_msg("ingest: %s", err);
}

static void test_ingest_counts(void **state)
{
	(void)state;
	struct gv_intel_store *st = open_store();
	size_t ins;
	ingest_n(st, 0, 10, &ins);
	assert_int_equal(ins, 10);
	struct gv_intel_counts c1, c2;
	const char *err;
	assert_int_equal(gv_intel_store_counts(st, &c1, &err), 1);
	assert_int_equal(c1.events, 10);
	assert_int_equal(c1.findings, 10);
	assert_int_equal(c1.by_kind[GV_ENT_USER], 2); /* case folded */
	assert_int_equal(c1.by_kind[GV_ENT_SENDER], 2);
	assert_int_equal(c1.by_kind[GV_ENT_URL], 1);
	assert_int_equal(c1.by_kind[GV_ENT_DOMAIN], 1);
	assert_int_equal(c1.by_kind[GV_ENT_HASH], 1);
	/* Same events again (a replay): nothing changes. */
	ingest_n(st, 0, 10, &ins);
	assert_int_equal(ins, 0);
	assert_int_equal(gv_intel_store_counts(st, &c2, &err), 1);
	assert_memory_equal(&c1, &c2, sizeof(c1));
	/* The same new event twice in one batch: stored once. */
	struct gv_intel_event ev;
	char id[32];
	make_event(&ev, id, sizeof(id), 77, rcpts, urls, findings, att);
	const struct gv_intel_event *twice[2] = { &ev, &ev };
	assert_int_equal(gv_intel_store_ingest(st, twice, 2, &ins, &err), 1);
	assert_int_equal(ins, 1);
	assert_int_equal(gv_intel_store_counts(st, &c2, &err), 1);
	assert_int_equal(c2.events, 11);
	assert_int_equal(c2.findings, 11);
	gv_intel_store_close(&st);
	assert_null(st);
}

static void test_reports_from_store(void **state)
{
	(void)state;
	struct gv_intel_store *st = open_store();
	size_t ins;
	ingest_n(st, 0, 20, &ins);
	struct gv_intel_report_query q = { .kind = GV_REPORT_TARGETED };
	char *json = NULL;
	const char *err;
	if (gv_intel_report(st, &q, &json, &err) < 0)
		fail_msg("report: %s", err);
	/* 20 events to both users, 10 of them quarantined (odd i). */
	assert_non_null(strstr(json, "\"user\": \"alice@corp.example\""));
	assert_non_null(strstr(json, "\"malicious\": 10"));
	assert_non_null(strstr(json, "\"messages\": 20"));
	gv_free(json);
	q.kind = GV_REPORT_CAMPAIGNS;
	if (gv_intel_report(st, &q, &json, &err) < 0)
		fail_msg("report: %s", err);
	assert_non_null(strstr(json, "attachment:aaaa"));
	assert_non_null(strstr(json, "\"messages\": 20"));
	gv_free(json);
	q.kind = GV_REPORT_NEIGHBORS;
	q.entity = "user:bob@corp.example";
	q.depth = 2;
	if (gv_intel_report(st, &q, &json, &err) < 0)
		fail_msg("report: %s", err);
	assert_non_null(strstr(json, "billing@evil.example"));
	gv_free(json);
	gv_intel_store_close(&st);
}

/* ---- outage: the store goes away in the middle, nothing is lost ---- */

struct outage {
	sqlite3 *lock_db;
};

static void store_stop(struct outage *o)
{
	const char *cmd = getenv("GV_TEST_STORE_STOP");
	if (is_pg()) {
		assert_non_null(cmd);
		assert_int_equal(system(cmd), 0);
		return;
	}
	/* SQLite: another process holding the write lock makes the store
	 * unwritable for the recorder exactly like an unreachable server. */
	assert_int_equal(sqlite3_open(uri + 7, &o->lock_db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(o->lock_db, "BEGIN EXCLUSIVE", NULL,
				      NULL, NULL),
			 SQLITE_OK);
}

static void store_start(struct outage *o)
{
	const char *cmd = getenv("GV_TEST_STORE_START");
	if (is_pg()) {
		assert_non_null(cmd);
		assert_int_equal(system(cmd), 0);
		return;
	}
	sqlite3_exec(o->lock_db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(o->lock_db);
}

static void record_range(struct gv_intel_recorder *rec, int from, int to)
{
	for (int i = from; i < to; i++) {
		struct gv_intel_event ev;
		char id[32];
		make_event(&ev, id, sizeof(id), i, rcpts, urls, findings, att);
		const char *err;
		if (gv_intel_record(rec, &ev, &err) < 0)
			fail_msg("record: %s", err);
	}
}

static void test_outage_journal_replay(void **state)
{
	(void)state;
	struct gv_intel_store *st = open_store(); /* creates the schema */
	gv_intel_store_close(&st);
	char jdir[512];
	snprintf(jdir, sizeof(jdir), "%s/journal-%d", tmpdir, test_no);
	assert_int_equal(mkdir(jdir, 0700), 0);
	struct gv_intel_recorder_settings rs = {
		.store = { .uri = uri, .busy_timeout_ms = 100 },
		.journal_dir = jdir,
		.queue_size = 8, /* small: exercises the full-queue path too */
		.batch_size = 4,
		.retry_ms = 100,
	};
	struct gv_intel_recorder *rec;
	const char *err;
	assert_int_equal(gv_intel_recorder_start(&rs, &rec, &err), 1);
	record_range(rec, 0, 40);
	gv_intel_recorder_flush(rec);
	struct outage o = { 0 };
	store_stop(&o);
	record_range(rec, 40, 100); /* while the store is down */
	gv_intel_recorder_flush(rec);
	store_start(&o);
	record_range(rec, 100, 140);
	struct gv_intel_recorder_stats stats;
	int rc = gv_intel_recorder_stop(&rec, &stats, &err);
	if (rc != 1)
		fail_msg("stop: %d %s", rc, err);
	assert_int_equal(stats.recorded, 140);
	assert_int_equal(stats.lost, 0);
	assert_true(stats.journaled > 0); /* the outage was real */
	assert_int_equal(stats.stored, 140);
	st = open_store();
	struct gv_intel_counts c;
	assert_int_equal(gv_intel_store_counts(st, &c, &err), 1);
	assert_int_equal(c.events, 140);
	gv_intel_store_close(&st);
}

static void test_unreachable_at_start(void **state)
{
	(void)state;
	/* A store path that cannot be opened: everything is journaled, stop
	 * reports "kept in journal", and a later recorder replays it. */
	char jdir[512], bad[600], good[1024];
	snprintf(jdir, sizeof(jdir), "%s/journal-%d", tmpdir, test_no);
	assert_int_equal(mkdir(jdir, 0700), 0);
	snprintf(bad, sizeof(bad), "sqlite:%s/no/such/dir/x.db", tmpdir);
	struct gv_intel_recorder_settings rs = {
		.store = { .uri = bad }, .journal_dir = jdir, .retry_ms = 50
	};
	struct gv_intel_recorder *rec;
	const char *err;
	assert_int_equal(gv_intel_recorder_start(&rs, &rec, &err), 1);
	record_range(rec, 0, 25);
	struct gv_intel_recorder_stats stats;
	assert_int_equal(gv_intel_recorder_stop(&rec, &stats, &err), 0);
	assert_int_equal(stats.journaled, 25);
	snprintf(good, sizeof(good), "%s", uri);
	rs.store.uri = good;
	assert_int_equal(gv_intel_recorder_start(&rs, &rec, &err), 1);
	record_range(rec, 20, 30); /* 5 overlap: replay is idempotent */
	assert_int_equal(gv_intel_recorder_stop(&rec, &stats, &err), 1);
	assert_int_equal(stats.replayed, 25);
	struct gv_intel_store *st = open_store();
	struct gv_intel_counts c;
	assert_int_equal(gv_intel_store_counts(st, &c, &err), 1);
	assert_int_equal(c.events, 30);
	gv_intel_store_close(&st);
}

/* Store down and the journal's disk full (/dev/full answers every write
 * with ENOSPC): the loss is counted and reported with the cause, never
 * silent. */
static void test_journal_disk_full(void **state)
{
	(void)state;
	char jdir[512], jfile[600], bad[600];
	snprintf(jdir, sizeof(jdir), "%s/journal-%d", tmpdir, test_no);
	assert_int_equal(mkdir(jdir, 0700), 0);
	snprintf(jfile, sizeof(jfile), "%s/intel.journal", jdir);
	assert_int_equal(symlink("/dev/full", jfile), 0);
	snprintf(bad, sizeof(bad), "sqlite:%s/no/such/dir/x.db", tmpdir);
	struct gv_intel_recorder_settings rs = {
		.store = { .uri = bad }, .journal_dir = jdir, .queue_size = 4
	};
	struct gv_intel_recorder *rec;
	const char *err = NULL;
	assert_int_equal(gv_intel_recorder_start(&rs, &rec, &err), 1);
	int failed = 0;
	for (int i = 0; i < 20; i++) {
		struct gv_intel_event ev;
		char id[32];
		make_event(&ev, id, sizeof(id), i, rcpts, urls, findings, att);
		if (gv_intel_record(rec, &ev, &err) < 0) {
			failed++; /* full queue: the caller's own append failed */
			assert_non_null(strstr(err, "no space left on device"));
		}
	}
	struct gv_intel_recorder_stats stats;
	assert_int_equal(gv_intel_recorder_stop(&rec, &stats, &err), -1);
	assert_non_null(strstr(err, "no space left on device"));
	assert_int_equal(stats.recorded, 20);
	assert_int_equal(stats.lost, 20); /* every one accounted for */
	assert_int_equal(stats.journaled + stats.stored, 0);
	(void)failed;
}

static void test_journal_unwritable(void **state)
{
	(void)state;
	struct gv_intel_recorder_settings rs = {
		.store = { .uri = uri }, .journal_dir = "/nonexistent/dir"
	};
	struct gv_intel_recorder *rec;
	const char *err = NULL;
	assert_int_equal(gv_intel_recorder_start(&rs, &rec, &err), -1);
	assert_non_null(strstr(err, "/nonexistent/dir/intel.journal"));
}


/* ---- alerts and lookalikes from other detectors ---- */

static const struct gv_intel_alert alert_a = {
	.key = "watch:download:alice:S1",
	.detector = "watch",
	.kind = "mailbox",
	.severity = 3,
	.time = 1767300000,
	.user = "Alice@Corp.example",
	.ip = "203.0.113.9",
	.title = "Mailbox of alice downloaded",
	.summary = "300 of 300 messages fetched from a new IP",
	.details = "{\"messages\": 300, \"share\": 1.0}",
};
static const struct gv_intel_alert alert_b = {
	.key = "domains:lookalike:paypa1.com",
	.detector = "domains",
	.kind = "lookalike",
	.severity = 2,
	.time = 1767310000,
	.domain = "PAYPA1.com.",
	.title = "Lookalike of paypal.com",
	.details = "not json", /* kept as a JSON string */
};
static const struct gv_intel_lookalike lk_a = {
	.domain = "paypa1.com", .brand = "paypal.com",
	.technique = "homoglyph", .score = 80,
	.first_seen = 1767300000, .source = "newly-registered.txt",
};
static const struct gv_intel_lookalike lk_a2 = { /* seen again, closer */
	.domain = "PAYPA1.COM", .brand = "paypal.com",
	.technique = "replacement", .score = 92,
	.first_seen = 1767400000, .source = "other-feed.txt",
};
static const struct gv_intel_lookalike lk_b = {
	.domain = "micros0ft-support.com", .brand = "microsoft.com",
	.technique = "homoglyph", .score = 75, .first_seen = 1767350000,
};

static void store_alerts_lks(struct gv_intel_store *st, size_t *ins_a,
			     size_t *ins_l)
{
	const struct gv_intel_alert *al[] = { &alert_a, &alert_b, &alert_a };
	const struct gv_intel_lookalike *lk[] = { &lk_a, &lk_b, &lk_a2 };
	const char *err = NULL;
	if (gv_intel_store_alerts(st, al, 3, ins_a, &err) < 0)
		fail_msg("alerts: %s", err);
	if (gv_intel_store_lookalikes(st, lk, 3, ins_l, &err) < 0)
		fail_msg("lookalikes: %s", err);
}

static char *report(struct gv_intel_store *st, enum gv_intel_report_kind k,
		    const char *entity)
{
	struct gv_intel_report_query q = { .kind = k, .entity = entity };
	char *json = NULL;
	const char *err;
	if (gv_intel_report(st, &q, &json, &err) < 0)
		fail_msg("report: %s", err);
	return json;
}

static void test_alerts_lookalikes(void **state)
{
	(void)state;
	struct gv_intel_store *st = open_store();
	size_t ia, il;
	store_alerts_lks(st, &ia, &il);
	assert_int_equal(ia, 2); /* the repeated key is one alert */
	assert_int_equal(il, 2); /* paypa1.com twice is one pair */
	struct gv_intel_counts c1, c2;
	const char *err;
	assert_int_equal(gv_intel_store_counts(st, &c1, &err), 1);
	assert_int_equal(c1.alerts, 2);
	assert_int_equal(c1.lookalikes, 2);
	assert_int_equal(c1.by_kind[GV_ENT_ALERT], 2);
	assert_int_equal(c1.by_kind[GV_ENT_BRAND], 2);
	assert_int_equal(c1.by_kind[GV_ENT_DOMAIN], 2); /* case, dot folded */
	/* The same again (a replay): no count changes. */
	store_alerts_lks(st, &ia, &il);
	assert_int_equal(ia, 0);
	assert_int_equal(il, 0);
	assert_int_equal(gv_intel_store_counts(st, &c2, &err), 1);
	assert_memory_equal(&c1, &c2, sizeof(c1));

	char *json = report(st, GV_REPORT_ALERTS, NULL);
	json_t *doc = json_loads(json, 0, NULL);
	json_t *rows = json_object_get(doc, "rows");
	assert_int_equal(json_array_size(rows), 2);
	json_t *r0 = json_array_get(rows, 0), *r1 = json_array_get(rows, 1);
	/* newest first */
	assert_string_equal(json_string_value(json_object_get(r0, "key")),
			    alert_b.key);
	assert_string_equal(json_string_value(json_object_get(r0, "details")),
			    "not json");
	assert_string_equal(json_string_value(json_object_get(r1, "severity")),
			    "high");
	assert_string_equal(json_string_value(json_object_get(r1, "time")),
			    "2026-01-01T20:40:00Z");
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(r1, "details"), "messages")),
			 300);
	json_decref(doc);
	gv_free(json);

	json = report(st, GV_REPORT_LOOKALIKES, NULL);
	doc = json_loads(json, 0, NULL);
	rows = json_object_get(doc, "rows");
	assert_int_equal(json_array_size(rows), 2);
	r0 = json_array_get(rows, 0);
	assert_string_equal(json_string_value(json_object_get(r0, "domain")),
			    "paypa1.com");
	assert_string_equal(json_string_value(json_object_get(r0, "brand")),
			    "paypal.com");
	/* best sighting's score and technique; the period spans both; the
	 * first source stays */
	assert_int_equal(json_integer_value(json_object_get(r0, "score")), 92);
	assert_string_equal(
		json_string_value(json_object_get(r0, "technique")),
		"replacement");
	assert_int_equal(json_integer_value(json_object_get(r0, "first_seen")),
			 1767300000);
	assert_int_equal(json_integer_value(json_object_get(r0, "last_seen")),
			 1767400000);
	assert_string_equal(json_string_value(json_object_get(r0, "source")),
			    "newly-registered.txt");
	json_decref(doc);
	gv_free(json);

	/* In the graph: the alert hangs on the user and IP, the lookalike
	 * imitates its brand. */
	json = report(st, GV_REPORT_NEIGHBORS, "user:alice@corp.example");
	assert_non_null(strstr(json, "alert:watch:download:alice:S1"));
	assert_non_null(strstr(json, "\"relation\": \"alerts-on\""));
	gv_free(json);
	json = report(st, GV_REPORT_RECOMMENDATIONS, NULL);
	assert_non_null(strstr(json, "lookalike-domains-registered"));
	assert_non_null(strstr(json, "\"closest\": \"paypa1.com\""));
	gv_free(json);
	json = report(st, GV_REPORT_NEIGHBORS, "brand:paypal.com");
	assert_non_null(strstr(json, "domain:paypa1.com"));
	assert_non_null(strstr(json, "\"relation\": \"imitates\""));
	gv_free(json);
	gv_intel_store_close(&st);
}

/* Alerts, lookalikes and events through the recorder while the store is
 * unreachable: journaled, then replayed by the next recorder; replaying a
 * copy of the same journal once more changes no count. */
static void test_alerts_through_journal(void **state)
{
	(void)state;
	char jdir[512], bad[600], jfile[600], copy[700];
	snprintf(jdir, sizeof(jdir), "%s/journal-%d", tmpdir, test_no);
	assert_int_equal(mkdir(jdir, 0700), 0);
	snprintf(jfile, sizeof(jfile), "%s/intel.journal", jdir);
	snprintf(copy, sizeof(copy), "%s.copy", jfile);
	snprintf(bad, sizeof(bad), "sqlite:%s/no/such/dir/x.db", tmpdir);
	struct gv_intel_recorder_settings rs = {
		.store = { .uri = bad }, .journal_dir = jdir, .retry_ms = 50,
		.queue_size = 4, .batch_size = 3,
	};
	struct gv_intel_recorder *rec;
	const char *err;
	assert_int_equal(gv_intel_recorder_start(&rs, &rec, &err), 1);
	record_range(rec, 0, 5);
	assert_int_equal(gv_intel_record_alert(rec, &alert_a, &err), 1);
	assert_int_equal(gv_intel_record_alert(rec, &alert_b, &err), 1);
	assert_int_equal(gv_intel_record_lookalike(rec, &lk_a, &err), 1);
	assert_int_equal(gv_intel_record_lookalike(rec, &lk_b, &err), 1);
	assert_int_equal(gv_intel_record_lookalike(rec, &lk_a2, &err), 1);
	struct gv_intel_alert nokey = alert_a;
	nokey.key = NULL;
	assert_int_equal(gv_intel_record_alert(rec, &nokey, &err), -1);
	assert_non_null(strstr(err, "key"));
	struct gv_intel_recorder_stats stats;
	assert_int_equal(gv_intel_recorder_stop(&rec, &stats, &err), 0);
	assert_int_equal(stats.journaled, 10);
	assert_int_equal(stats.lost, 0);
	char cmd[2000];
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", jfile, copy);
	assert_int_equal(system(cmd), 0);

	char good[1024];
	snprintf(good, sizeof(good), "%s", uri);
	rs.store.uri = good;
	assert_int_equal(gv_intel_recorder_start(&rs, &rec, &err), 1);
	assert_int_equal(gv_intel_recorder_stop(&rec, &stats, &err), 1);
	assert_int_equal(stats.replayed, 10);
	assert_int_equal(stats.stored, 9); /* lk_a2 updates lk_a's pair */
	struct gv_intel_store *st = open_store();
	struct gv_intel_counts c1, c2;
	assert_int_equal(gv_intel_store_counts(st, &c1, &err), 1);
	gv_intel_store_close(&st);
	assert_int_equal(c1.events, 5);
	assert_int_equal(c1.alerts, 2);
	assert_int_equal(c1.lookalikes, 2);

	snprintf(cmd, sizeof(cmd), "mv '%s' '%s'", copy, jfile);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(gv_intel_recorder_start(&rs, &rec, &err), 1);
	assert_int_equal(gv_intel_recorder_stop(&rec, &stats, &err), 1);
	assert_int_equal(stats.replayed, 10);
	assert_int_equal(stats.stored, 0);
	assert_int_equal(stats.duplicates, 10);
	st = open_store();
	assert_int_equal(gv_intel_store_counts(st, &c2, &err), 1);
	assert_memory_equal(&c1, &c2, sizeof(c1));
	char *json = report(st, GV_REPORT_LOOKALIKES, NULL);
	assert_non_null(strstr(json, "\"score\": 92"));
	gv_free(json);
	gv_intel_store_close(&st);
}

/* ---- journal replay streams: bounded batches, appends during replay ---- */

struct replay_watch {
	size_t calls, records, max_batch;
	struct intel_journal *j;
	bool appended;
};

static int replay_watch_cb(void *ctx, const struct intel_rec *recs, size_t n,
			   const char **error_r)
{
	struct replay_watch *w = ctx;
	w->calls++;
	w->records += n;
	if (n > w->max_batch)
		w->max_batch = n;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(recs[i].type, INTEL_REC_EVENT);
	if (!w->appended) {
		/* A scanning thread's full-queue append while the replay runs:
		 * it must be replayed too, not cut off by the final truncate. */
		struct gv_intel_event ev;
		char id[32];
		make_event(&ev, id, sizeof(id), 99999, rcpts, urls, findings,
			   att);
		struct intel_rec r = { INTEL_REC_EVENT, &ev };
		assert_int_equal(intel_journal_append(w->j, &r, 1, error_r), 1);
		w->appended = true;
	}
	return 1;
}

static void test_journal_replay_streams(void **state)
{
	(void)state;
	char jdir[512];
	snprintf(jdir, sizeof(jdir), "%s/journal-%d", tmpdir, test_no);
	assert_int_equal(mkdir(jdir, 0700), 0);
	struct intel_journal j;
	const char *err;
	assert_int_equal(intel_journal_open(&j, jdir, &err), 1);
	/* 5,000 records, about 5 MiB with a 1 KiB subject each */
	char subject[1024];
	memset(subject, 'x', sizeof(subject) - 1);
	subject[sizeof(subject) - 1] = '\0';
	for (int i = 0; i < 5000; i += 100) {
		struct gv_intel_event evs[100];
		char ids[100][32];
		struct intel_rec recs[100];
		for (int k = 0; k < 100; k++) {
			make_event(&evs[k], ids[k], 32, i + k, rcpts, urls,
				   findings, att);
			evs[k].subject = subject;
			recs[k] = (struct intel_rec){ INTEL_REC_EVENT, &evs[k] };
		}
		assert_int_equal(intel_journal_append(&j, recs, 100, &err), 1);
	}
	/* A torn tail (crash mid-append) is cut when the journal is opened
	 * again, so it can neither hide nor corrupt later records. */
	intel_journal_close(&j);
	char jfile[600];
	snprintf(jfile, sizeof(jfile), "%s/intel.journal", jdir);
	FILE *f = fopen(jfile, "ab");
	assert_non_null(f);
	fwrite("GVJ1\x40\x00\x00\x00xx", 1, 10, f);
	fclose(f);
	assert_int_equal(intel_journal_open(&j, jdir, &err), 1);
	struct replay_watch w = { .j = &j };
	size_t n = 0;
	assert_int_equal(intel_journal_replay(&j, 64, replay_watch_cb, &w, &n,
					      &err),
			 1);
	assert_int_equal(n, 5001);
	assert_int_equal(w.records, 5001);
	assert_true(w.max_batch <= 64);
	assert_true(w.calls >= 5000 / 64);
	assert_false(intel_journal_has_records(&j));
	intel_journal_close(&j);
}


/* ---- campaign clusters: transitive through shared features ---- */

static void cluster_event(struct gv_intel_event *ev, char *id, int i,
			  const struct gv_intel_url *u, size_t nu,
			  const struct gv_intel_attachment *a,
			  enum gv_intel_action act)
{
	make_event(ev, id, 32, 500 + i, rcpts, urls, findings, att);
	ev->urls = u;
	ev->n_urls = nu;
	ev->attachments = a;
	ev->action = act;
}

static void test_campaign_clusters(void **state)
{
	(void)state;
	static const struct gv_intel_attachment a1[] = {
		{ "a.pdf", "application/pdf", 1,
		  "1111111111111111111111111111111111111111111111111111111111111111",
		  NULL } };
	static const struct gv_intel_attachment a2[] = {
		{ "b.pdf", "application/pdf", 1,
		  "2222222222222222222222222222222222222222222222222222222222222222",
		  NULL } };
	static const struct gv_intel_attachment a3[] = {
		{ "c.pdf", "application/pdf", 1,
		  "3333333333333333333333333333333333333333333333333333333333333333",
		  NULL } };
	static const struct gv_intel_url u1[] = {
		{ "http://x.lure-one.example/inv/1", "x.lure-one.example",
		  "lure-one.example", "href" },
		/* an embedded image on a shared CDN: no lure */
		{ "http://cdn.shared.example/logo.png", "cdn.shared.example",
		  "shared.example", "src" } };
	static const struct gv_intel_url u2[] = {
		{ "http://lure-two.example/pay/22", "lure-two.example",
		  "lure-two.example", "href" },
		{ "http://cdn.shared.example/logo.png", "cdn.shared.example",
		  "shared.example", "src" } };
	static const struct gv_intel_url u3[] = {
		{ "http://y.lure-one.example/inv/333", "y.lure-one.example",
		  "lure-one.example", "href" },
		{ "http://lure-two.example/pay/4", "lure-two.example",
		  "lure-two.example", "text" } };
	struct gv_intel_event evs[5];
	char ids[5][32];
	/* m0 and m1 share nothing but the CDN image: two clusters; m2
	 * shares m0's lure pattern and m1's: the three are one campaign.
	 * m3 was accepted (not clustered), m4 shares only the image. */
	cluster_event(&evs[0], ids[0], 0, u1, 2, a1, GV_ACT_QUARANTINE);
	cluster_event(&evs[1], ids[1], 1, u2, 2, a2, GV_ACT_REJECT);
	cluster_event(&evs[2], ids[2], 2, u3, 2, a3, GV_ACT_TAG);
	cluster_event(&evs[3], ids[3], 3, u1, 1, a1, GV_ACT_ACCEPT);
	cluster_event(&evs[4], ids[4], 4, u1 + 1, 1, NULL, GV_ACT_QUARANTINE);
	evs[4].n_attachments = 0;
	struct gv_intel_store *st = open_store();
	const char *err;
	size_t ins;
	/* one per transaction: the merge happens across batches */
	for (int i = 0; i < 5; i++) {
		const struct gv_intel_event *one[1] = { &evs[i] };
		if (gv_intel_store_ingest(st, one, 1, &ins, &err) < 0)
			fail_msg("ingest: %s", err);
	}
	char *json = report(st, GV_REPORT_CAMPAIGNS, NULL);
	json_t *doc = json_loads(json, 0, NULL);
	json_t *rows = json_object_get(doc, "rows");
	assert_int_equal(json_array_size(rows), 1); /* singletons hidden */
	json_t *r0 = json_array_get(rows, 0);
	assert_string_equal(json_string_value(json_object_get(r0, "campaign")),
			    "attachment:1111111111111111111111111111111111111111"
			    "111111111111111111111111");
	assert_int_equal(json_integer_value(json_object_get(r0, "messages")),
			 3);
	assert_int_equal(json_integer_value(json_object_get(r0, "malicious")),
			 2);
	json_decref(doc);
	gv_free(json);
	/* alice: targeted by the one campaign (three clusters at ingest
	 * time, one after the merge) and by m4's cluster */
	json = report(st, GV_REPORT_TARGETED, NULL);
	doc = json_loads(json, 0, NULL);
	r0 = json_array_get(json_object_get(doc, "rows"), 0);
	assert_int_equal(json_integer_value(json_object_get(r0, "campaigns")),
			 2);
	json_decref(doc);
	gv_free(json);
	/* export by the campaign's name reaches the merged clusters' events
	 * (only the malicious ones: m0 and m1) */
	struct gv_intel_export_filter f = {
		.campaign = "attachment:11111111111111111111111111111111111111"
			    "11111111111111111111111111"
	};
	char *bundle;
	size_t len, objects;
	assert_int_equal(gv_intel_export_stix(st, &f, &bundle, &len, &objects,
					      &err),
			 1);
	assert_non_null(strstr(bundle, "2222222222222222222222222222222222"));
	assert_non_null(strstr(bundle, "1111111111111111111111111111111111"));
	assert_null(strstr(bundle, "3333333333333333333333333333333333"));
	gv_free(bundle);
	/* the same events again change nothing */
	struct gv_intel_counts c1, c2;
	assert_int_equal(gv_intel_store_counts(st, &c1, &err), 1);
	for (int i = 0; i < 5; i++) {
		const struct gv_intel_event *one[1] = { &evs[i] };
		assert_int_equal(gv_intel_store_ingest(st, one, 1, &ins, &err),
				 1);
		assert_int_equal(ins, 0);
	}
	assert_int_equal(gv_intel_store_counts(st, &c2, &err), 1);
	assert_memory_equal(&c1, &c2, sizeof(c1));
	gv_intel_store_close(&st);
}

/* ---- relation runs and posting rows ---- */

/* Event i of the runs test: recipients vary, so relations differ. */
static const char *const run_users[] = { "u0@corp.example", "u1@corp.example",
					 "u2@corp.example", "u3@corp.example",
					 "u4@corp.example" };

static void ingest_runs(struct gv_intel_store *st, int n, int batch,
			bool replay)
{
	for (int i = 0; i < n; i += batch) {
		struct gv_intel_event evs[64];
		char ids[64][32];
		const char *r[64][2];
		const struct gv_intel_event *ptrs[64];
		int m = n - i < batch ? n - i : batch;
		assert_true(m <= 64);
		for (int k = 0; k < m; k++) {
			int e = i + k;
			r[k][0] = run_users[e % 5];
			r[k][1] = "bob@corp.example";
			make_event(&evs[k], ids[k], 32, e, r[k], urls, findings,
				   att);
			ptrs[k] = &evs[k];
		}
		size_t ins;
		const char *err;
		if (gv_intel_store_ingest(st, ptrs, (size_t)m, &ins, &err) < 0)
			fail_msg("ingest: %s", err);
		assert_int_equal(ins, replay ? 0 : (size_t)m);
	}
}

static char *neighbors(struct gv_intel_store *st, const char *entity,
		       unsigned depth)
{
	struct gv_intel_report_query q = { .kind = GV_REPORT_NEIGHBORS,
					   .entity = entity,
					   .depth = depth };
	char *json = NULL;
	const char *err;
	if (gv_intel_report(st, &q, &json, &err) < 0)
		fail_msg("report: %s", err);
	return json;
}


/* A statement that fails inside a transaction fails the transaction, at
 * the latest at COMMIT (PostgreSQL pipelines the INSERTs whose rows nobody
 * reads, so it learns of the error later); nothing of it is stored, and
 * the store works afterwards, over more statements than one pipeline
 * window. Statement ids 157..159 (tests only). */
static void test_tx_errors(void **state)
{
	(void)state;
	static const struct gv_sql_stmt bad = { 157,
		"INSERT INTO entity(kind, value, first_seen, last_seen)"
		" VALUES(77, NULL, 0, 0)", NULL };
	static const struct gv_sql_stmt good = { 158,
		"INSERT INTO entity(kind, value, first_seen, last_seen)"
		" VALUES(77, $1, 0, 0)", NULL };
	static const struct gv_sql_stmt count = { 159,
		"SELECT count(*) FROM entity WHERE kind = 77", NULL };
	struct gv_intel_store *st = open_store();
	const char *err = NULL;
	int64_t n = -1;
	char buf[32], *v = buf;
	assert_int_equal(intel_begin(st, &err), 1);
	struct gv_sql_val p = GV_SQL_S("before");
	assert_int_equal(intel_sql_run(st, &good, &p, 1, NULL, NULL, &err), 1);
	int rc = intel_sql_run(st, &bad, NULL, 0, NULL, NULL, &err);
	for (int i = 0; rc > 0 && i < 3; i++) {
		snprintf(buf, sizeof(buf), "after-%d", i);
		p = GV_SQL_S(v);
		rc = intel_sql_run(st, &good, &p, 1, NULL, NULL, &err);
	}
	if (rc > 0)
		rc = intel_commit(st, &err);
	assert_int_equal(rc, -1);
	assert_non_null(err);
	assert_non_null(strstr(err, "value"));
	intel_rollback(st);
	assert_int_equal(intel_sql_int(st, &count, NULL, 0, &n, &err), 1);
	assert_int_equal(n, 0);
	/* afterwards: 600 rows in one transaction, then counted */
	assert_int_equal(intel_begin(st, &err), 1);
	for (int i = 0; i < 600; i++) {
		snprintf(buf, sizeof(buf), "row-%d", i);
		p = GV_SQL_S(v);
		assert_int_equal(intel_sql_run(st, &good, &p, 1, NULL, NULL, &err), 1);
		if (i == 299) { /* rows read in between see the rows before */
			assert_int_equal(intel_sql_int(st, &count, NULL, 0, &n, &err), 1);
			assert_int_equal(n, 300);
		}
	}
	assert_int_equal(intel_commit(st, &err), 1);
	assert_int_equal(intel_sql_int(st, &count, NULL, 0, &n, &err), 1);
	assert_int_equal(n, 600);
	gv_intel_store_close(&st);
}

/* 45 batches of one event make 45 relation runs (two merges into
 * `relation`, 13 runs left unmerged); the same events in one batch make
 * one. Counts and graph walks must not tell them apart, relation counts
 * must match an independent count, and a user's posting row keeps its
 * newest messages. */
static void test_relation_runs(void **state)
{
	char *json[2][3];
	struct gv_intel_counts c[2];
	const char *err;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			setup(state); /* a fresh store */
		struct gv_intel_store *st = open_store();
		ingest_runs(st, 45, pass == 0 ? 1 : 45, false);
		ingest_runs(st, 45, 7, true); /* a replay: adds nothing */
		assert_int_equal(gv_intel_store_counts(st, &c[pass], &err), 1);
		/* SQLite, first pass: another writer holds the lock, so the
		 * walk cannot merge the runs first and reads them as they
		 * are (13 unmerged); the second pass's walk merges its run.
		 * Both must give the same answers. */
		sqlite3 *lock = NULL;
		if (pass == 0 && !is_pg()) {
			assert_int_equal(sqlite3_open(uri + strlen("sqlite:"),
						      &lock),
					 SQLITE_OK);
			assert_int_equal(sqlite3_exec(lock, "BEGIN IMMEDIATE",
						      NULL, NULL, NULL),
					 SQLITE_OK);
		}
		json[pass][0] = neighbors(st, "sender:billing@evil.example", 1);
		json[pass][1] = neighbors(st, "user:u3@corp.example", 2);
		json[pass][2] = neighbors(st, "user:bob@corp.example", 1);
		if (lock != NULL) {
			sqlite3_stmt *q;
			assert_int_equal(sqlite3_prepare_v2(lock,
							    "SELECT count(*)"
							    " FROM relation_runs",
							    -1, &q, NULL),
					 SQLITE_OK);
			assert_int_equal(sqlite3_step(q), SQLITE_ROW);
			assert_int_equal(sqlite3_column_int(q, 0), 13);
			sqlite3_finalize(q);
			sqlite3_exec(lock, "ROLLBACK", NULL, NULL, NULL);
			sqlite3_close(lock);
		}
		gv_intel_store_close(&st);
	}
	assert_memory_equal(&c[0], &c[1], sizeof(c[0]));
	/* sender -> 6 users, sender -> IP, URL -> domain, hash -> type,
	 * campaign -> 6 users */
	assert_int_equal(c[0].relations, 6 + 1 + 1 + 1 + 6);
	for (int k = 0; k < 3; k++) {
		assert_string_equal(json[0][k], json[1][k]);
		gv_free(json[1][k]);
	}
	/* 9 of the 45 messages went to each u<k>, all 45 to bob. */
	json_error_t je;
	json_t *doc = json_loads(json[0][0], 0, &je);
	assert_non_null(doc);
	size_t i, users = 0;
	json_t *e;
	json_array_foreach(json_object_get(doc, "edges"), i, e) {
		const char *to = json_string_value(json_object_get(e, "to"));
		if (strcmp(json_string_value(json_object_get(e, "relation")),
			   "targets") != 0)
			continue;
		users++;
		assert_int_equal(json_integer_value(json_object_get(e, "count")),
				 strstr(to, "bob@") ? 45 : 9);
	}
	assert_int_equal(users, 6);
	json_decref(doc);
	/* bob's messages: the newest 25 (evt-20 .. evt-44), no older one. */
	doc = json_loads(json[0][2], 0, &je);
	assert_non_null(doc);
	size_t msgs = 0;
	json_array_foreach(json_object_get(doc, "edges"), i, e) {
		const char *from = json_string_value(json_object_get(e, "from"));
		if (strncmp(from, "message:evt-", 12) != 0)
			continue;
		msgs++;
		assert_true(atoi(from + 12) >= 20);
	}
	assert_int_equal(msgs, 25);
	json_decref(doc);
	for (int k = 0; k < 3; k++)
		gv_free(json[0][k]);
}

/* Accepted mail keeps its message edges but adds no sender -> user or
 * sender -> relay relation; flagged mail adds both. */
static void test_threat_relations(void **state)
{
	(void)state;
	struct gv_intel_store *st = open_store();
	struct gv_intel_event ev[2];
	char id[2][32];
	static const char *const to_alice[] = { "alice@corp.example",
						"alice@corp.example" };
	static const char *const to_bob[] = { "bob@corp.example",
					      "bob@corp.example" };
	make_event(&ev[0], id[0], 32, 1, to_alice, urls, findings, att);
	make_event(&ev[1], id[1], 32, 2, to_bob, urls, findings, att);
	ev[0].action = GV_ACT_ACCEPT;
	ev[1].action = GV_ACT_QUARANTINE;
	const struct gv_intel_event *p[2] = { &ev[0], &ev[1] };
	size_t ins;
	const char *err;
	assert_int_equal(gv_intel_store_ingest(st, p, 2, &ins, &err), 1);
	assert_int_equal(ins, 2);
	struct gv_intel_counts c;
	assert_int_equal(gv_intel_store_counts(st, &c, &err), 1);
	/* sender -> bob, sender -> IP, its campaign cluster -> bob (the
	 * flagged one); URL -> domain and hash -> type (facts about the
	 * entities, from both) */
	assert_int_equal(c.relations, 5);
	char *json = neighbors(st, "sender:billing@evil.example", 1);
	json_error_t je;
	json_t *doc = json_loads(json, 0, &je);
	assert_non_null(doc);
	size_t i, targets = 0, msgs = 0;
	json_t *e;
	json_array_foreach(json_object_get(doc, "edges"), i, e) {
		const char *rel = json_string_value(json_object_get(e, "relation"));
		const char *to = json_string_value(json_object_get(e, "to"));
		if (strcmp(rel, "targets") == 0) {
			targets++;
			assert_non_null(strstr(to, "bob@"));
		}
		if (strstr(json_string_value(json_object_get(e, "from")),
			   "message:") != NULL ||
		    strstr(to, "message:") != NULL)
			msgs++;
	}
	assert_int_equal(targets, 1);
	assert_int_equal(msgs, 2); /* both messages still reach the sender */
	json_decref(doc);
	gv_free(json);
	/* a message is found by its uid (through uid_key) and by its
	 * Message-ID */
	json = neighbors(st, "message:evt-2", 1);
	assert_non_null(strstr(json, "bob@corp.example"));
	assert_null(strstr(json, "alice@corp.example"));
	gv_free(json);
	json = neighbors(st, "message:<m@example.net>", 1);
	assert_non_null(strstr(json, "billing@evil.example"));
	gv_free(json);
	gv_intel_store_close(&st);
}

struct rec3 {
	int64_t k[3];
	int64_t order; /* position before sorting */
	char pad[13];
};

static int rec3_cmp(const void *a, const void *b)
{
	const struct rec3 *x = a, *y = b;
	for (int i = 0; i < 3; i++)
		if (x->k[i] != y->k[i])
			return x->k[i] < y->k[i] ? -1 : 1;
	return (x->order > y->order) - (x->order < y->order);
}

/* intel_sort3 against qsort with a stable tie-break, on keys with
 * negatives, duplicates, large values and constant words. */
static void test_sort3(void **state)
{
	(void)state;
	uint64_t x = 88172645463325252ull;
	for (size_t n = 0; n < 3000; n = n * 3 + 1) {
		struct rec3 *a = gv_calloc(n + 1, sizeof(*a));
		struct rec3 *b = gv_calloc(n + 1, sizeof(*b));
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			a[i].k[0] = (int64_t)(x % 7) - 3;
			a[i].k[1] = i % 5 == 0 ? INT64_MAX - (int64_t)(x % 3) :
						 (int64_t)(x >> 40);
			a[i].k[2] = 42;
			a[i].order = (int64_t)i;
		}
		memcpy(b, a, n * sizeof(*a));
		intel_sort3(a, n, sizeof(*a));
		if (n > 0)
			qsort(b, n, sizeof(*b), rec3_cmp);
		for (size_t i = 0; i < n; i++) {
			assert_memory_equal(a[i].k, b[i].k, sizeof(a[i].k));
			assert_int_equal(a[i].order, b[i].order);
		}
		gv_free(a);
		gv_free(b);
	}
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/gv-intel-store-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_ingest_counts, setup),
		cmocka_unit_test_setup(test_reports_from_store, setup),
		cmocka_unit_test_setup(test_outage_journal_replay, setup),
		cmocka_unit_test_setup(test_unreachable_at_start, setup),
		cmocka_unit_test_setup(test_journal_disk_full, setup),
		cmocka_unit_test_setup(test_journal_unwritable, setup),
		cmocka_unit_test_setup(test_alerts_lookalikes, setup),
		cmocka_unit_test_setup(test_alerts_through_journal, setup),
		cmocka_unit_test_setup(test_journal_replay_streams, setup),
		cmocka_unit_test_setup(test_campaign_clusters, setup),
		cmocka_unit_test_setup(test_relation_runs, setup),
		cmocka_unit_test_setup(test_threat_relations, setup),
		cmocka_unit_test_setup(test_tx_errors, setup),
		cmocka_unit_test(test_sort3),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
