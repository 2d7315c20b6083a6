/* Milter helpers: address arguments, reasons header, reply and log text,
 * header reassembly (folding, leading space, the size cap), the `milter`
 * config section (defaults, bad values, unknown keys), and engine
 * generations (borrow/return, overload timeout, a reload while a session
 * still holds the old generation). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "milter/milter-private.h"

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

static struct gv_milter_state st;

static void state_init(void)
{
	memset(&st, 0, sizeof(st));
	pthread_mutex_init(&st.lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&st.freed, &ca);
}

static void test_generations(void **state)
{
	(void)state;
	state_init();
	char *p = write_config("milter:\n  scanners: 2\n  max_message_bytes: 1000\n");
	struct gv_milter_gen *g1, *g2;
	const char *err;
	assert_int_equal(gv_milter_gen_build(p, "inet:9@127.0.0.1", false, &g1, &err), 1);
	assert_int_equal(g1->n, 2);
	assert_int_equal(g1->max_message, 1000);
	assert_string_equal(g1->cfg->socket, "inet:9@127.0.0.1");
	gv_milter_gen_install(&st, g1);

	/* a session holds g1 and both engines are borrowed: a third scan
	 * times out (overload), then gets one once it is returned */
	struct gv_milter_gen *held = gv_milter_gen_get(&st);
	assert_ptr_equal(held, g1);
	size_t a, b, c;
	assert_int_equal(gv_milter_engine_acquire(&st, held, 100, &a), 1);
	assert_int_equal(gv_milter_engine_acquire(&st, held, 100, &b), 1);
	assert_int_not_equal(a, b);
	uint64_t t0 = gv_now_ms();
	assert_int_equal(gv_milter_engine_acquire(&st, held, 150, &c), 0);
	assert_true(gv_now_ms() - t0 >= 140);
	gv_milter_engine_release(&st, held, a);
	assert_int_equal(gv_milter_engine_acquire(&st, held, 100, &c), 1);
	assert_int_equal(c, a);

	/* reload: new sessions get g2, the holder keeps scanning on g1 */
	assert_int_equal(gv_milter_gen_build(p, NULL, false, &g2, &err), 1);
	gv_milter_gen_install(&st, g2);
	struct gv_milter_gen *fresh = gv_milter_gen_get(&st);
	assert_ptr_equal(fresh, g2);
	assert_true(g2->id > held->id);
	struct gv_pool *pool = gv_pool_new(4096);
	static const char m[] = "From: a@b\r\nSubject: x\r\n\r\nhello\r\n";
	struct gv_scan_result *r;
	assert_int_equal(gv_scan_message(held->engines[b], pool, (const unsigned char *)m,
					 strlen(m), NULL, &r, &err), 1);
	gv_pool_free(&pool);
	gv_milter_engine_release(&st, held, b);
	gv_milter_engine_release(&st, held, c);
	gv_milter_gen_put(&st, held); /* last reference: g1 is retired... */
	assert_ptr_equal(st.graveyard, g1);
	gv_milter_gen_reap(&st);      /* ...and freed here (ASan checks) */
	assert_null(st.graveyard);
	gv_milter_gen_put(&st, fresh);
	assert_ptr_equal(st.current, g2);
	assert_int_equal(g2->refs, 1);

	/* a broken config never replaces a working generation */
	char *bad = write_config("milter:\n  failure_mode: maybe\n");
	struct gv_milter_gen *g3 = NULL;
	assert_int_equal(gv_milter_gen_build(bad, NULL, false, &g3, &err), -1);
	assert_null(g3);
	unlink(bad);
	gv_free(bad);

	/* first_only: one engine serves at once, the second slot is handed
	 * out only after gv_milter_gen_fill built it */
	struct gv_milter_gen *g4;
	assert_int_equal(gv_milter_gen_build(p, NULL, true, &g4, &err), 1);
	assert_non_null(g4->engines[0]);
	assert_null(g4->engines[1]);
	gv_milter_gen_install(&st, g4);
	struct gv_milter_gen *h = gv_milter_gen_get(&st);
	assert_int_equal(gv_milter_engine_acquire(&st, h, 100, &a), 1);
	assert_int_equal(a, 0);
	assert_int_equal(gv_milter_engine_acquire(&st, h, 100, &b), 0);
	gv_milter_gen_fill(&st, h, p);
	assert_non_null(h->engines[1]);
	assert_int_equal(gv_milter_engine_acquire(&st, h, 100, &b), 1);
	assert_int_equal(b, 1);
	gv_milter_engine_release(&st, h, a);
	gv_milter_engine_release(&st, h, b);
	gv_milter_gen_put(&st, h);
	gv_milter_gen_reap(&st); /* g2, retired by the install of g4 */
	unlink(p);
	gv_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_append_header),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_generations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
