/* Alerts: webhook retries against a local receiver that is down at
 * first (no alert lost, none sent twice, also across a restart), HTTP
 * errors, de-duplication, rate limits, mail rendering and the mail
 * command, JSON schema, YAML config. Temp dirs only; loopback only. */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "respond/respond.h"
#include "scan/scan.h"
#include "util/util.h"

/* ---- tiny HTTP receiver on 127.0.0.1 ---- */
struct receiver {
	int port, lfd;
	pthread_t th;
	volatile int stop;
	int fail_first;       /* answer 500 to this many requests */
	int requests;
	char keys[64][40];    /* Idempotency-Key of each 2xx request */
	int n_ok;
	pthread_mutex_t mu;
};

static void *serve(void *arg)
{
	struct receiver *r = arg;
	while (!r->stop) {
		int c = accept(r->lfd, NULL, NULL);
		if (c < 0)
			continue;
		char buf[16384];
		size_t len = 0;
		long clen = -1;
		char *body = NULL;
		while (len < sizeof(buf) - 1) {
			ssize_t n = read(c, buf + len, sizeof(buf) - 1 - len);
			if (n <= 0)
				break;
			len += (size_t)n;
			buf[len] = '\0';
			body = strstr(buf, "\r\n\r\n");
			if (body && clen < 0) {
				char *cl = strcasestr(buf, "Content-Length:");
				clen = cl ? strtol(cl + 15, NULL, 10) : 0;
			}
			if (body && (long)(len - (size_t)(body + 4 - buf)) >= clen)
				break;
		}
		pthread_mutex_lock(&r->mu);
		r->requests++;
		bool fail = r->requests <= r->fail_first;
		char *k = strcasestr(buf, "Idempotency-Key: ");
		if (!fail && k && r->n_ok < 64) {
			snprintf(r->keys[r->n_ok], sizeof(r->keys[0]), "%.32s",
				 k + 17);
			r->n_ok++;
		}
		pthread_mutex_unlock(&r->mu);
		const char *resp = fail ?
			"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n"
			"Connection: close\r\n\r\n" :
			"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
			"Connection: close\r\n\r\n";
		if (write(c, resp, strlen(resp)) < 0)
			break;
		close(c);
	}
	return NULL;
}

static int free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t l = sizeof(a);
	getsockname(s, (struct sockaddr *)&a, &l);
	close(s);
	return ntohs(a.sin_port);
}

static void receiver_start(struct receiver *r)
{
	r->lfd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(r->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct timeval tv = { 0, 100000 };
	setsockopt(r->lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)r->port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(r->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(r->lfd, 16), 0);
	r->stop = 0;
	pthread_mutex_init(&r->mu, NULL);
	assert_int_equal(pthread_create(&r->th, NULL, serve, r), 0);
}

static void receiver_stop(struct receiver *r)
{
	r->stop = 1;
	pthread_join(r->th, NULL);
	close(r->lfd);
}

/* every 2xx key distinct */
static void assert_unique(struct receiver *r)
{
	for (int i = 0; i < r->n_ok; i++)
		for (int j = i + 1; j < r->n_ok; j++)
			assert_string_not_equal(r->keys[i], r->keys[j]);
}

static char dir[128];
static char spool[200], url[100];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/gv-alerts-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void make_alert(struct gv_alert *al, const char *user, int n)
{
	static char keys[8][64];
	gv_alert_init(al, GV_ALERT_MAILBOX, GV_SEV_HIGH, "test");
	al->subject_user = user;
	al->title = "Mailbox downloaded";
	al->summary = "300 messages";
	snprintf(keys[n % 8], sizeof(keys[0]), "test:%s:%d", user, n);
	al->dedup_key = keys[n % 8];
	al->time = 1795651200 + n;
	gv_alert_add(al, "rip", "203.0.113.7");
}

static struct gv_alerts *new_alerts(const char *sub)
{
	snprintf(spool, sizeof(spool), "%s/%s", dir, sub);
	struct gv_alerts_config c = { .spool_dir = spool, .webhook_url = url,
				      .retry_base_ms = 50, .retry_max_ms = 200,
				      .webhook_timeout_ms = 2000, .syslog = -1 };
	return gv_alerts_new(&c);
}

static void test_webhook_down_then_up(void **state)
{
	(void)state;
	struct receiver r = { .port = free_port() };
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", r.port);
	struct gv_alerts *a = new_alerts("spool1");
	const char *err = NULL;
	struct gv_alert al;
	for (int i = 0; i < 3; i++) {
		make_alert(&al, "alice", i);
		assert_int_equal(gv_alert_emit(a, &al, &err), 1);
	}
	/* receiver down: all three wait in the outbox */
	assert_int_equal(gv_alerts_flush(a, 0), 3);
	struct gv_alerts_stats st;
	gv_alerts_get_stats(a, &st);
	assert_int_equal(st.delivered, 0);
	assert_true(st.attempts_failed >= 3);
	/* restart while down: the outbox survives the process */
	gv_alerts_free(&a);
	a = new_alerts("spool1");
	make_alert(&al, "alice", 3);
	assert_int_equal(gv_alert_emit(a, &al, &err), 1);
	/* the same alerts again (a detector replaying its log): refused */
	for (int i = 0; i < 4; i++) {
		make_alert(&al, "alice", i);
		assert_int_equal(gv_alert_emit(a, &al, &err), 0);
	}
	receiver_start(&r);
	assert_int_equal(gv_alerts_flush(a, 5000), 0);
	gv_alerts_get_stats(a, &st);
	assert_int_equal(st.delivered, 4);
	assert_int_equal(st.duplicates, 4);
	/* after delivery, replays and restarts send nothing more */
	gv_alerts_free(&a);
	a = new_alerts("spool1");
	for (int i = 0; i < 4; i++) {
		make_alert(&al, "alice", i);
		assert_int_equal(gv_alert_emit(a, &al, &err), 0);
	}
	assert_int_equal(gv_alerts_flush(a, 300), 0);
	receiver_stop(&r);
	assert_int_equal(r.n_ok, 4);
	assert_int_equal(r.requests, 4);
	assert_unique(&r);
	gv_alerts_free(&a);
}

static void test_webhook_http_errors(void **state)
{
	(void)state;
	struct receiver r = { .port = free_port(), .fail_first = 2 };
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", r.port);
	receiver_start(&r);
	struct gv_alerts *a = new_alerts("spool2");
	const char *err = NULL;
	struct gv_alert al;
	make_alert(&al, "bob", 0);
	assert_int_equal(gv_alert_emit(a, &al, &err), 1);
	/* the emit tried once (500); backoff brings the retries */
	assert_int_equal(gv_alerts_flush(a, 5000), 0);
	receiver_stop(&r);
	assert_int_equal(r.requests, 3);
	assert_int_equal(r.n_ok, 1);
	assert_string_equal(r.keys[0], gv_alerts_last_id(a));
	gv_alerts_free(&a);
}

/* A receiver that accepts connections but never answers: one flush pass
 * pays the timeout once, not once per pending alert. */
static void test_webhook_hangs(void **state)
{
	(void)state;
	int port = free_port();
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 64), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", port);
	snprintf(spool, sizeof(spool), "%s/spool5", dir);
	struct gv_alerts_config c = { .spool_dir = spool, .webhook_url = url,
				      .retry_base_ms = 10, .retry_max_ms = 10,
				      .webhook_timeout_ms = 300, .syslog = -1 };
	struct gv_alerts *a = gv_alerts_new(&c);
	const char *err = NULL;
	struct gv_alert al;
	for (int i = 0; i < 5; i++) {
		make_alert(&al, "hank", i);
		assert_int_equal(gv_alert_emit(a, &al, &err), 1);
	}
	usleep(50 * 1000);
	struct gv_alerts_stats before, after;
	gv_alerts_get_stats(a, &before);
	uint64_t t0 = gv_now_ms();
	assert_int_equal(gv_alerts_flush(a, 0), 5);
	uint64_t took = gv_now_ms() - t0;
	gv_alerts_get_stats(a, &after);
	assert_int_equal(after.attempts_failed - before.attempts_failed, 1);
	assert_true(took < 1000);
	close(lfd);
	gv_alerts_free(&a);
}

static void test_dedup_and_rate(void **state)
{
	(void)state;
	char cmdline[400], out[256];
	snprintf(out, sizeof(out), "%s/mail.out", dir);
	snprintf(cmdline, sizeof(cmdline),
		 "/usr/bin/dd of=%s oflag=append conv=notrunc status=none", out);
	snprintf(spool, sizeof(spool), "%s/spool3", dir);
	struct gv_alerts_config c = { .spool_dir = spool, .syslog = -1,
				      .mail_command = cmdline,
				      .notify_user = 0,
				      .user_domain = "example.org",
				      .max_per_user_hour = 2,
				      .dedup_seconds = 600 };
	struct gv_alerts *a = gv_alerts_new(&c);
	const char *err = NULL;
	struct gv_alert al;
	make_alert(&al, "carol", 0);
	al.user_notice = "Your mailbox was downloaded from 203.0.113.7.";
	al.title = "Mailbox downloaded\r\nBcc: evil@example.net";
	assert_int_equal(gv_alert_emit(a, &al, &err), 1);
	/* same key 100 s later: a duplicate within dedup_seconds */
	al.time += 100;
	assert_int_equal(gv_alert_emit(a, &al, &err), 0);
	/* other keys for the same user: third mail is over the hour limit */
	for (int i = 1; i < 3; i++) {
		make_alert(&al, "carol", i);
		al.user_notice = "notice";
		assert_int_equal(gv_alert_emit(a, &al, &err), 1);
	}
	struct gv_alerts_stats st;
	gv_alerts_get_stats(a, &st);
	assert_int_equal(st.duplicates, 1);
	assert_int_equal(st.rate_limited, 1);
	assert_int_equal(st.delivered, 2);
	unsigned char *data;
	size_t len;
	bool trunc;
	assert_int_equal(gv_read_file(out, 1 << 20, &data, &len, &trunc, &err), 1);
	const char *m = (const char *)data;
	assert_non_null(strstr(m, "To: <carol@example.org>"));
	assert_non_null(strstr(m, "Your mailbox was downloaded from "
				  "203.0.113.7."));
	assert_non_null(strstr(m, "If this was not you"));
	assert_null(strstr(m, "\nBcc:"));
	gv_free(data);
	/* text that is not UTF-8 (copied from a log) still makes a mail */
	make_alert(&al, "frank", 7);
	al.title = "Mailbox of fr\xffnk downloaded";
	al.user_notice = "Your mailbox fr\xe9nk was downloaded.";
	assert_int_equal(gv_alert_emit(a, &al, &err), 1);
	assert_int_equal(gv_read_file(out, 1 << 20, &data, &len, &trunc, &err), 1);
	assert_non_null(strstr((const char *)data, "Your mailbox fr?nk was"));
	/* non-ASCII subject: one RFC 2047 word ("Security notice: " …) */
	assert_non_null(strstr((const char *)data,
			       "Subject: =?UTF-8?B?U2VjdXJpdHkgbm90aWNlOiBN"));
	gv_free(data);
	gv_alerts_free(&a);
}

static void test_mail_command_fails(void **state)
{
	(void)state;
	snprintf(spool, sizeof(spool), "%s/spool4", dir);
	struct gv_alerts_config c = { .spool_dir = spool, .syslog = -1,
				      .mail_command = "/bin/false",
				      .security_team = "soc@example.org",
				      .retry_base_ms = 2000 };
	struct gv_alerts *a = gv_alerts_new(&c);
	const char *err = NULL;
	struct gv_alert al;
	make_alert(&al, "dave", 0);
	assert_int_equal(gv_alert_emit(a, &al, &err), 1);
	assert_int_equal(gv_alerts_flush(a, 0), 1);
	/* a later process with a working command delivers the same entry */
	gv_alerts_free(&a);
	char out[256], cmdline[400];
	snprintf(out, sizeof(out), "%s/team.out", dir);
	snprintf(cmdline, sizeof(cmdline), "/usr/bin/dd of=%s status=none", out);
	c.mail_command = cmdline;
	c.retry_base_ms = 10;
	a = gv_alerts_new(&c);
	assert_int_equal(gv_alerts_flush(a, 5000), 0);
	assert_int_equal(access(out, F_OK), 0);
	gv_alerts_free(&a);
}

static void test_json_schema(void **state)
{
	(void)state;
	struct gv_alert al;
	make_alert(&al, "erin", 5);
	char *text = gv_alert_to_json(&al, "0123456789abcdef0123456789abcdef");
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "schema")),
			    "geneva.alert/1");
	assert_string_equal(json_string_value(json_object_get(j, "kind")),
			    "mailbox");
	assert_string_equal(json_string_value(json_object_get(j, "severity")),
			    "high");
	assert_string_equal(json_string_value(json_object_get(j, "time")),
			    "2026-11-26T00:00:05Z");
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(j, "evidence"), "rip")), "203.0.113.7");
	json_decref(j);
	gv_free(text);
	al.subject_user = "er\xc3in"; /* truncated UTF-8 sequence */
	text = gv_alert_to_json(&al, "0123456789abcdef0123456789abcdef");
	assert_non_null(strstr(text, "\"subject_user\":\"er?in\""));
	gv_free(text);
	assert_int_equal(gv_severity_parse("critical"), GV_SEV_CRITICAL);
	assert_int_equal(gv_severity_parse("urgent"), -1);
}

static void test_config(void **state)
{
	(void)state;
	char p[256];
	snprintf(p, sizeof(p), "%s/geneva.yaml", dir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("scan:\n  whatever: 1\nalerts:\n  spool_dir: /tmp/x\n"
	      "  dedup_seconds: 60\n  retry:\n    base_ms: 250\n"
	      "  webhook:\n    url: http://127.0.0.1:9/h\n"
	      "    min_severity: high\n  syslog:\n    enabled: no\n"
	      "  mail:\n    security_team: soc@example.org\n"
	      "    team_min_severity: info\n    unknown_key: 1\n"
	      "  messages: reject\n  indicators: no\n"
	      "watch:\n  min_messages: 5\n", f);
	fclose(f);
	struct gv_alerts_config c;
	void *storage;
	const char *err = NULL;
	assert_int_equal(gv_alerts_config_load(p, &c, &storage, &err), 1);
	assert_string_equal(c.spool_dir, "/tmp/x");
	assert_int_equal(c.dedup_seconds, 60);
	assert_int_equal(c.retry_base_ms, 250);
	assert_string_equal(c.webhook_url, "http://127.0.0.1:9/h");
	assert_int_equal(c.webhook_min_severity, GV_SEV_HIGH);
	assert_int_equal(c.syslog, -1);
	assert_int_equal(c.team_min_severity, -1);
	assert_string_equal(c.security_team, "soc@example.org");
	assert_int_equal(c.message_min_action, GV_ACTION_REJECT);
	assert_int_equal(c.indicator_alerts, -1);
	gv_alerts_config_free(&storage);
	assert_null(storage);
	f = fopen(p, "w");
	fputs("alerts:\n  min_severity: urgent\n", f);
	fclose(f);
	assert_int_equal(gv_alerts_config_load(p, &c, &storage, &err), -1);
	f = fopen(p, "w");
	fputs("alerts:\n  messages: sometimes\n", f);
	fclose(f);
	assert_int_equal(gv_alerts_config_load(p, &c, &storage, &err), -1);
	snprintf(p, sizeof(p), "%s/none.yaml", dir);
	assert_int_equal(gv_alerts_config_load(p, &c, &storage, &err), 0);
}

/* ---- scan verdicts as alerts ---- */
struct captured {
	int n;
	enum gv_alert_kind kinds[8];
	enum gv_severity sev[8];
	char json[8][4096];
};

static int capture(void *ctx, const struct gv_alert *al, const char *id,
		   const char *json)
{
	struct captured *c = ctx;
	(void)id;
	if (c->n < 8) {
		c->kinds[c->n] = al->kind;
		c->sev[c->n] = al->severity;
		snprintf(c->json[c->n], sizeof(c->json[0]), "%s", json);
	}
	c->n++;
	return 0;
}

static void test_verdict_alerts(void **state)
{
	(void)state;
	snprintf(spool, sizeof(spool), "%s/spool-verdict", dir);
	struct gv_alerts_config c = { .spool_dir = spool, .syslog = -1 };
	struct gv_alerts *a = gv_alerts_new(&c);
	struct captured cap = { 0 };
	gv_alerts_set_store(a, capture, &cap);
	static const char raw[] = "From: a@evil.example\r\nTo: bob@corp.example"
				  "\r\nSubject: Verify\r\n\r\nhi\r\n";
	struct gv_mail_addr from = { "", "a@evil.example", "evil.example" };
	struct gv_mail_addr to = { "", "bob@corp.example", "corp.example" };
	struct gv_mail_message m = { .raw = (const unsigned char *)raw,
				     .raw_len = sizeof(raw) - 1,
				     .subject = "Verify", .message_id = "",
				     .date = "", .from = &from, .n_from = 1,
				     .to = &to, .n_to = 1 };
	struct gv_finding f[2] = {
		{ "phish", "phish.password_form", 50, "a form", "1" },
		{ "intel", "intel.url", 80,
		  "url http://evil.example/x matches feed F campaign C", "" },
	};
	struct gv_scan_result r = { .msg = &m, .findings = f, .n_findings = 1,
				    .score = 50,
				    .action = GV_ACTION_QUARANTINE };
	const char *err = NULL;
	/* a quarantined message: one medium "message" alert to the team */
	assert_int_equal(gv_alerts_verdict(a, &r, NULL, "scan", 1000, &err), 1);
	assert_int_equal(cap.n, 1);
	assert_int_equal(cap.kinds[0], GV_ALERT_MESSAGE);
	assert_int_equal(cap.sev[0], GV_SEV_MEDIUM);
	assert_non_null(strstr(cap.json[0], "\"subject_user\":\"bob@corp.example\""));
	assert_non_null(strstr(cap.json[0], "phish.password_form"));
	/* the same message again (a rescan, an SMTP retry): no second alert */
	assert_int_equal(gv_alerts_verdict(a, &r, NULL, "scan", 1000, &err), 0);
	assert_int_equal(cap.n, 1);
	/* a tagged or accepted message does not alert by default */
	r.action = GV_ACTION_TAG;
	m.subject = "other";
	m.raw_len--; /* other bytes: another message */
	assert_int_equal(gv_alerts_verdict(a, &r, NULL, "scan", 1000, &err), 0);
	/* an indicator hit alerts even when the verdict does not */
	r.n_findings = 2;
	assert_int_equal(gv_alerts_verdict(a, &r, NULL, "scan", 1000, &err), 1);
	assert_int_equal(cap.kinds[1], GV_ALERT_INDICATOR);
	assert_int_equal(cap.sev[1], GV_SEV_HIGH);
	assert_non_null(strstr(cap.json[1], "campaign C"));
	/* malware found by a ClamAV/YARA rule: a rejected message, high */
	struct gv_finding mal = { "attach", "clamav.Eicar-Test-Signature", 100,
				  "EICAR", "2" };
	r = (struct gv_scan_result){ .msg = &m, .findings = &mal,
				     .n_findings = 1, .score = 100,
				     .action = GV_ACTION_REJECT };
	m.raw_len--;
	const char *rcpt[] = { "carol@corp.example" };
	struct gv_scan_envelope env = { .client_ip = "192.0.2.9",
					.mail_from = "x@evil.example",
					.rcpt_to = rcpt, .n_rcpt = 1 };
	assert_int_equal(gv_alerts_verdict(a, &r, &env, "milter", 0, &err), 1);
	assert_int_equal(cap.sev[2], GV_SEV_HIGH);
	assert_non_null(strstr(cap.json[2], "\"subject_user\":\"carol@corp.example\""));
	assert_non_null(strstr(cap.json[2], "192.0.2.9"));
	gv_alerts_free(&a);

	/* alerts.messages: tag lowers the bar; off and indicators: no mute */
	c.message_min_action = GV_ACTION_TAG;
	snprintf(spool, sizeof(spool), "%s/spool-verdict2", dir);
	a = gv_alerts_new(&c);
	gv_alerts_set_store(a, capture, &cap);
	r.action = GV_ACTION_TAG;
	assert_int_equal(gv_alerts_verdict(a, &r, NULL, "scan", 5, &err), 1);
	gv_alerts_free(&a);
	c.message_min_action = -1;
	c.indicator_alerts = -1;
	snprintf(spool, sizeof(spool), "%s/spool-verdict3", dir);
	a = gv_alerts_new(&c);
	r.findings = f;
	r.n_findings = 2;
	r.action = GV_ACTION_REJECT;
	assert_int_equal(gv_alerts_verdict(a, &r, NULL, "scan", 5, &err), 0);
	gv_alerts_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_webhook_down_then_up),
		cmocka_unit_test(test_webhook_http_errors),
		cmocka_unit_test(test_webhook_hangs),
		cmocka_unit_test(test_dedup_and_rate),
		cmocka_unit_test(test_mail_command_fails),
		cmocka_unit_test(test_json_schema),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_verdict_alerts),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
