/* Log following and the state file: partial lines, rotation (while
 * running and across a restart), truncation, and "a restart neither
 * misses nor repeats a finding". Works in a temp dir only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "watch/watch.h"

#define REF 1795651200

static char dir[256];
static char logp[300], statep[300];

struct got {
	int n;
	char keys[32][128];
};

static void on_finding(void *ctx, const struct gv_watch_finding *f)
{
	struct got *g = ctx;
	if (g->n < 32)
		snprintf(g->keys[g->n], sizeof(g->keys[0]), "%s", f->dedup_key);
	g->n++;
}

static void append(const char *path, const char *text)
{
	FILE *f = fopen(path, "a");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A bulk-download session for user u, session s: four lines. */
static void bulk(const char *path, const char *u, const char *s)
{
	char buf[1024];
	snprintf(buf, sizeof(buf),
		 "Nov 26 10:00:00 imap-login: Info: Login: user=<%s>, "
		 "rip=10.0.0.9, mpid=1, session=<%s>\n"
		 "Nov 26 10:00:01 imap(%s)<1><%s>: Info: Disconnected: Logged "
		 "out in=1 out=1 body_count=400 body_bytes=9000000\n",
		 u, s, u, s);
	append(path, buf);
}

static struct gv_watch *open_watch(struct got *g)
{
	struct gv_watch *w = gv_watch_new(NULL, on_finding, g);
	gv_watch_set_ref_time(w, REF);
	const char *err = NULL;
	assert_true(gv_watch_state_load(w, statep, &err) >= 0);
	gv_watch_add_file(w, logp);
	return w;
}

static void save_and_free(struct gv_watch **w)
{
	const char *err = NULL;
	assert_int_equal(gv_watch_state_save(*w, statep, &err), 1);
	gv_watch_free(w);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/gv-watch-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(logp, sizeof(logp), "%s/dovecot.log", dir);
	snprintf(statep, sizeof(statep), "%s/watch.state", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_partial_and_restart(void **state)
{
	(void)state;
	struct got g = { 0 };
	const char *err = NULL;
	struct gv_watch *w = open_watch(&g);
	bulk(logp, "u1", "a1");
	/* half a line: not consumed until its newline arrives */
	append(logp, "Nov 26 10:00:02 imap-login: Info: Login: user=<u2>, ");
	assert_int_equal(gv_watch_poll(w, &err), 2);
	assert_int_equal(g.n, 1);
	save_and_free(&w);

	/* restart: nothing repeated, the half line is completed and read */
	w = open_watch(&g);
	append(logp, "rip=10.0.0.9, mpid=2, session=<a2>\n");
	assert_int_equal(gv_watch_poll(w, &err), 1);
	assert_int_equal(g.n, 1);
	append(logp, "Nov 26 10:00:03 imap(u2)<2><a2>: Info: Disconnected: "
		     "Logged out body_count=400 body_bytes=9000000\n");
	assert_int_equal(gv_watch_poll(w, &err), 1);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.keys[1], "watch:download:u2:a2");
	/* a crash before saving replays from the last save: the finding of
	 * the replayed lines comes again with the same dedup key, which the
	 * alert outbox uses to refuse the duplicate */
	gv_watch_free(&w);
	w = open_watch(&g);
	assert_int_equal(gv_watch_poll(w, &err), 2);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.keys[2], g.keys[1]);
	save_and_free(&w);
	w = open_watch(&g);
	assert_int_equal(gv_watch_poll(w, &err), 0);
	assert_int_equal(g.n, 3);
	gv_watch_free(&w);
}

/* A session that already alerted is saved with its flag: its logout
 * after a restart raises nothing new. */
static void test_open_session_survives_restart(void **state)
{
	(void)state;
	struct got g = { 0 };
	const char *err = NULL;
	unlink(logp);
	unlink(statep);
	struct gv_watch *w = open_watch(&g);
	append(logp, "Nov 26 11:00:00 imap-login: Info: Login: user=<m1>, "
		     "rip=10.0.0.7, mpid=5, session=<ms1>\n"
		     "Nov 26 11:00:01 stats: Info: {\"event\":\"imap_command_"
		     "finished\",\"fields\":{\"user\":\"m1\",\"session\":"
		     "\"ms1\",\"cmd_name\":\"UID FETCH\",\"cmd_args\":"
		     "\"1:* (BODY.PEEK[])\",\"tagged_reply_state\":\"OK\","
		     "\"bytes_out\":9000000,\"mailbox\":\"INBOX\"}}\n");
	assert_int_equal(gv_watch_poll(w, &err), 2);
	assert_int_equal(g.n, 1);
	save_and_free(&w);
	w = open_watch(&g);
	append(logp, "Nov 26 11:00:09 imap(m1)<5><ms1>: Info: Disconnected: "
		     "Logged out in=1 out=9000100 body_count=420 "
		     "body_bytes=9000000\n");
	assert_int_equal(gv_watch_poll(w, &err), 1);
	assert_int_equal(g.n, 1);
	struct gv_watch_stats st;
	gv_watch_get_stats(w, &st);
	assert_int_equal(st.sessions_open, 0);
	gv_watch_free(&w);
}

static void test_rotation(void **state)
{
	(void)state;
	struct got g = { 0 };
	const char *err = NULL;
	char rotated[320];
	snprintf(rotated, sizeof(rotated), "%s.1", logp);
	unlink(logp);
	unlink(statep);
	struct gv_watch *w = open_watch(&g);
	bulk(logp, "r1", "b1");
	assert_int_equal(gv_watch_poll(w, &err), 2);
	/* rotated while running: the tail written to the old file before
	 * the rename is still read, then the new file from 0 */
	bulk(logp, "r2", "b2");
	assert_int_equal(rename(logp, rotated), 0);
	bulk(logp, "r3", "b3");
	assert_int_equal(gv_watch_poll(w, &err), 4);
	assert_int_equal(g.n, 3);
	save_and_free(&w);

	/* rotated while stopped: finish NAME.1 by inode, then the new one */
	bulk(logp, "r4", "b4");
	unlink(rotated);
	assert_int_equal(rename(logp, rotated), 0);
	bulk(logp, "r5", "b5");
	w = open_watch(&g);
	assert_int_equal(gv_watch_poll(w, &err), 4);
	assert_int_equal(g.n, 5);
	assert_string_equal(g.keys[3], "watch:download:r4:b4");
	assert_string_equal(g.keys[4], "watch:download:r5:b5");

	/* copytruncate: the file shrinks, reading starts again at 0 */
	FILE *f = fopen(logp, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(gv_watch_poll(w, &err), 0);
	bulk(logp, "r6", "b6");
	assert_int_equal(gv_watch_poll(w, &err), 2);
	assert_int_equal(g.n, 6);
	/* truncated and already grown past the old offset before the next
	 * poll: the bytes before the offset changed, so it is seen too */
	f = fopen(logp, "w");
	assert_non_null(f);
	fclose(f);
	bulk(logp, "r7", "b7");
	bulk(logp, "r8", "b8");
	assert_int_equal(gv_watch_poll(w, &err), 4);
	assert_int_equal(g.n, 8);
	assert_string_equal(g.keys[6], "watch:download:r7:b7");
	/* the same while stopped: the saved tail tells */
	save_and_free(&w);
	f = fopen(logp, "w");
	assert_non_null(f);
	fclose(f);
	bulk(logp, "r9", "b9");
	bulk(logp, "ra", "ba");
	bulk(logp, "rb", "bb");
	w = open_watch(&g);
	assert_int_equal(gv_watch_poll(w, &err), 6);
	assert_int_equal(g.n, 11);
	assert_string_equal(g.keys[8], "watch:download:r9:b9");
	struct gv_watch_stats st;
	gv_watch_get_stats(w, &st);
	assert_int_equal(st.garbage, 0);
	gv_watch_free(&w);
}

static void test_long_line_and_bad_state(void **state)
{
	(void)state;
	struct got g = { 0 };
	const char *err = NULL;
	unlink(logp);
	unlink(statep);
	struct gv_watch_config cfg = { .limits = { .max_line = 200 } };
	struct gv_watch *w = gv_watch_new(&cfg, on_finding, &g);
	gv_watch_add_file(w, logp);
	char big[1000];
	memset(big, 'x', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	append(logp, big);
	bulk(logp, "l1", "c1");
	assert_int_equal(gv_watch_poll(w, &err), 3);
	struct gv_watch_stats st;
	gv_watch_get_stats(w, &st);
	assert_int_equal(st.garbage, 1);
	assert_int_equal(st.events, 2);
	gv_watch_free(&w);
	/* a corrupt state file is an error, not a silent fresh start */
	append(statep, "{not json");
	w = gv_watch_new(NULL, NULL, NULL);
	assert_int_equal(gv_watch_state_load(w, statep, &err), -1);
	assert_non_null(err);
	gv_watch_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partial_and_restart),
		cmocka_unit_test(test_open_session_survives_restart),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_long_line_and_bad_state),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
