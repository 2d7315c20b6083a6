/* Detector: the real Dovecot sample log, baselines, windows, severities. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "watch/watch.h"

#define REF 1795651200 /* 2026-11-26T00:00:00Z */

struct got {
	int n;
	struct gv_watch_finding last[16];
	char keys[16][256];
	char ips[16][64];
	char clients[16][64];
};

static void on_finding(void *ctx, const struct gv_watch_finding *f)
{
	struct got *g = ctx;
	if (g->n < 16) {
		g->last[g->n] = *f;
		snprintf(g->keys[g->n], sizeof(g->keys[0]), "%s", f->dedup_key);
		snprintf(g->ips[g->n], sizeof(g->ips[0]), "%s", f->rip);
		snprintf(g->clients[g->n], sizeof(g->clients[0]), "%s",
			 f->client);
	}
	g->n++;
}

static void feed(struct gv_watch *w, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && n < (int)sizeof(line));
	assert_int_equal(gv_watch_feed_line(w, (unsigned char *)line,
					    (size_t)n), 1);
}

static void login(struct gv_watch *w, const char *hm, const char *user,
		  const char *ip, const char *sess)
{
	feed(w, "Nov 26 %s imap-login: Info: Login: user=<%s>, method=PLAIN, "
	     "rip=%s, lip=10.0.0.1, mpid=1, secured, session=<%s>", hm, user,
	     ip, sess);
}

static void command(struct gv_watch *w, const char *hm, const char *user,
		    const char *sess, const char *cmd, const char *args,
		    unsigned long bytes, const char *reply)
{
	feed(w, "Nov 26 %s stats: Info: {\"event\":\"imap_command_finished\","
	     "\"fields\":{\"user\":\"%s\",\"session\":\"%s\",\"cmd_name\":"
	     "\"%s\",\"cmd_args\":\"%s\",\"tagged_reply_state\":\"OK\","
	     "\"tagged_reply\":\"%s\",\"bytes_out\":%lu,\"mailbox\":"
	     "\"INBOX\"}}", hm, user, sess, cmd, args, reply, bytes);
}

static void logout(struct gv_watch *w, const char *hm, const char *user,
		   const char *sess, unsigned body_count)
{
	feed(w, "Nov 26 %s imap(%s)<1><%s>: Info: Disconnected: Logged out "
	     "in=1 out=2 hdr_count=0 hdr_bytes=0 body_count=%u "
	     "body_bytes=%u", hm, user, sess, body_count, body_count * 1000);
}

static void test_sample_log(void **state)
{
	(void)state;
	const char *shared = getenv("GENEVA_SHARED");
	assert_non_null(shared);
	char path[4096];
	snprintf(path, sizeof(path), "%s/notes/sample_dovecot.log", shared);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	struct got g = { 0 };
	struct gv_watch *w = gv_watch_new(NULL, on_finding, &g);
	gv_watch_set_ref_time(w, REF);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) > 0)
		gv_watch_feed_line(w, (unsigned char *)line, (size_t)n - 1);
	free(line);
	fclose(f);
	struct gv_watch_stats st;
	gv_watch_get_stats(w, &st);
	assert_int_equal(st.garbage, 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.last[0].kind, GV_WATCH_DOWNLOAD);
	assert_true(g.last[0].whole_mailbox);
	assert_int_equal(g.last[0].messages, 300); /* 281:300 taught the size */
	assert_string_equal(g.keys[0], "watch:download:alice:RAX7ECZhsM5/AAAB");
	assert_int_equal(g.last[1].kind, GV_WATCH_COPY);
	assert_string_equal(g.keys[1], "watch:copy:alice:69v9ECZhus5/AAAB");
	/* judged at the COPY event (COPYUID 1:300), not at copy line 150 */
	assert_int_equal(g.last[1].messages, 300);
	assert_true(g.last[1].severity >= 3);
	gv_watch_free(&w);
}

static void test_baseline_and_new_ip(void **state)
{
	(void)state;
	struct got g = { 0 };
	struct gv_watch_config cfg = { .mailbox_messages = 100 };
	struct gv_watch *w = gv_watch_new(&cfg, on_finding, &g);
	gv_watch_set_ref_time(w, REF);
	/* bob's own client syncs 80 of 100 messages every session */
	for (int i = 0; i < 8; i++) {
		char sess[16], hm[16];
		snprintf(sess, sizeof(sess), "s%d", i);
		snprintf(hm, sizeof(hm), "%02d:00:00", 8 + i);
		login(w, hm, "bob", "10.1.1.1", sess);
		command(w, hm, "bob", sess, "FETCH", "1:80 (BODY.PEEK[])",
			80000, "OK Fetch completed.");
		logout(w, hm, "bob", sess, 80);
	}
	/* alerts while the baseline is young, then it is usual */
	int young = g.n;
	assert_true(young >= 1 && young <= 5);
	login(w, "17:00:00", "bob", "10.1.1.1", "s8");
	command(w, "17:00:00", "bob", "s8", "FETCH", "1:80 (BODY.PEEK[])",
		80000, "OK");
	logout(w, "17:00:01", "bob", "s8", 80);
	assert_int_equal(g.n, young);
	/* the same volume from a new IP is not usual */
	login(w, "17:30:00", "bob", "198.51.100.9", "s9");
	command(w, "17:30:00", "bob", "s9", "FETCH", "1:80 (BODY.PEEK[])",
		80000, "OK");
	assert_int_equal(g.n, young + 1);
	assert_true(g.last[young].new_ip);
	assert_string_equal(g.ips[young], "198.51.100.9");
	assert_int_equal(g.last[young].severity, 3); /* medium + new IP */
	/* logout of the same session: no second finding */
	logout(w, "17:30:05", "bob", "s9", 80);
	assert_int_equal(g.n, young + 1);
	gv_watch_free(&w);
}

static void test_normal_and_ignored(void **state)
{
	(void)state;
	struct got g = { 0 };
	struct gv_watch *w = gv_watch_new(NULL, on_finding, &g);
	gv_watch_set_ref_time(w, REF);
	login(w, "09:00:00", "carol", "10.2.2.2", "n1");
	command(w, "09:00:00", "carol", "n1", "FETCH",
		"281:300 (FLAGS BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)])", 3000,
		"OK");
	command(w, "09:00:01", "carol", "n1", "UID FETCH", "1:* (FLAGS)", 9000,
		"OK");
	command(w, "09:00:02", "carol", "n1", "FETCH", "300 (BODY[])", 9000,
		"OK");
	/* deleting everything = moving it to Trash: not exfiltration */
	command(w, "09:00:03", "carol", "n1", "MOVE", "1:* Trash", 0, "OK");
	command(w, "09:00:03", "carol", "n1", "UID COPY", "1:* \\\"Deleted "
		"Items\\\"", 0, "OK");
	logout(w, "09:00:04", "carol", "n1", 1);
	assert_int_equal(g.n, 0);
	/* bulk COPY with COPYUID: counted from the reply */
	login(w, "09:10:00", "carol", "10.2.2.2", "n2");
	command(w, "09:10:00", "carol", "n2", "UID COPY", "1:* Export", 0,
		"OK [COPYUID 17 1:300 1:300] Copy completed.");
	assert_int_equal(g.n, 1);
	assert_int_equal(g.last[0].kind, GV_WATCH_COPY);
	assert_int_equal(g.last[0].messages, 300);
	gv_watch_free(&w);
}

static void test_window_and_hours(void **state)
{
	(void)state;
	struct got g = { 0 };
	struct gv_watch_config cfg = { .mailbox_messages = 100 };
	struct gv_watch *w = gv_watch_new(&cfg, on_finding, &g);
	gv_watch_set_ref_time(w, REF);
	/* five sessions of 30 messages: none is bulk, together they are */
	for (int i = 0; i < 5; i++) {
		char sess[16], hm[16];
		snprintf(sess, sizeof(sess), "w%d", i);
		snprintf(hm, sizeof(hm), "10:%02d:00", i);
		login(w, hm, "dave", "10.3.3.3", sess);
		logout(w, hm, "dave", sess, 30);
	}
	assert_int_equal(g.n, 1);
	assert_int_equal(g.last[0].kind, GV_WATCH_WINDOW);
	assert_int_equal(g.last[0].messages, 60);
	/* the window alerts once */
	login(w, "11:00:00", "dave", "10.3.3.3", "w9");
	logout(w, "11:00:00", "dave", "w9", 30);
	assert_int_equal(g.n, 1);
	/* 03:00 is outside 7..19 for a user without long history */
	login(w, "03:00:00", "erin", "10.4.4.4", "h1");
	logout(w, "03:00:00", "erin", "h1", 250);
	assert_int_equal(g.n, 2);
	assert_true(g.last[1].unusual_hour);
	/* POP3 full download via retr= */
	feed(w, "Nov 26 12:00:00 pop3(frank)<9><p1>: Info: Disconnected: "
	     "Logged out top=0/0, retr=500/90000000, del=0/500, size=90000000");
	assert_int_equal(g.n, 3);
	assert_int_equal(g.last[2].messages, 500);
	gv_watch_free(&w);
}

/* imap_id_log lines name the client: a known IP with a new client is
 * flagged (and raises the severity). */
static void test_new_client(void **state)
{
	(void)state;
	struct got g = { 0 };
	struct gv_watch *w = gv_watch_new(NULL, on_finding, &g);
	gv_watch_set_ref_time(w, REF);
	login(w, "09:00:00", "ivy", "10.6.6.6", "c1");
	feed(w, "Nov 26 09:00:00 imap(ivy)<1><c1>: Info: ID sent: "
	     "name=Thunderbird, version=115.3");
	logout(w, "09:00:01", "ivy", "c1", 2);
	login(w, "10:00:00", "ivy", "10.6.6.6", "c2");
	feed(w, "Nov 26 10:00:00 imap(ivy)<1><c2>: Info: ID sent: "
	     "name=imapsync, version=2.229");
	logout(w, "10:00:05", "ivy", "c2", 900);
	assert_int_equal(g.n, 1);
	assert_true(g.last[0].new_client);
	assert_false(g.last[0].new_ip);
	assert_string_equal(g.clients[0], "imapsync 2.229");
	assert_int_equal(g.last[0].severity, 3); /* unknown size: medium +1 */
	gv_watch_free(&w);
}

static void test_whole_unknown_size(void **state)
{
	(void)state;
	struct got g = { 0 };
	struct gv_watch *w = gv_watch_new(NULL, on_finding, &g);
	gv_watch_set_ref_time(w, REF);
	login(w, "09:00:00", "gina", "10.5.5.5", "u1");
	command(w, "09:00:00", "gina", "u1", "UID FETCH", "1:* (BODY.PEEK[])",
		512, "OK");
	assert_int_equal(g.n, 0); /* tiny: below min_bytes, count unknown */
	command(w, "09:00:01", "gina", "u1", "UID FETCH", "1:* (RFC822)",
		5u << 20, "OK");
	assert_int_equal(g.n, 1);
	assert_true(g.last[0].whole_mailbox);
	logout(w, "09:00:02", "gina", "u1", 400);
	assert_int_equal(g.n, 1);
	gv_watch_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_log),
		cmocka_unit_test(test_baseline_and_new_ip),
		cmocka_unit_test(test_normal_and_ignored),
		cmocka_unit_test(test_window_and_hours),
		cmocka_unit_test(test_new_client),
		cmocka_unit_test(test_whole_unknown_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
