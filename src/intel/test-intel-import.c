/*
 * Feed import, idempotency, warninglists, the indicator index, and the
 * signed export round trip. Reads the shared corpora through
 * $GENEVA_SHARED (../shared in the source tree).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intel/intel.h"
#include "util/util.h"

static char tmpdir[256];
static char shared[1024];
static int seq;

static struct gv_intel_store *fresh_store(void)
{
	char uri[512];
	snprintf(uri, sizeof(uri), "sqlite:%s/import-%d.db", tmpdir, ++seq);
	struct gv_intel_store_settings s = { .uri = uri };
	struct gv_intel_store *st;
	const char *err;
	if (gv_intel_store_open(&s, &st, &err) < 0)
		fail_msg("open: %s", err);
	return st;
}

static void write_tmp(const char *name, const char *text, char *path_r,
		      size_t n)
{
	snprintf(path_r, n, "%s/%s", tmpdir, name);
	FILE *f = fopen(path_r, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void import_ok(struct gv_intel_store *st, const char *path,
		      const struct gv_intel_warninglist *wl,
		      struct gv_intel_import_stats *stats)
{
	const char *err = NULL;
	if (gv_intel_import_path(st, path, wl, NULL, stats, NULL, &err) < 0)
		fail_msg("import %s: %s", path, err);
}

/* Every JSON file of the threat_intel corpus imports; twice is once. */
static void test_corpus_twice(void **state)
{
	(void)state;
	char dir[1100];
	snprintf(dir, sizeof(dir), "%s/corpora/threat_intel", shared);
	struct gv_intel_store *st = fresh_store();
	struct gv_intel_import_stats s1 = { 0 }, s2 = { 0 };
	import_ok(st, dir, NULL, &s1);
	assert_int_equal(s1.files_refused, 0);
	assert_true(s1.files >= 270); /* 51 STIX 2.1 + 187 STIX 2.0 + 41 MISP */
	assert_true(s1.files_skipped <= 1); /* git-vuln-finder output */
	assert_true(s1.indicators_new > 600);
	assert_true(s1.unsupported >= 2); /* x509 AND patterns, counted */
	struct gv_intel_counts c1, c2;
	const char *err;
	assert_int_equal(gv_intel_store_counts(st, &c1, &err), 1);
	assert_int_equal(c1.indicators, s1.indicators_new);
	assert_true(c1.by_kind[GV_ENT_ACTOR] >= 187); /* ATT&CK groups */
	import_ok(st, dir, NULL, &s2);
	assert_int_equal(s2.indicators_new, 0);
	assert_int_equal(s2.indicators_seen,
			 s1.indicators_new + s1.indicators_seen);
	assert_int_equal(gv_intel_store_counts(st, &c2, &err), 1);
	assert_memory_equal(&c1, &c2, sizeof(c1));
	gv_intel_store_close(&st);
}

static const char bundle[] =
	"{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":["
	"{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":"
	"\"indicator--a1\",\"pattern_type\":\"stix\",\"name\":\"lure host\","
	"\"pattern\":\"[domain-name:value = 'Pay-Check.Example'] OR "
	"[url:value LIKE 'http://cdn.badfiles.example/%.exe']\"},"
	"{\"type\":\"campaign\",\"spec_version\":\"2.1\",\"id\":"
	"\"campaign--c1\",\"name\":\"Operation Payday\"},"
	"{\"type\":\"intrusion-set\",\"spec_version\":\"2.1\",\"id\":"
	"\"intrusion-set--i1\",\"name\":\"Grim Spider\"},"
	"{\"type\":\"relationship\",\"spec_version\":\"2.1\",\"id\":"
	"\"relationship--r1\",\"relationship_type\":\"indicates\","
	"\"source_ref\":\"indicator--a1\",\"target_ref\":\"campaign--c1\"},"
	"{\"type\":\"relationship\",\"spec_version\":\"2.1\",\"id\":"
	"\"relationship--r2\",\"relationship_type\":\"attributed-to\","
	"\"source_ref\":\"campaign--c1\",\"target_ref\":\"intrusion-set--i1\"}"
	"]}";

static struct gv_intel_index *build(struct gv_intel_store *st)
{
	struct gv_intel_index *ix;
	const char *err;
	if (gv_intel_index_build(st, &ix, &err) < 0)
		fail_msg("index: %s", err);
	return ix;
}

/* An indicator from a STIX bundle is found and cites feed, campaign and
 * (through attributed-to) the actor: what a scan finding will name. */
static void test_index_cites_stix(void **state)
{
	(void)state;
	char path[600];
	write_tmp("payday.json", bundle, path, sizeof(path));
	struct gv_intel_store *st = fresh_store();
	struct gv_intel_import_stats s = { 0 };
	import_ok(st, path, NULL, &s);
	assert_int_equal(s.indicators_new, 2);
	struct gv_intel_index *ix = build(st);
	struct gv_intel_hit hit;
	assert_int_equal(gv_intel_index_lookup(ix, GV_ENT_DOMAIN,
					       "www.pay-check.example.", &hit),
			 1);
	assert_string_equal(hit.value, "pay-check.example");
	assert_string_equal(hit.feed, "payday.json");
	assert_string_equal(hit.campaign, "Operation Payday");
	assert_string_equal(hit.actor, "Grim Spider");
	assert_string_equal(hit.name, "lure host");
	assert_int_equal(gv_intel_index_lookup(
				 ix, GV_ENT_URL,
				 "http://CDN.badfiles.example/x/setup.exe", &hit),
			 1);
	assert_string_equal(hit.campaign, "Operation Payday");
	assert_int_equal(gv_intel_index_lookup(
				 ix, GV_ENT_URL,
				 "http://cdn.badfiles.example/setup.pdf", &hit),
			 0);
	assert_int_equal(gv_intel_index_lookup(ix, GV_ENT_DOMAIN,
					       "check.example", &hit),
			 0);
	/* The sender's domain is an indicator too. */
	assert_int_equal(gv_intel_index_lookup(ix, GV_ENT_SENDER,
					       "hr@pay-check.example", &hit),
			 1);
	/* Atomic swap: a reader's snapshot outlives the swap. */
	struct gv_intel_index_holder *h = gv_intel_index_holder_new();
	gv_intel_index_holder_swap(h, ix);
	struct gv_intel_index *reader = gv_intel_index_holder_get(h);
	gv_intel_index_holder_swap(h, build(st));
	assert_int_equal(gv_intel_index_lookup(reader, GV_ENT_DOMAIN,
					       "pay-check.example", &hit),
			 1);
	gv_intel_index_unref(&reader);
	gv_intel_index_holder_free(&h);
	gv_intel_store_close(&st);
}

/* Corpus indicators: CIDR networks, hashes, a sender regex (MATCHES). */
static void test_index_corpus_forms(void **state)
{
	(void)state;
	char dir[1100];
	snprintf(dir, sizeof(dir), "%s/corpora/threat_intel/stix21", shared);
	struct gv_intel_store *st = fresh_store();
	struct gv_intel_import_stats s = { 0 };
	import_ok(st, dir, NULL, &s);
	struct gv_intel_index *ix = build(st);
	struct gv_intel_hit hit;
	assert_int_equal(gv_intel_index_lookup(ix, GV_ENT_IP, "58.247.1.2",
					       &hit),
			 1); /* in 58.246.0.0/15 */
	assert_string_equal(hit.value, "58.246.0.0/15");
	assert_int_equal(gv_intel_index_lookup(ix, GV_ENT_IP, "58.248.1.2",
					       &hit),
			 0);
	assert_int_equal(
		gv_intel_index_lookup(ix, GV_ENT_HASH,
				      "EF537F25C895BFA782526529A9B63D97AA6315"
				      "64D5D789C2B765448C8635FB6C",
				      &hit),
		1);
	assert_int_equal(gv_intel_index_lookup(ix, GV_ENT_URL,
					       "http://x4z9arb.cn/4712/", &hit),
			 1);
	assert_string_equal(hit.malware, "x4z9arb backdoor");
	/* The feed's MATCHES regex is '.+\banking@g0thamnatl\.com$' once
	 * STIX-unescaped: a word boundary, then "anking". */
	assert_int_equal(gv_intel_index_lookup(ix, GV_ENT_SENDER,
					       "ceo.anking@g0thamnatl.com",
					       &hit),
			 1);
	assert_string_equal(hit.actor, "The Joker");
	assert_int_equal(gv_intel_index_lookup(ix, GV_ENT_SENDER,
					       "ceo.xanking@g0thamnatl.com",
					       &hit),
			 0);
	gv_intel_index_unref(&ix);
	gv_intel_store_close(&st);
}

static void test_warninglist_and_lists(void **state)
{
	(void)state;
	char wlpath[1100], list[600], csv[600];
	snprintf(wlpath, sizeof(wlpath), "%s/corpora/domains/benign/google",
		 shared);
	const char *paths[] = { wlpath };
	const char *err;
	struct gv_intel_warninglist *wl =
		gv_intel_warninglist_load(paths, 1, &err);
	assert_non_null(wl);
	assert_true(gv_intel_warninglist_size(wl) > 600);
	write_tmp("list.txt",
		  "# a plain list\nwww.google.com\nevil-login.example\n"
		  "198.51.100.9\nhttp://mail.google.com/x\n"
		  "d41d8cd98f00b204e9800998ecf8427e\nnot a value\n",
		  list, sizeof(list));
	write_tmp("feed.csv",
		  "uuid,type,value,comment\n1,domain,\"evil-login.example\",x\n"
		  "2,ip-dst|port,203.0.113.5|443,y\n3,text,hello,z\n",
		  csv, sizeof(csv));
	struct gv_intel_store *st = fresh_store();
	struct gv_intel_import_stats s = { 0 };
	import_ok(st, list, wl, &s);
	assert_int_equal(s.suppressed, 2); /* google.com and its URL */
	assert_int_equal(s.indicators_new, 3);
	assert_int_equal(s.invalid, 1);
	struct gv_intel_import_stats s2 = { 0 };
	import_ok(st, csv, wl, &s2);
	assert_int_equal(s2.indicators_new, 1); /* the IP; the domain is known */
	assert_int_equal(s2.indicators_seen, 1);
	struct gv_intel_index *ix = build(st);
	struct gv_intel_hit hit;
	assert_int_equal(gv_intel_index_lookup(ix, GV_ENT_IP, "203.0.113.5",
					       &hit),
			 1);
	assert_string_equal(hit.feed, "feed.csv");
	gv_intel_index_unref(&ix);
	gv_intel_warninglist_free(&wl);
	gv_intel_store_close(&st);
}

static void test_refuse_bad_json(void **state)
{
	(void)state;
	char path[600];
	write_tmp("broken.json", "{\"type\": \"bundle\", \"objects\": [",
		  path, sizeof(path));
	struct gv_intel_store *st = fresh_store();
	struct gv_intel_import_stats s = { 0 };
	const char *err = NULL;
	assert_int_equal(gv_intel_import_path(st, path, NULL, NULL, &s, NULL,
					      &err),
			 -1);
	assert_non_null(strstr(err, "broken.json: invalid JSON"));
	assert_int_equal(s.files_refused, 1);
	gv_intel_store_close(&st);
}

/* Found by fuzz-intel-import: a bundle object with neither name nor id. */
static void test_object_without_name_or_id(void **state)
{
	(void)state;
	char path[600];
	write_tmp("noid.json",
		  "{\"type\": \"bundle\", \"id\": \"bundle--1\", "
		  "\"objects\": [{\"type\": \"identity\"}, "
		  "{\"type\": \"malware\", \"name\": \"\"}]}",
		  path, sizeof(path));
	struct gv_intel_store *st = fresh_store();
	struct gv_intel_import_stats s = { 0 };
	import_ok(st, path, NULL, &s);
	assert_int_equal(s.invalid, 2);
	assert_int_equal(s.entities, 0);
	gv_intel_store_close(&st);
}

/* Export -> sign -> verify; one changed byte fails verification. */
static void test_export_sign_verify(void **state)
{
	(void)state;
	struct gv_intel_store *st = fresh_store();
	static const char *const rcpt[] = { "victim@corp.example" };
	static const struct gv_intel_url url[] = {
		{ "http://pay-check.example/login", "pay-check.example",
		  "pay-check.example", "href" }
	};
	struct gv_intel_event ev = { .event_id = "e1",
				     .time = 1767225600,
				     .from = "hr@pay-check.example",
				     .envelope_rcpts = rcpt,
				     .n_envelope_rcpts = 1,
				     .urls = url,
				     .n_urls = 1,
				     .action = GV_ACT_REJECT,
				     .score = 90,
				     .campaign = "Operation Payday" };
	const struct gv_intel_event *evs[] = { &ev };
	size_t ins;
	const char *err;
	assert_int_equal(gv_intel_store_ingest(st, evs, 1, &ins, &err), 1);
	struct gv_intel_export_filter f = { .campaign = "Operation Payday" };
	char *json;
	size_t len, nobj;
	assert_int_equal(gv_intel_export_stix(st, &f, &json, &len, &nobj, &err),
			 1);
	assert_true(nobj >= 8); /* identity, 3 x (indicator+sighting), ... */
	assert_non_null(strstr(json, "[domain-name:value = 'pay-check.example']"));
	assert_non_null(strstr(json, "\"name\": \"Operation Payday\""));
	char sk[600], pk[600];
	snprintf(sk, sizeof(sk), "%s/k.sec", tmpdir);
	snprintf(pk, sizeof(pk), "%s/k.pub", tmpdir);
	assert_int_equal(gv_intel_keygen(sk, pk, &err), 1);
	struct stat sb;
	assert_int_equal(stat(sk, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	char *sig;
	assert_int_equal(gv_intel_sign((unsigned char *)json, len, sk, &sig,
				       &err),
			 1);
	assert_int_equal(gv_intel_verify((unsigned char *)json, len, sig, pk,
					 &err),
			 1);
	json[len / 2] ^= 1;
	assert_int_equal(gv_intel_verify((unsigned char *)json, len, sig, pk,
					 &err),
			 0);
	/* Re-importing our own export gives back the indicators. */
	json[len / 2] ^= 1;
	char path[600];
	write_tmp("export.json", json, path, sizeof(path));
	struct gv_intel_store *st2 = fresh_store();
	struct gv_intel_import_stats s = { 0 };
	import_ok(st2, path, NULL, &s);
	assert_int_equal(s.indicators_new, 3); /* url, domain, sender */
	gv_intel_store_close(&st2);
	gv_free(sig);
	gv_free(json);
	gv_intel_store_close(&st);
}

/* The intel: section is read alone; other sections and unknown keys are
 * ignored; a missing file means the defaults. */
static void test_config(void **state)
{
	(void)state;
	char path[600];
	write_tmp("geneva.yaml",
		  "scan:\n  limits:\n    max_parts: 10\n"
		  "intel:\n  store: \"postgres:host=/run/pg dbname=geneva\"\n"
		  "  journal_dir: /srv/journal\n  batch_size: 100\n"
		  "  future_key: 1\n  warninglists: [/a/list.json, /b]\n"
		  "alerts:\n  min_severity: high\n",
		  path, sizeof(path));
	struct gv_intel_config *c;
	const char *err;
	assert_int_equal(gv_intel_config_load(path, &c, &err), 1);
	assert_string_equal(c->store, "postgres:host=/run/pg dbname=geneva");
	assert_string_equal(c->journal_dir, "/srv/journal");
	assert_int_equal(c->batch_size, 100);
	assert_int_equal(c->queue_size, GV_INTEL_QUEUE_SIZE);
	assert_int_equal(c->n_warninglists, 2);
	assert_string_equal(c->warninglists[1], "/b");
	gv_intel_config_free(&c);
	assert_null(c);
	assert_int_equal(gv_intel_config_load("/nonexistent.yaml", &c, &err), 1);
	assert_string_equal(c->store, "sqlite:/var/lib/geneva/intel.db");
	assert_int_equal(c->batch_size, GV_INTEL_BATCH_SIZE);
	gv_intel_config_free(&c);
	write_tmp("bad.yaml", "intel:\n  batch_size: [not a number]\n", path,
		  sizeof(path));
	assert_int_equal(gv_intel_config_load(path, &c, &err), -1);
	assert_non_null(strstr(err, "bad.yaml"));
}


/* Another process holds the write lock when a batch starts and commits a
 * moment later: the batch waits for it (busy timeout) and stores its event
 * with an id after the other writer's, instead of failing on a stale
 * snapshot. */
struct other_writer {
	sqlite3 *db;
};

static void *release_later(void *arg)
{
	struct other_writer *o = arg;
	usleep(200 * 1000);
	sqlite3_exec(o->db, "COMMIT", NULL, NULL, NULL);
	return NULL;
}

static void test_concurrent_writer(void **state)
{
	(void)state;
	char path[512], uri[600];
	snprintf(path, sizeof(path), "%s/concurrent.db", tmpdir);
	snprintf(uri, sizeof(uri), "sqlite:%s", path);
	struct gv_intel_store_settings s = { .uri = uri,
					     .busy_timeout_ms = 5000 };
	struct gv_intel_store *st;
	const char *err;
	assert_int_equal(gv_intel_store_open(&s, &st, &err), 1);
	static const char *const rcpt[] = { "victim@corp.example" };
	struct gv_intel_event ev = { .event_id = "mine",
				     .time = 1767225600,
				     .envelope_rcpts = rcpt,
				     .n_envelope_rcpts = 1,
				     .action = GV_ACT_QUARANTINE };
	const struct gv_intel_event *one[1] = { &ev };
	size_t ins;
	/* the other writer: an event row of its own, not committed yet */
	struct other_writer o;
	assert_int_equal(sqlite3_open(path, &o.db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(o.db,
				      "BEGIN IMMEDIATE; INSERT INTO event(uid,"
				      " uid_key, ts, day, action, score)"
				      " VALUES('theirs', 1, 1767225600, 20454,"
				      " 2, 1)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, release_later, &o), 0);
	int rc = gv_intel_store_ingest(st, one, 1, &ins, &err);
	pthread_join(t, NULL);
	sqlite3_close(o.db);
	if (rc < 0)
		fail_msg("ingest: %s", err);
	assert_int_equal(ins, 1);
	struct gv_intel_counts c;
	assert_int_equal(gv_intel_store_counts(st, &c, &err), 1);
	assert_int_equal(c.events, 2);
	gv_intel_store_close(&st);
}

int main(void)
{
	const char *env = getenv("GENEVA_SHARED");
	snprintf(shared, sizeof(shared), "%s", env ? env : "../shared");
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/gv-intel-import-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_twice),
		cmocka_unit_test(test_index_cites_stix),
		cmocka_unit_test(test_index_corpus_forms),
		cmocka_unit_test(test_warninglist_and_lists),
		cmocka_unit_test(test_refuse_bad_json),
		cmocka_unit_test(test_object_without_name_or_id),
		cmocka_unit_test(test_export_sign_verify),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_concurrent_writer),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
