/* Log-line parser: table-driven cases, limits, and every file of the
 * shared imap_logs corpus (must parse; garbage is counted, not fatal). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "watch/watch.h"

#define REF 1795651200 /* 2026-11-26T00:00:00Z */

static int parse(const char *line, struct gv_watch_event *ev)
{
	return gv_watch_parse_line((const unsigned char *)line, strlen(line),
				   NULL, REF, ev);
}

static void assert_str(struct gv_str s, const char *lit)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%.*s", (int)s.len, s.ptr);
	assert_string_equal(buf, lit);
}

static void test_login(void **state)
{
	(void)state;
	struct gv_watch_event ev;
	assert_int_equal(parse("Nov 26 04:06:21 imap-login: Info: Login: "
		"user=<alice>, method=PLAIN, rip=127.0.0.1, lip=127.0.0.1, "
		"mpid=25690, secured, session=<yFT4ECZhqM5/AAAB>", &ev), 1);
	assert_int_equal(ev.type, GV_WEV_LOGIN);
	assert_str(ev.user, "alice");
	assert_str(ev.rip, "127.0.0.1");
	assert_str(ev.session, "yFT4ECZhqM5/AAAB");
	assert_str(ev.pid, "25690");
	assert_int_equal(ev.time, REF + 4 * 3600 + 6 * 60 + 21);
	/* syslog form with host and dovecot[pid] */
	assert_int_equal(parse("Jul 02 13:49:31 host dovecot[442]: imap-login: "
		"Login: user=<bob@example.org>, method=PLAIN, rip=192.0.2.7, "
		"lip=203.0.113.17, mpid=1, TLS, session=<YADINsQCDs5BH8Pg>",
		&ev), 1);
	assert_str(ev.user, "bob@example.org");
	assert_str(ev.rip, "192.0.2.7");
	/* a failed login is not a login */
	assert_int_equal(parse("Jun 13 16:30:54 platypus dovecot: imap-login: "
		"Disconnected (auth failed, 2 attempts): user=<bob>, "
		"method=PLAIN, rip=49.176.98.87, lip=1.2.3.4, TLS", &ev), 0);
}

static void test_logout(void **state)
{
	(void)state;
	struct gv_watch_event ev;
	assert_int_equal(parse("Nov 26 04:06:21 imap(alice)<25733><RAX7ECZhsM5/"
		"AAAB>: Info: Disconnected: Logged out in=68 out=6643527 "
		"deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 "
		"body_count=300 body_bytes=6630986", &ev), 1);
	assert_int_equal(ev.type, GV_WEV_LOGOUT);
	assert_str(ev.user, "alice");
	assert_str(ev.pid, "25733");
	assert_str(ev.session, "RAX7ECZhsM5/AAAB");
	assert_int_equal(ev.body_count, 300);
	assert_int_equal(ev.body_bytes, 6630986);
	/* POP3: retr=count/bytes */
	assert_int_equal(parse("2026-11-26T10:00:00Z mx dovecot: pop3(carol)"
		"<7><abc>: Disconnected: Logged out top=0/0, retr=420/9000000, "
		"del=0/420, size=9000000", &ev), 1);
	assert_int_equal(ev.body_count, 420);
	assert_int_equal(ev.body_bytes, 9000000);
	assert_int_equal(ev.time, REF + 10 * 3600);
	/* malformed counter */
	assert_int_equal(parse("Nov 26 04:06:21 imap(a)<1><s>: Disconnected: "
		"Logged out body_count=12x", &ev), -1);
}

static void test_copy_and_client(void **state)
{
	(void)state;
	struct gv_watch_event ev;
	assert_int_equal(parse("Nov 26 04:06:22 imap(alice)<25786><69v9ECZhus5/"
		"AAAB>: Info: copy from INBOX: box=Archive, uid=1, "
		"msgid=<m@x>, size=13847, vsize=14254, from=a@b, "
		"subject=box=Evil, size=1", &ev), 1);
	assert_int_equal(ev.type, GV_WEV_COPY);
	assert_str(ev.box_from, "INBOX");
	assert_str(ev.box_to, "Archive");
	assert_int_equal(ev.size, 13847);
	assert_int_equal(parse("Nov 26 04:06:22 imap(alice)<1><s1>: Info: "
		"ID sent: name=Thunderbird, version=115.3", &ev), 1);
	assert_int_equal(ev.type, GV_WEV_CLIENT);
	assert_str(ev.client, "Thunderbird 115.3");
}

static void test_json(void **state)
{
	(void)state;
	struct gv_watch_event ev;
	const char *l = "Nov 26 04:06:21 stats: Info: {\"event\":"
		"\"imap_command_finished\",\"hostname\":\"vm\",\"categories\":"
		"[\"service:imap\",\"imap\"],\"fields\":{\"user\":\"al\\u0069ce\","
		"\"remote_ip\":\"127.0.0.1\",\"session\":\"RAX7ECZhsM5/AAAB\","
		"\"cmd_name\":\"UID FETCH\",\"cmd_args\":\"1:* (BODY.PEEK[])\","
		"\"tagged_reply_state\":\"OK\",\"tagged_reply\":\"OK Fetch "
		"completed.\",\"bytes_out\":6642714,\"reason_code\":"
		"[\"imap:cmd_uid_fetch\"],\"mailbox\":\"INBOX\"}}";
	assert_int_equal(parse(l, &ev), 1);
	assert_int_equal(ev.type, GV_WEV_COMMAND);
	assert_str(ev.user, "alice");
	assert_str(ev.cmd_name, "UID FETCH");
	assert_str(ev.cmd_args, "1:* (BODY.PEEK[])");
	assert_str(ev.mailbox, "INBOX");
	assert_int_equal(ev.bytes_out, 6642714);
	/* another event: well formed, ignored */
	assert_int_equal(parse("Nov 26 04:06:21 stats: Info: {\"event\":"
		"\"mail_delivery_finished\",\"fields\":{}}", &ev), 0);
	/* broken JSON is garbage */
	assert_int_equal(parse("Nov 26 04:06:21 stats: Info: {\"event\":"
		"\"imap_command_finished\",\"fields\":{\"cmd_name\":\"X\"", &ev),
		-1);
	assert_int_equal(parse("Nov 26 04:06:21 stats: Info: {\"event\":"
		"\"imap_command_finished\",\"fields\":{\"cmd_name\":\"X\\q\"}}",
		&ev), -1);
}

static void test_limits_and_garbage(void **state)
{
	(void)state;
	struct gv_watch_event ev;
	assert_int_equal(parse("", &ev), 0);
	assert_int_equal(parse("# failJSON: { \"match\": true }", &ev), -1);
	assert_int_equal(parse("Foo 26 04:06:21 x: y", &ev), -1);
	assert_int_equal(parse("Nov 26 25:06:21 x: y", &ev), -1);
	assert_int_equal(parse("Nov 26 04:06:21 postfix/smtpd[1]: connect",
			       &ev), 0);
	/* TAI64N */
	assert_int_equal(parse("@400000004c91b044077a9e94 imap-login: Info: "
		"Login: user=<m>, rip=1.2.3.4, session=<x>", &ev), 1);
	assert_int_equal(ev.time, 0x4c91b044 - 10);
	/* max_line */
	struct gv_watch_limits lim = { .max_line = 40 };
	const char *l = "Nov 26 04:06:21 imap-login: Info: Login: user=<x>, "
			"rip=1.1.1.1";
	assert_int_equal(gv_watch_parse_line((const unsigned char *)l,
		strlen(l), &lim, REF, &ev), -1);
	/* JSON depth limit */
	char deep[400];
	int n = snprintf(deep, sizeof(deep), "Nov 26 04:06:21 stats: {\"a\":");
	for (int i = 0; i < 20; i++)
		n += snprintf(deep + n, sizeof(deep) - (size_t)n, "[");
	for (int i = 0; i < 20; i++)
		n += snprintf(deep + n, sizeof(deep) - (size_t)n, "]");
	snprintf(deep + n, sizeof(deep) - (size_t)n, "}");
	assert_int_equal(parse(deep, &ev), -1);
	/* unterminated <…> value */
	assert_int_equal(parse("Nov 26 04:06:21 imap-login: Login: "
			       "user=<alice, rip=1.1.1.1", &ev), -1);
}

static uint64_t feed_file(struct gv_watch *w, const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	uint64_t lines = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			n--;
		gv_watch_feed_line(w, (unsigned char *)line, (size_t)n);
		lines++;
	}
	free(line);
	fclose(f);
	return lines;
}

static void walk(struct gv_watch *w, const char *dir, int *files)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char p[4096];
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		struct stat st;
		assert_int_equal(stat(p, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			walk(w, p, files);
			continue;
		}
		struct gv_watch_stats before, after;
		gv_watch_get_stats(w, &before);
		uint64_t lines = feed_file(w, p);
		gv_watch_get_stats(w, &after);
		assert_int_equal(after.lines - before.lines, lines);
		print_message("# %s: %llu lines, %llu events, %llu ignored, "
			      "%llu garbage\n", de->d_name,
			      (unsigned long long)lines,
			      (unsigned long long)(after.events - before.events),
			      (unsigned long long)(after.ignored - before.ignored),
			      (unsigned long long)(after.garbage - before.garbage));
		(*files)++;
	}
	closedir(d);
}

static void test_corpus(void **state)
{
	(void)state;
	const char *shared = getenv("GENEVA_SHARED");
	assert_non_null(shared);
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/corpora/imap_logs", shared);
	struct gv_watch *w = gv_watch_new(NULL, NULL, NULL);
	gv_watch_set_ref_time(w, REF);
	int files = 0;
	walk(w, dir, &files);
	struct gv_watch_stats st;
	gv_watch_get_stats(w, &st);
	print_message("# imap_logs: %d files, %llu lines, %llu events, "
		      "%llu ignored, %llu blank, %llu garbage\n", files,
		      (unsigned long long)st.lines,
		      (unsigned long long)st.events,
		      (unsigned long long)st.ignored,
		      (unsigned long long)st.blank,
		      (unsigned long long)st.garbage);
	assert_int_equal(files, 20);
	assert_int_equal(st.lines, st.events + st.ignored + st.blank +
				   st.garbage);
	/* 380 "# failJSON" comment lines plus 18 lines of formats that are
	 * not server logs (web access logs, ctime dates, "[dd-Mon-yyyy …]") */
	assert_int_equal(st.lines, 862);
	assert_int_equal(st.garbage, 398);
	assert_true(st.events >= 1); /* crowdsec's one successful login */
	gv_watch_free(&w);
	assert_null(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_login),
		cmocka_unit_test(test_logout),
		cmocka_unit_test(test_copy_and_client),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_limits_and_garbage),
		cmocka_unit_test(test_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
