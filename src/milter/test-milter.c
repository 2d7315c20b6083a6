/* Milter helpers: address arguments, reasons header, reply and log text,
 * header reassembly (folding, leading space, the size cap), the `milter`
 * config section (defaults, bad values, unknown keys), the worker <->
 * scanner frames, the crash digest, and scanner processes (argv[1] is the
 * geneva binary: a scan, a scanner killed under a message, its restart, a
 * reload while a session holds the old generation). */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "milter/milter-private.h"
#include "milter/proto.h"

static void test_addr(void **state)
{
	(void)state;
	struct gv_pool *p = gv_pool_new(1024);
	assert_string_equal(gv_milter_addr(p, "<a@b.example>"), "a@b.example");
	assert_string_equal(gv_milter_addr(p, "<>"), "");
	assert_string_equal(gv_milter_addr(p, NULL), "");
	assert_string_equal(gv_milter_addr(p, "a@b SIZE=10"), "a@b");
	assert_string_equal(gv_milter_addr(p, "  <x@y> BODY=8BITMIME"), "x@y");
	assert_string_equal(gv_milter_addr(p, "<unterminated@x"), "unterminated@x");
	gv_pool_free(&p);
}

static void test_reasons(void **state)
{
	(void)state;
	struct gv_pool *p = gv_pool_new(1024);
	struct gv_finding f[] = {
		{ .rule = "phish.credential_form", .score = 40 },
		{ .rule = "url.ip_host", .score = 20 },
		{ .rule = "info.only", .score = 0 },
		{ .rule = "bad\r\nInjected: yes%n", .score = 5 },
	};
	struct gv_scan_result r = { .findings = f, .n_findings = 4 };
	assert_string_equal(gv_milter_reasons(p, &r, 8, 400),
			    "phish.credential_form(40), url.ip_host(20), bad??Injected: yes?n(5)");
	assert_string_equal(gv_milter_reasons(p, &r, 1, 400), "phish.credential_form(40)");
	/* cut at an item boundary, never mid-item */
	assert_string_equal(gv_milter_reasons(p, &r, 8, 30), "phish.credential_form(40)");
	assert_string_equal(gv_milter_reasons(p, &r, 8, 5), "");
	struct gv_scan_result none = { 0 };
	assert_string_equal(gv_milter_reasons(p, &none, 8, 400), "");
	gv_pool_free(&p);
}

static void test_text(void **state)
{
	(void)state;
	struct gv_pool *p = gv_pool_new(1024);
	assert_string_equal(gv_milter_safe_text(p, "100% sure\r\n\x01", 100), "100? sure???");
	assert_string_equal(gv_milter_safe_text(p, "abcdef", 3), "abc");
	assert_string_equal(gv_milter_safe_text(p, NULL, 3), "");
	assert_string_equal(gv_milter_logval(p, "abc@x.org", 100), "abc@x.org");
	assert_string_equal(gv_milter_logval(p, "", 100), "\"\"");
	assert_string_equal(gv_milter_logval(p, "a b=\"c\\\n", 100), "\"a b=\\\"c\\\\\\x0a\"");
	assert_string_equal(gv_milter_logval(p, "x action=accept", 100),
			    "\"x action=accept\"");
	assert_string_equal(gv_milter_logval(p, "\xc3\xa9", 100), "\"\\xc3\\xa9\"");
	gv_pool_free(&p);
}

static void test_append_header(void **state)
{
	(void)state;
	struct gv_buf b;
	gv_buf_init(&b, 1024);
	assert_int_equal(gv_milter_append_header(&b, "Subject", "hi", false), 1);
	assert_int_equal(gv_milter_append_header(&b, "To", " a@b,\n\tc@d", true), 1);
	assert_int_equal(gv_milter_append_header(&b, "X", " already\r\n crlf", true), 1);
	assert_int_equal(gv_milter_append_header(&b, "Empty", "", true), 1);
	const char *want = "Subject: hi\r\nTo: a@b,\r\n\tc@d\r\nX: already\r\n crlf\r\nEmpty:\r\n";
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.data, want, b.len);
	gv_buf_free(&b);
	/* the cap: an append that does not fit fails, the buffer stays bounded */
	gv_buf_init(&b, 16);
	assert_int_equal(gv_milter_append_header(&b, "A", "1", false), 1);
	assert_int_equal(gv_milter_append_header(&b, "Subject", "too long for it", false), -1);
	assert_true(b.len <= 16);
	gv_buf_free(&b);
}

static char *write_config(const char *text)
{
	char *p = gv_strdup("/tmp/gv-test-milter-XXXXXX");
	int fd = mkstemp(p);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return p;
}

static void test_config(void **state)
{
	(void)state;
	struct gv_milter_config *c;
	const char *err;
	assert_int_equal(gv_milter_config_load(NULL, &c, &err), 1);
	assert_string_equal(c->socket, "inet:8891@127.0.0.1");
	assert_null(c->user);
	assert_int_equal(c->failure_mode, GV_MILTER_FAIL_TEMPFAIL);
	assert_int_equal(c->quarantine_mode, GV_MILTER_Q_DISCARD);
	assert_true(c->add_headers);
	assert_false(c->oversize_tempfail);
	assert_string_equal(c->subject_prefix, "");
	gv_milter_config_free(&c);
	assert_null(c);

	char *p = write_config("scan:\n  limits:\n    max_parts: 3\n"
			       "milter:\n  socket: unix:/run/g.sock\n  failure_mode: accept\n"
			       "  quarantine_mode: hold\n  add_headers: false\n"
			       "  subject_prefix: \"[SPAM] \"\n  scanners: 3\n  new_key: 1\n"
			       "  oversize_action: tempfail\n");
	assert_int_equal(gv_milter_config_load(p, &c, &err), 1);
	assert_string_equal(c->socket, "unix:/run/g.sock");
	assert_int_equal(c->failure_mode, GV_MILTER_FAIL_ACCEPT);
	assert_int_equal(c->quarantine_mode, GV_MILTER_Q_HOLD);
	assert_false(c->add_headers);
	assert_true(c->oversize_tempfail);
	assert_string_equal(c->subject_prefix, "[SPAM] ");
	assert_int_equal(c->scanners, 3);
	gv_milter_config_free(&c);
	unlink(p);
	gv_free(p);

	static const char *bad[] = {
		"milter:\n  failure_mode: drop\n",
		"milter:\n  quarantine_mode: delete\n",
		"milter:\n  oversize_action: truncate\n",
		"milter:\n  socket: tcp:25\n",
		"milter:\n  scanners: 100000\n",
		"milter:\n  scanners: -1\n",
		"milter: [\n",
	};
	for (size_t i = 0; i < GV_ARRAY_LEN(bad); i++) {
		p = write_config(bad[i]);
		c = NULL;
		assert_int_equal(gv_milter_config_load(p, &c, &err), -1);
		assert_null(c);
		unlink(p);
		gv_free(p);
	}
}

static void test_frames(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	const void *f[] = { "ok", "", "three" };
	size_t l[] = { 2, 0, 5 };
	assert_int_equal(gv_milter_frame_write(sv[0], 3, f, l), 1);
	struct gv_milter_frame fr;
	assert_int_equal(gv_milter_frame_read(sv[1], 8, 1024, 1000, &fr), 1);
	assert_int_equal(fr.n, 3);
	assert_string_equal(fr.field[0], "ok");
	assert_int_equal(fr.len[1], 0);
	assert_string_equal(fr.field[2], "three");
	gv_milter_frame_free(&fr);
	/* limits: too many fields, too many bytes -> an error, not a crash */
	assert_int_equal(gv_milter_frame_write(sv[0], 3, f, l), 1);
	assert_int_equal(gv_milter_frame_read(sv[1], 2, 1024, 1000, &fr), -1);
	close(sv[1]);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(gv_milter_frame_write(sv[0], 3, f, l), 1);
	assert_int_equal(gv_milter_frame_read(sv[1], 8, 8, 1000, &fr), -1);
	close(sv[1]);
	/* nothing arrives: timeout; the peer closes: EOF */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(gv_milter_frame_read(sv[1], 8, 1024, 50, &fr), -2);
	close(sv[0]);
	assert_int_equal(gv_milter_frame_read(sv[1], 8, 1024, 1000, &fr), 0);
	close(sv[1]);
	/* in memory: a field without its NUL, a short frame, a bad magic */
	unsigned char m[8 + 8 + 3] = { 0 };
	uint32_t magic = GV_MILTER_FRAME_MAGIC, n = 1;
	uint64_t len = 3;
	memcpy(m, &magic, 4);
	memcpy(m + 4, &n, 4);
	memcpy(m + 8, &len, 8);
	memcpy(m + 16, "ab", 3);
	assert_int_equal(gv_milter_frame_parse(m, sizeof(m), 8, 100, &fr), 1);
	assert_string_equal(fr.field[0], "ab");
	gv_milter_frame_free(&fr);
	m[18] = 'c';
	assert_int_equal(gv_milter_frame_parse(m, sizeof(m), 8, 100, &fr), -1);
	assert_int_equal(gv_milter_frame_parse(m, sizeof(m) - 1, 8, 100, &fr), -1);
	m[0] ^= 1;
	assert_int_equal(gv_milter_frame_parse(m, sizeof(m), 8, 100, &fr), -1);
}

static void test_packet(void **state)
{
	(void)state;
	static const unsigned char two[] = { 0, 0, 0, 3, 'H', 'x', 0, 0, 0, 0, 1, 'N' };
	char cmd;
	const unsigned char *d;
	size_t len;
	assert_int_equal(gv_milter_packet(two, sizeof(two), &cmd, &d, &len), 7);
	assert_int_equal(cmd, 'H');
	assert_int_equal(len, 2);
	assert_ptr_equal(d, two + 5);
	assert_int_equal(gv_milter_packet(two + 7, 5, &cmd, &d, &len), 5);
	assert_int_equal(cmd, 'N');
	assert_int_equal(len, 0);
	/* incomplete: wait for more; a zero or huge length: an error */
	assert_int_equal(gv_milter_packet(two, 6, &cmd, &d, &len), 0);
	assert_int_equal(gv_milter_packet(two, 3, &cmd, &d, &len), 0);
	static const unsigned char zero[] = { 0, 0, 0, 0, 'A' };
	static const unsigned char huge[] = { 0x7f, 0, 0, 0, 'B' };
	assert_int_equal(gv_milter_packet(zero, sizeof(zero), &cmd, &d, &len), -1);
	assert_int_equal(gv_milter_packet(huge, sizeof(huge), &cmd, &d, &len), -1);
}

static void test_digest(void **state)
{
	(void)state;
	/* a retry of the same message: a different Received field (folded),
	 * same digest; another body, sender or seed: another digest */
	static const char a[] = "Received: from x by mx with id AAA;\r\n\tThu, 1 Jan\r\n"
				"Subject: hi\r\n\r\nbody\r\n";
	static const char b[] = "Received: from x by mx with id BBB;\r\n\tFri, 2 Jan\r\n"
				"Subject: hi\r\n\r\nbody\r\n";
	static const char c[] = "Received: from x by mx with id AAA;\r\n\tThu, 1 Jan\r\n"
				"Subject: hi\r\n\r\nbody!\r\n";
	static const char d[] = "Subject: hi\r\nReceived: x\r\n\r\nReceived: in the body\r\n";
	static const char e[] = "Subject: hi\r\nReceived: y\r\n\r\nReceived: in the body\r\n";
	static const char f[] = "Subject: hi\r\nReceived: y\r\n\r\nReceived: in the bodY\r\n";
#define D(m, from, seed) gv_milter_digest((const unsigned char *)(m), strlen(m), from, seed)
	assert_true(D(a, "s@x", 1) == D(b, "s@x", 1));
	assert_true(D(a, "s@x", 1) != D(c, "s@x", 1));
	assert_true(D(a, "s@x", 1) != D(a, "t@x", 1));
	assert_true(D(a, "s@x", 1) != D(a, "s@x", 2));
	assert_true(D(d, "", 1) == D(e, "", 1));
	assert_true(D(e, "", 1) != D(f, "", 1));
	assert_true(D("", NULL, 1) == D("", "", 1));
#undef D
}

static struct gv_milter_state st;
static const char *geneva_bin;

static void state_init(void)
{
	memset(&st, 0, sizeof(st));
	pthread_mutex_init(&st.lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&st.freed, &ca);
	gv_milter_crash_init(&st);
	st.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	st.exe_fd = open(geneva_bin, O_PATH | O_CLOEXEC);
	assert_true(st.wake_fd >= 0 && st.exe_fd >= 0);
}

/* waits up to 60 s (engine builds are slow under ASan) for cond */
#define WAIT_FOR(cond)                                                   \
	do {                                                             \
		for (int i_ = 0; i_ < 600 && !(cond); i_++)              \
			usleep(100 * 1000);                              \
	} while (0)

static bool slot_free(struct gv_milter_gen *g, size_t i)
{
	pthread_mutex_lock(&st.lock);
	bool f = g->sc[i].state == GV_SC_FREE;
	pthread_mutex_unlock(&st.lock);
	return f;
}

static struct gv_milter_gen *current(void)
{
	pthread_mutex_lock(&st.lock);
	struct gv_milter_gen *g = st.current;
	pthread_mutex_unlock(&st.lock);
	return g;
}

/* Scanner processes: one real scan; a scanner that dies on a message
 * costs that message only (the retry finds none free here: one slot, no
 * pool thread yet), and is restarted by the pool thread; a reload while a
 * session holds the old generation; a config that does not load never
 * replaces a working one. */
static void test_scanners(void **state)
{
	(void)state;
	if (geneva_bin == NULL)
		skip();
	/* the pool thread takes SIGUSR1/SIGCHLD through a signalfd */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	state_init();
	char *p = write_config("milter:\n  scanners: 1\n  max_message_bytes: 100000\n"
			       "  queue_timeout_ms: 200\n");
	st.config_path = p;
	struct gv_milter_gen *g1;
	const char *err;
	assert_int_equal(gv_milter_gen_new(p, "inet:9@127.0.0.1", &g1, &err), 1);
	assert_int_equal(g1->n, 1);
	assert_int_equal(g1->max_message, 100000);
	assert_string_equal(g1->cfg->socket, "inet:9@127.0.0.1");
	assert_int_equal(gv_milter_gen_start(&st, g1, &err), 1);
	gv_milter_gen_install(&st, g1);
	assert_true(slot_free(g1, 0));

	static const char m[] = "Received: from a by b; Thu, 1 Jan 2026\r\n"
				"From: a@b.example\r\nSubject: x\r\n\r\nhello\r\n";
	const char *rcpts[] = { "r@c.example" };
	struct gv_milter_job job = {
		.qid = "Q1", .client_ip = "127.0.0.1", .helo = "h", .from = "a@b.example",
		.rcpts = rcpts, .n_rcpts = 1,
		.data = (const unsigned char *)m, .len = strlen(m),
	};
	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_milter_verdict v;
	struct gv_milter_gen *held = gv_milter_gen_get(&st);
	assert_int_equal(gv_milter_scan(&st, held, &job, pool, &v), GV_MILTER_SCAN_OK);
	assert_int_equal(v.action, GV_ACTION_ACCEPT);
	assert_non_null(v.reasons);
	assert_null(v.json);

	/* the scanner dies (SIGKILL, not reaped: no pool thread yet): the
	 * scan reports it, the slot is dead, and another scan finds no
	 * scanner within queue_timeout_ms (overload); the session counts the
	 * message's digest (callbacks.c), the third death makes it poison */
	kill(g1->sc[0].pid, SIGKILL);
	usleep(50 * 1000);
	assert_int_equal(gv_milter_scan(&st, held, &job, pool, &v),
			 GV_MILTER_SCAN_CRASHED);
	assert_int_equal(g1->sc[0].state, GV_SC_DEAD);
	assert_int_equal(gv_milter_scan(&st, held, &job, pool, &v), GV_MILTER_SCAN_OVERLOAD);
	uint64_t dg = gv_milter_digest(job.data, job.len, job.from, st.crash_seed);
	assert_int_equal(gv_milter_crash_note(&st, dg, 1), 1);
	assert_int_equal(gv_milter_crash_note(&st, dg, 2), GV_MILTER_CRASH_LIMIT);
	assert_int_equal(gv_milter_crash_note(&st, dg ^ 1, 1), 1);

	/* the pool thread reaps and restarts it */
	pthread_t th;
	pthread_create(&th, NULL, gv_milter_pool_thread, &st);
	pthread_detach(th);
	WAIT_FOR(slot_free(g1, 0));
	assert_true(slot_free(g1, 0));
	assert_int_equal(gv_milter_scan(&st, held, &job, pool, &v), GV_MILTER_SCAN_OK);

	/* reload (SIGUSR1, as the supervisor sends it): new sessions get the
	 * new generation; the holder still scans on the old one */
	kill(getpid(), SIGUSR1);
	WAIT_FOR(current() != g1);
	struct gv_milter_gen *g2 = gv_milter_gen_get(&st);
	assert_ptr_not_equal(g2, g1);
	assert_true(g2->id > g1->id);
	assert_int_equal(gv_milter_scan(&st, held, &job, pool, &v), GV_MILTER_SCAN_OK);
	assert_int_equal(gv_milter_scan(&st, g2, &job, pool, &v), GV_MILTER_SCAN_OK);
	gv_milter_gen_put(&st, held); /* last reference: g1 is retired and freed */
	WAIT_FOR(st.graveyard == NULL);
	gv_milter_gen_put(&st, g2);
	assert_int_equal(g2->refs, 1);

	/* a config that does not load never replaces a working generation */
	char *bad = write_config("milter:\n  failure_mode: maybe\n");
	struct gv_milter_gen *g3 = NULL;
	assert_int_equal(gv_milter_gen_new(bad, NULL, &g3, &err), -1);
	assert_null(g3);
	unlink(bad);
	gv_free(bad);
	gv_pool_free(&pool);
	unlink(p);
	gv_free(p);
}

int main(int argc, char **argv)
{
	geneva_bin = argc > 1 ? argv[1] : NULL;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_append_header),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_packet),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_scanners),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
