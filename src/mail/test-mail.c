#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "mail/mail.h"

static struct gv_mail_message *parse(struct gv_pool *pool, const char *s,
				     const struct gv_mail_limits *lim)
{
	struct gv_mail_message *m = NULL;
	const char *err = NULL;
	assert_int_equal(gv_mail_parse(pool, (const unsigned char *)s,
				       strlen(s), lim, &m, &err), 1);
	assert_non_null(m);
	return m;
}

static bool has_anomaly(const struct gv_mail_message *m, const char *code)
{
	for (size_t i = 0; i < m->n_anomalies; i++)
		if (strcmp(m->anomalies[i].code, code) == 0)
			return true;
	return false;
}

static const char *nested =
	"From: =?UTF-8?B?UMOkeVBhbA==?= <service@paypal.example>\r\n"
	"To: a@example.org, b@example.org\r\n"
	"Cc: c@example.org\r\n"
	"Reply-To: other@elsewhere.example\r\n"
	"Subject: =?ISO-8859-1?Q?R=E9sum=E9?=\r\n"
	"Message-ID: <m1@example>\r\n"
	"Received: from x (x.example [203.0.113.9]) by mx\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
	"--outer\r\n"
	"Content-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n"
	"--inner\r\n"
	"Content-Type: text/plain; charset=iso-8859-1\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	"Caf=E9 http://plain.example/\r\n"
	"--inner\r\n"
	"Content-Type: text/html; charset=utf-8\r\n"
	"Content-Transfer-Encoding: base64\r\n\r\n"
	"PGEgaHJlZj0iaHR0cDovL2h0bWwuZXhhbXBsZS8iPkNsaWNrPC9hPg==\r\n"
	"--inner--\r\n"
	"--outer\r\n"
	"Content-Type: application/octet-stream\r\n"
	"Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf\r\n"
	"Content-Transfer-Encoding: base64\r\n\r\n"
	"JVBERi0xLjQK\r\n"
	"--outer\r\n"
	"Content-Type: message/rfc822\r\n\r\n"
	"From: inner@example.net\r\nSubject: inner\r\n"
	"Content-Type: text/plain\r\n\r\ninner body\r\n"
	"--outer--\r\n";

static void test_tree_and_decoding(void **state)
{
	(void)state;
	struct gv_pool *pool = gv_pool_new(8192);
	struct gv_mail_message *m = parse(pool, nested, NULL);
	const char *paths[] = { "1", "1.1", "1.1.1", "1.1.2", "1.2", "1.3", "1.3.1" };
	assert_int_equal(m->n_parts, GV_ARRAY_LEN(paths));
	for (size_t i = 0; i < m->n_parts; i++)
		assert_string_equal(m->parts[i].path, paths[i]);
	assert_memory_equal(m->parts[2].text, "Caf\xc3\xa9 http://plain.example/", 26);
	assert_true(m->parts[3].is_html);
	assert_non_null(strstr(m->parts[3].visible, "Click"));
	assert_true(m->parts[4].is_attachment);
	assert_string_equal(m->parts[4].filename, "r\xc3\xa9sum\xc3\xa9.pdf");
	assert_int_equal(m->parts[4].body_len, 9);
	assert_memory_equal(m->parts[4].body, "%PDF-1.4\n", 9);
	assert_true(m->parts[5].is_message);
	assert_memory_equal(m->parts[6].text, "inner body", 10);
	assert_string_equal(m->subject, "R\xc3\xa9sum\xc3\xa9");
	assert_string_equal(m->from[0].display, "P\xc3\xa4yPal");
	assert_string_equal(m->from[0].domain, "paypal.example");
	assert_string_equal(m->reply_to->domain, "elsewhere.example");
	assert_int_equal(m->n_to, 3);
	assert_int_equal(m->n_received_ips, 1);
	assert_string_equal(m->received_ips[0], "203.0.113.9");
	bool plain = false, html = false;
	for (size_t i = 0; i < m->n_urls; i++) {
		plain |= strcmp(m->urls[i].host, "plain.example") == 0;
		html |= strcmp(m->urls[i].host, "html.example") == 0 &&
			strcmp(m->urls[i].part, "1.1.2") == 0;
	}
	assert_true(plain && html);
	assert_int_equal(m->n_anomalies, 0);
	gv_pool_free(&pool);
}

struct anomaly_case {
	const char *name;
	const char *msg;
	const char *code;
};

static const struct anomaly_case anomaly_cases[] = {
	{ "missing closing boundary",
	  "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
	  "Content-Type: text/plain\r\n\r\nx\r\n", "mime.no_closing_boundary" },
	{ "no boundary parameter",
	  "Content-Type: multipart/mixed\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n",
	  "mime.no_boundary" },
	{ "reused boundary",
	  "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
	  "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n--b--\r\n",
	  "mime.boundary_reused" },
	{ "bad base64",
	  "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	  "aGVsbG8*!!\r\n", "mime.bad_base64" },
	{ "bad quoted-printable",
	  "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
	  "a=ZZb\r\n", "mime.bad_qp" },
	{ "8-bit header",
	  "Subject: caf\xe9\r\n\r\nbody\r\n", "header.8bit" },
	{ "unknown charset",
	  "Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nbody\r\n",
	  "mime.unknown_charset" },
};

static void test_anomalies(void **state)
{
	(void)state;
	for (size_t i = 0; i < GV_ARRAY_LEN(anomaly_cases); i++) {
		struct gv_pool *pool = gv_pool_new(4096);
		struct gv_mail_message *m = parse(pool, anomaly_cases[i].msg, NULL);
		if (!has_anomaly(m, anomaly_cases[i].code))
			fail_msg("%s: anomaly %s missing", anomaly_cases[i].name,
				 anomaly_cases[i].code);
		gv_pool_free(&pool);
	}
}

/* ---- one named test per limit ---- */

static void test_limit_message_bytes(void **state)
{
	(void)state;
	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_mail_limits lim = { .max_message_bytes = 64 };
	struct gv_mail_message *m = parse(pool, nested, &lim);
	assert_true(has_anomaly(m, "limit.message_bytes"));
	gv_pool_free(&pool);
}

/* A parser warning's detail says what it means, and a position only when
 * GMime knows one (it passes -1 otherwise). */
static void test_warning_detail(void **state)
{
	(void)state;
	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_mail_message *m = parse(pool,
		"From: a@example.org\r\nSubject: cut\r\n"
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
		"--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n", NULL);
	const char *detail = NULL;
	for (size_t i = 0; i < m->n_anomalies; i++)
		if (strcmp(m->anomalies[i].code, "mime.truncated") == 0)
			detail = m->anomalies[i].detail;
	assert_non_null(detail);
	assert_non_null(strstr(detail, "the message ends before its MIME structure does"));
	assert_null(strstr(detail, "-1"));
	gv_pool_free(&pool);
}

static void test_limit_header_bytes_and_count(void **state)
{
	(void)state;
	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_buf b;
	gv_buf_init(&b, 1 << 20);
	for (int i = 0; i < 300; i++)
		gv_buf_printf(&b, "X-Flood-%d: %s\r\n", i, "aaaaaaaaaaaaaaaaaaaa");
	gv_buf_printf(&b, "\r\nbody\r\n");
	struct gv_mail_limits lim = { .max_header_bytes = 4096, .max_headers = 100 };
	struct gv_mail_message *m = parse(pool, gv_buf_cstr(&b), &lim);
	assert_true(has_anomaly(m, "limit.header_bytes"));
	assert_true(has_anomaly(m, "limit.headers"));
	assert_true(m->n_headers <= 100);
	gv_buf_free(&b);
	gv_pool_free(&pool);
}

static void test_limit_parts(void **state)
{
	(void)state;
	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_buf b;
	gv_buf_init(&b, 1 << 20);
	gv_buf_printf(&b, "Content-Type: multipart/mixed; boundary=b\r\n\r\n");
	for (int i = 0; i < 50; i++)
		gv_buf_printf(&b, "--b\r\nContent-Type: text/plain\r\n\r\n%d\r\n", i);
	gv_buf_printf(&b, "--b--\r\n");
	struct gv_mail_limits lim = { .max_parts = 10 };
	struct gv_mail_message *m = parse(pool, gv_buf_cstr(&b), &lim);
	assert_true(has_anomaly(m, "limit.parts"));
	assert_int_equal(m->n_parts, 10);
	gv_buf_free(&b);
	gv_pool_free(&pool);
}

static void test_limit_depth(void **state)
{
	(void)state;
	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_buf b;
	gv_buf_init(&b, 1 << 20);
	for (int i = 0; i < 20; i++)
		gv_buf_printf(&b, "%sContent-Type: multipart/mixed; boundary=b%d\r\n\r\n",
			      i ? "--b" : "", i);
	/* the --b prefix above opens each child in its parent */
	struct gv_mail_limits lim = { .max_depth = 5 };
	struct gv_buf c;
	gv_buf_init(&c, 1 << 20);
	gv_buf_printf(&c, "Content-Type: multipart/mixed; boundary=b0\r\n\r\n");
	for (int i = 1; i < 20; i++)
		gv_buf_printf(&c, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n",
			      i - 1, i);
	gv_buf_printf(&c, "--b19\r\nContent-Type: text/plain\r\n\r\ndeep\r\n");
	struct gv_mail_message *m = parse(pool, gv_buf_cstr(&c), &lim);
	assert_true(has_anomaly(m, "limit.depth"));
	for (size_t i = 0; i < m->n_parts; i++)
		assert_true(m->parts[i].depth <= 5);
	gv_buf_free(&b);
	gv_buf_free(&c);
	gv_pool_free(&pool);
}

static void test_limit_decoded_and_text_bytes(void **state)
{
	(void)state;
	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_buf b;
	gv_buf_init(&b, 1 << 20);
	gv_buf_printf(&b, "Content-Type: text/plain\r\n\r\n");
	for (int i = 0; i < 2000; i++)
		gv_buf_printf(&b, "0123456789");
	struct gv_mail_limits lim = { .max_decoded_bytes = 5000, .max_text_bytes = 1000 };
	struct gv_mail_message *m = parse(pool, gv_buf_cstr(&b), &lim);
	assert_true(has_anomaly(m, "limit.decoded_bytes"));
	assert_true(has_anomaly(m, "limit.text_bytes"));
	assert_int_equal(m->parts[0].body_len, 5000);
	assert_true(m->parts[0].text_len <= 1000);
	gv_buf_free(&b);
	gv_pool_free(&pool);
}

static void test_limit_urls(void **state)
{
	(void)state;
	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_buf b;
	gv_buf_init(&b, 1 << 20);
	gv_buf_printf(&b, "Content-Type: text/plain\r\n\r\n");
	for (int i = 0; i < 50; i++)
		gv_buf_printf(&b, "http://u%d.example/\r\n", i);
	struct gv_mail_limits lim = { .max_urls = 20 };
	struct gv_mail_message *m = parse(pool, gv_buf_cstr(&b), &lim);
	assert_true(has_anomaly(m, "limit.urls"));
	assert_int_equal(m->n_urls, 20);
	gv_buf_free(&b);
	gv_pool_free(&pool);
}

static void test_limit_time(void **state)
{
	(void)state;
	struct gv_pool *pool = gv_pool_new(4096);
	/* a deadline already in the past: parsing stops at once, with a finding */
	struct gv_mail_limits lim = { .deadline_us = 1 };
	struct gv_mail_message *m = parse(pool, nested, &lim);
	assert_true(has_anomaly(m, "limit.time"));
	gv_pool_free(&pool);
}

static void test_garbage_never_fails(void **state)
{
	(void)state;
	const char *inputs[] = { "", "\r\n\r\n", "no headers at all", "\xff\xfe\x00\x01",
				 "Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n" };
	for (size_t i = 0; i < GV_ARRAY_LEN(inputs); i++) {
		struct gv_pool *pool = gv_pool_new(4096);
		struct gv_mail_message *m = NULL;
		const char *err;
		assert_int_equal(gv_mail_parse(pool, (const unsigned char *)inputs[i],
					       strlen(inputs[i]) + (i == 3 ? 4 : 0) - (i == 3 ? strlen(inputs[i]) : 0),
					       NULL, &m, &err), 1);
		assert_non_null(m);
		gv_pool_free(&pool);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_and_decoding),
		cmocka_unit_test(test_anomalies),
		cmocka_unit_test(test_limit_message_bytes),
		cmocka_unit_test(test_limit_header_bytes_and_count),
		cmocka_unit_test(test_warning_detail),
		cmocka_unit_test(test_limit_parts),
		cmocka_unit_test(test_limit_depth),
		cmocka_unit_test(test_limit_decoded_and_text_bytes),
		cmocka_unit_test(test_limit_urls),
		cmocka_unit_test(test_limit_time),
		cmocka_unit_test(test_garbage_never_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
