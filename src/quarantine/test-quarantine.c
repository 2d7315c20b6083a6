/* Quarantine store: round trip and file modes, bad input (ids, sidecars),
 * crash safety (index lost, put interrupted between its two files, temp
 * leftovers), delete, release through a fake sendmail (argv and stdin
 * checked, failure leaves the entry held), concurrent puts. Temp dirs only. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include <cmocka.h>

#include "quarantine/quarantine.h"

static const char msg[] = "From: a@example.org\r\nTo: b@example.net\r\n"
			  "Subject: hi\r\n\r\nbody line\r\n";

static char *tmpdir(void)
{
	char *t = gv_strdup("/tmp/gv-test-quarantine-XXXXXX");
	assert_non_null(mkdtemp(t));
	return t;
}

static void rmrf(const char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void put_one(struct gv_quarantine *q, struct gv_quarantine_entry *e)
{
	static const char *rc[] = { "b@example.net", "c@example.net" };
	memset(e, 0, sizeof(*e));
	e->queue_id = "4ABCD";
	e->sender = "a@example.org";
	e->rcpts = rc;
	e->n_rcpts = 2;
	e->client_ip = "127.0.0.1";
	e->subject = "hi";
	e->action = "quarantine";
	e->score = 61;
	e->reasons = "phish.credential_form,url.ip_host";
	e->verdict_json = "{\"version\":1,\"verdict\":{\"action\":\"quarantine\"}}";
	const char *err = NULL;
	assert_int_equal(gv_quarantine_put(q, e, (const unsigned char *)msg,
					   strlen(msg), &err), 1);
	assert_true(gv_quarantine_id_valid(e->id));
}

static void test_roundtrip(void **state)
{
	(void)state;
	char *d = tmpdir();
	struct gv_quarantine *q;
	const char *err;
	assert_int_equal(gv_quarantine_open(d, &q, &err), 1);
	struct gv_quarantine_entry e;
	put_one(q, &e);
	char p[4200];
	struct stat st;
	snprintf(p, sizeof(p), "%s/msg/%s.eml", d, e.id);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, (off_t)strlen(msg));
	snprintf(p, sizeof(p), "%s/msg", d);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_quarantine_entry g;
	unsigned char *data;
	size_t len;
	assert_int_equal(gv_quarantine_get(q, pool, e.id, &g, &data, &len, &err), 1);
	assert_memory_equal(data, msg, strlen(msg));
	assert_int_equal(len, strlen(msg));
	gv_free(data);
	assert_string_equal(g.sender, "a@example.org");
	assert_int_equal(g.n_rcpts, 2);
	assert_string_equal(g.rcpts[1], "c@example.net");
	assert_int_equal(g.score, 61);
	assert_int_equal(g.size, strlen(msg));
	assert_non_null(strstr(g.verdict_json, "quarantine"));
	assert_int_equal(g.released, 0);

	struct gv_quarantine_entry *all;
	size_t n;
	assert_int_equal(gv_quarantine_list(q, pool, &all, &n, &err), 1);
	assert_int_equal(n, 1);
	assert_string_equal(all[0].id, e.id);
	assert_string_equal(all[0].rcpts[0], "b@example.net");
	assert_string_equal(all[0].reasons, "phish.credential_form,url.ip_host");

	assert_int_equal(gv_quarantine_delete(q, e.id, &err), 1);
	assert_int_equal(gv_quarantine_delete(q, e.id, &err), 0);
	assert_int_equal(gv_quarantine_get(q, pool, e.id, &g, NULL, NULL, &err), 0);
	assert_int_equal(gv_quarantine_list(q, pool, &all, &n, &err), 1);
	assert_int_equal(n, 0);
	gv_pool_free(&pool);
	gv_quarantine_close(&q);
	assert_null(q);
	rmrf(d);
	gv_free(d);
}

static void test_bad_input(void **state)
{
	(void)state;
	static const char *bad[] = { "", "../index", "a/b", "a.eml", "x y",
				     "0123456789012345678901234567890123456789X",
				     "\xc3\xa9t\xc3\xa9" };
	for (size_t i = 0; i < GV_ARRAY_LEN(bad); i++)
		assert_false(gv_quarantine_id_valid(bad[i]));
	assert_false(gv_quarantine_id_valid(NULL));
	assert_true(gv_quarantine_id_valid("20260101000000-00ff"));

	char *d = tmpdir();
	struct gv_quarantine *q;
	const char *err;
	assert_int_equal(gv_quarantine_open(d, &q, &err), 1);
	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_quarantine_entry g;
	for (size_t i = 0; i < GV_ARRAY_LEN(bad); i++) {
		assert_int_equal(gv_quarantine_get(q, pool, bad[i], &g, NULL, NULL, &err), 0);
		assert_int_equal(gv_quarantine_delete(q, bad[i], &err), 0);
		assert_int_equal(gv_quarantine_release(q, bad[i], "/bin/true", &err), 0);
	}
	/* a garbage sidecar: open still works, the entry is skipped by the
	 * index and get reports an error rather than inventing data */
	char p[4200];
	snprintf(p, sizeof(p), "%s/msg/20260101000000-0bad.json", d);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("{\"id\": 42, \"rcpts\": \"nope\"", f);
	fclose(f);
	gv_quarantine_close(&q);
	assert_int_equal(gv_quarantine_open(d, &q, &err), 1);
	struct gv_quarantine_entry *all;
	size_t n;
	assert_int_equal(gv_quarantine_list(q, pool, &all, &n, &err), 1);
	assert_int_equal(n, 0);
	assert_int_equal(gv_quarantine_get(q, pool, "20260101000000-0bad", &g,
					   NULL, NULL, &err), -1);
	/* an unusable directory is an error, not a crash */
	struct gv_quarantine *q2 = NULL;
	assert_int_equal(gv_quarantine_open("/proc/nonexistent/x", &q2, &err), -1);
	assert_null(q2);
	assert_int_equal(gv_quarantine_open("", &q2, &err), -1);
	gv_pool_free(&pool);
	gv_quarantine_close(&q);
	rmrf(d);
	gv_free(d);
}

static void age(const char *path, time_t seconds)
{
	struct utimbuf t = { .actime = time(NULL) - seconds,
			     .modtime = time(NULL) - seconds };
	assert_int_equal(utime(path, &t), 0);
}

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("partial", f);
	fclose(f);
}

/* A crash after the files were written but before the index row (here:
 * the whole index lost) must not lose the entry; a crash between the two
 * files leaves an orphan that is cleaned once old enough, never while a
 * put may still be in flight. */
static void test_crash_safety(void **state)
{
	(void)state;
	char *d = tmpdir();
	struct gv_quarantine *q;
	const char *err;
	assert_int_equal(gv_quarantine_open(d, &q, &err), 1);
	struct gv_quarantine_entry e1, e2;
	put_one(q, &e1);
	put_one(q, &e2);
	assert_int_equal(gv_quarantine_release(q, e2.id, "/bin/true", &err), 1);
	gv_quarantine_close(&q);

	char p[4200];
	const char *suffix[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/index.sqlite%s", d, suffix[i]);
		unlink(p);
	}
	char young[4200], old[4200], tmp_old[4200], tmp_young[4200];
	snprintf(young, sizeof(young), "%s/msg/20260101000000-0001.eml", d);
	snprintf(old, sizeof(old), "%s/msg/20250101000000-0002.eml", d);
	snprintf(tmp_old, sizeof(tmp_old), "%s/msg/20250101000000-0003.eml.tmp.77", d);
	snprintf(tmp_young, sizeof(tmp_young), "%s/msg/20260101000000-0004.json.tmp.78", d);
	touch(young);
	touch(old);
	touch(tmp_old);
	touch(tmp_young);
	age(old, 7200);
	age(tmp_old, 7200);

	assert_int_equal(gv_quarantine_open(d, &q, &err), 1);
	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_quarantine_entry *all;
	size_t n;
	assert_int_equal(gv_quarantine_list(q, pool, &all, &n, &err), 1);
	assert_int_equal(n, 2);
	bool seen1 = false, seen2 = false;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(all[i].id, e1.id) == 0) {
			seen1 = true;
			assert_int_equal(all[i].released, 0);
		}
		if (strcmp(all[i].id, e2.id) == 0) {
			seen2 = true;
			assert_true(all[i].released > 0); /* marker file survives */
		}
	}
	assert_true(seen1 && seen2);
	assert_int_equal(access(young, F_OK), 0);
	assert_int_equal(access(tmp_young, F_OK), 0);
	assert_int_not_equal(access(old, F_OK), 0);
	assert_int_not_equal(access(tmp_old, F_OK), 0);

	/* a row whose files vanished behind our back is dropped at open */
	snprintf(p, sizeof(p), "%s/msg/%s.json", d, e1.id);
	assert_int_equal(unlink(p), 0);
	gv_quarantine_close(&q);
	assert_int_equal(gv_quarantine_open(d, &q, &err), 1);
	assert_int_equal(gv_quarantine_list(q, pool, &all, &n, &err), 1);
	assert_int_equal(n, 1);
	assert_string_equal(all[0].id, e2.id);
	gv_pool_free(&pool);
	gv_quarantine_close(&q);
	rmrf(d);
	gv_free(d);
}

static void test_release(void **state)
{
	(void)state;
	char *d = tmpdir();
	char sm[4200], bad[4200], out[4200];
	snprintf(sm, sizeof(sm), "%s/sendmail", d);
	snprintf(bad, sizeof(bad), "%s/sendmail-fails", d);
	snprintf(out, sizeof(out), "%s/out", d);
	FILE *f = fopen(sm, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\nfor a in \"$@\"; do printf '%%s\\n' \"$a\"; done > '%s.args'\n"
		   "cat > '%s.stdin'\n", out, out);
	fclose(f);
	f = fopen(bad, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\ncat >/dev/null\nexit 75\n");
	fclose(f);
	assert_int_equal(chmod(sm, 0755), 0);
	assert_int_equal(chmod(bad, 0755), 0);

	struct gv_quarantine *q;
	const char *err;
	char store[4200];
	snprintf(store, sizeof(store), "%s/store", d);
	assert_int_equal(gv_quarantine_open(store, &q, &err), 1);
	struct gv_quarantine_entry e;
	static const char *rc[] = { "-oi@example.net", "x;rm -rf /@example.net" };
	memset(&e, 0, sizeof(e));
	e.sender = "$(touch /tmp/pwned)@example.org";
	e.rcpts = rc;
	e.n_rcpts = 2;
	assert_int_equal(gv_quarantine_put(q, &e, (const unsigned char *)msg,
					   strlen(msg), &err), 1);
	assert_int_equal(gv_quarantine_release(q, e.id, bad, &err), -1);
	assert_non_null(strstr(err, "exit status 75"));
	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_quarantine_entry g;
	assert_int_equal(gv_quarantine_get(q, pool, e.id, &g, NULL, NULL, &err), 1);
	assert_int_equal(g.released, 0);

	assert_int_equal(gv_quarantine_release(q, e.id, sm, &err), 1);
	assert_int_equal(gv_quarantine_get(q, pool, e.id, &g, NULL, NULL, &err), 1);
	assert_true(g.released > 0);
	char p[4300];
	unsigned char *data;
	size_t len;
	bool trunc;
	snprintf(p, sizeof(p), "%s.args", out);
	assert_int_equal(gv_read_file(p, 1 << 20, &data, &len, &trunc, &err), 1);
	char *want = gv_psprintf(pool, "%s\n-i\n-f\n%s\n--\n%s\n%s\n", sm, e.sender,
				 rc[0], rc[1]);
	/* $0 is not printed by "$@": drop the first line of want */
	assert_string_equal(strchr(want, '\n') + 1,
			    gv_pstrndup(pool, (const char *)data, len));
	gv_free(data);
	snprintf(p, sizeof(p), "%s.stdin", out);
	assert_int_equal(gv_read_file(p, 1 << 20, &data, &len, &trunc, &err), 1);
	char *head = gv_psprintf(pool, "X-Geneva-Released: %s\r\n", e.id);
	assert_int_equal(len, strlen(head) + strlen(msg));
	assert_memory_equal(data, head, strlen(head));
	assert_memory_equal(data + strlen(head), msg, strlen(msg));
	gv_free(data);
	assert_int_not_equal(access("/tmp/pwned", F_OK), 0);
	/* a missing sendmail is an error */
	assert_int_equal(gv_quarantine_release(q, e.id, "/nonexistent/sendmail", &err), -1);
	gv_pool_free(&pool);
	gv_quarantine_close(&q);
	rmrf(d);
	gv_free(d);
}

struct putter {
	struct gv_quarantine *q;
	char ids[50][GV_QUARANTINE_ID_MAX + 1];
};

static void *put_many(void *arg)
{
	struct putter *p = arg;
	for (int i = 0; i < 50; i++) {
		struct gv_quarantine_entry e = { .sender = "s@x", .action = "quarantine" };
		const char *err;
		if (gv_quarantine_put(p->q, &e, (const unsigned char *)msg,
				      strlen(msg), &err) != 1)
			return (void *)1;
		memcpy(p->ids[i], e.id, sizeof(e.id));
	}
	return NULL;
}

static void test_concurrent_puts(void **state)
{
	(void)state;
	char *d = tmpdir();
	struct gv_quarantine *q;
	const char *err;
	assert_int_equal(gv_quarantine_open(d, &q, &err), 1);
	struct putter p[6];
	pthread_t th[6];
	for (int i = 0; i < 6; i++) {
		p[i].q = q;
		assert_int_equal(pthread_create(&th[i], NULL, put_many, &p[i]), 0);
	}
	for (int i = 0; i < 6; i++) {
		void *r;
		pthread_join(th[i], &r);
		assert_null(r);
	}
	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_quarantine_entry *all;
	size_t n;
	assert_int_equal(gv_quarantine_list(q, pool, &all, &n, &err), 1);
	assert_int_equal(n, 300);
	for (size_t i = 1; i < n; i++)
		for (size_t k = 0; k < i; k++)
			assert_string_not_equal(all[i].id, all[k].id);
	gv_pool_free(&pool);
	gv_quarantine_close(&q);
	rmrf(d);
	gv_free(d);
}

static void test_config(void **state)
{
	(void)state;
	char *d = tmpdir();
	char p[4200];
	snprintf(p, sizeof(p), "%s/g.yaml", d);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("scan:\n  limits:\n    max_parts: 5\nquarantine:\n  dir: /srv/q\n"
	      "  future_key: 1\n", f);
	fclose(f);
	struct gv_quarantine_config *c;
	const char *err;
	assert_int_equal(gv_quarantine_config_load(p, &c, &err), 1);
	assert_string_equal(c->dir, "/srv/q");
	assert_string_equal(c->sendmail, GV_QUARANTINE_DEFAULT_SENDMAIL);
	gv_quarantine_config_free(&c);
	assert_int_equal(gv_quarantine_config_load(NULL, &c, &err), 1);
	assert_string_equal(c->dir, GV_QUARANTINE_DEFAULT_DIR);
	gv_quarantine_config_free(&c);
	f = fopen(p, "w");
	fputs("quarantine:\n  sendmail: sendmail -t\n", f);
	fclose(f);
	assert_int_equal(gv_quarantine_config_load(p, &c, &err), -1);
	f = fopen(p, "w");
	fputs("quarantine: [1, 2\n", f);
	fclose(f);
	assert_int_equal(gv_quarantine_config_load(p, &c, &err), -1);
	rmrf(d);
	gv_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_crash_safety),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_concurrent_puts),
		cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
