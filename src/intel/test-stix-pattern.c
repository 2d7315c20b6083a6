/* STIX pattern parser: table of patterns -> extracted comparisons,
 * unsupported counts and errors; one named test per limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "intel/intel.h"
#include "util/util.h"

struct row {
	const char *pattern;
	int rc; /* 1 or -1 */
	size_t n; /* comparisons extracted */
	size_t unsupported;
	const char *first; /* "kind op value" of the first comparison */
};

static const struct row rows[] = {
	{ "[url:value = 'http://x4z9arb.cn/4712/']", 1, 1, 0,
	  "4 0 http://x4z9arb.cn/4712/" },
	{ "[ ipv4-addr:value = '10.0.0.0' ]", 1, 1, 0, "6 0 10.0.0.0" },
	{ "[domain-name:value = 'a.example' OR ipv4-addr:value = '1.2.3.4']",
	  1, 2, 0, "5 0 a.example" },
	{ "[file:hashes.'SHA-256' = 'ef53']", 1, 1, 0, "7 0 ef53" },
	{ "[file:hashes.MD5 = 'aa']", 1, 1, 0, "7 0 aa" },
	{ "[email-message:from_ref.value MATCHES '.+\\\\banking@x\\\\.com$']",
	  1, 1, 0, "2 2 .+\\banking@x\\.com$" },
	{ "[url:value LIKE 'http://evil.example/%']", 1, 1, 0,
	  "4 1 http://evil.example/%" },
	{ "[email-addr:value = 'it''s@x.example']", -1, 0, 0, NULL },
	{ "[email-addr:value = 'o\\'neil@x.example']", 1, 1, 0,
	  "2 0 o'neil@x.example" },
	/* AND: matching one side alone would over-match -> unsupported. */
	{ "[x509-certificate:issuer = 'CN=A' AND "
	  "x509-certificate:serial_number = '4c:0b']",
	  1, 0, 1, NULL },
	{ "[domain-name:value = 'a.example' AND ipv4-addr:value = '1.2.3.4']",
	  1, 0, 1, NULL },
	{ "[domain-name:value = 'a.example'] AND [url:value = 'http://b/']", 1,
	  0, 1, NULL },
	{ "[domain-name:value = 'a.example'] FOLLOWEDBY [url:value = 'http://b/']",
	  1, 0, 1, NULL },
	/* OR of observations: each side stands alone. */
	{ "[domain-name:value = 'a.example'] OR [url:value = 'http://b/']", 1,
	  2, 0, "5 0 a.example" },
	{ "([domain-name:value = 'a.example'] OR [ipv6-addr:value = '::1'])"
	  " WITHIN 300 SECONDS",
	  1, 2, 0, "5 0 a.example" },
	{ "[domain-name:value = 'a.example'] REPEATS 5 TIMES", 1, 0, 1, NULL },
	{ "[file:name = 'CBricksDoc']", 1, 0, 1, NULL },
	{ "[email-message:subject MATCHES '^[IMPORTANT]']", 1, 0, 1, NULL },
	{ "[domain-name:value != 'a.example']", 1, 0, 1, NULL },
	{ "[domain-name:value NOT = 'a.example']", 1, 0, 1, NULL },
	{ "[domain-name:value IN ('a.example', 'b.example')]", 1, 2, 0,
	  "5 0 a.example" },
	{ "[file:size > 1000 OR url:value = 'http://c/']", 1, 1, 1,
	  "4 0 http://c/" },
	{ "[file:created = t'2014-01-13T07:03:17Z']", 1, 0, 1, NULL },
	{ "[network-traffic:dst_ref.value = '1.2.3.4'] START "
	  "t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
	  1, 0, 1, NULL },
	/* Syntax errors. */
	{ "", -1, 0, 0, NULL },
	{ "[url:value = 'x'", -1, 0, 0, NULL },
	{ "[url:value = 'x']]", -1, 0, 0, NULL },
	{ "[url:value = 'unterminated]", -1, 0, 0, NULL },
	{ "[url:value 'x']", -1, 0, 0, NULL },
	{ "[= 'x']", -1, 0, 0, NULL },
	{ "[url:value = 'x\\q']", -1, 0, 0, NULL },
	{ "url:value = 'x'", -1, 0, 0, NULL },
	{ "[url:value = 'x'] OR", -1, 0, 0, NULL },
	{ "[a:b = 1] REPEATS TIMES", -1, 0, 0, NULL },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < GV_ARRAY_LEN(rows); i++) {
		const struct row *r = &rows[i];
		struct gv_pool *pool = gv_pool_new(4096);
		struct gv_stix_cmp **c = NULL;
		size_t n = 0, unsup = 0;
		const char *err = NULL;
		int rc = gv_stix_pattern_parse((const unsigned char *)r->pattern,
					       strlen(r->pattern), NULL, pool,
					       &c, &n, &unsup, &err);
		if (rc != r->rc || (rc > 0 && (n != r->n ||
					       unsup != r->unsupported)))
			fail_msg("row %zu '%s': rc %d n %zu unsupported %zu "
				 "(%s)",
				 i, r->pattern, rc, n, unsup, err ? err : "");
		if (rc < 0)
			assert_non_null(err);
		if (r->first != NULL) {
			char got[256];
			snprintf(got, sizeof(got), "%d %d %s", (int)c[0]->kind,
				 (int)c[0]->op, c[0]->value);
			assert_string_equal(got, r->first);
		}
		gv_pool_free(&pool);
	}
}

static void test_limit_length(void **state)
{
	(void)state;
	const char *p = "[url:value = 'http://a.example/']";
	struct gv_stix_pattern_limits lim = { .max_len = 10 };
	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_stix_cmp **c;
	size_t n, u;
	const char *err;
	assert_int_equal(gv_stix_pattern_parse((const unsigned char *)p,
					       strlen(p), &lim, pool, &c, &n,
					       &u, &err),
			 -1);
	assert_string_equal(err, "pattern too long");
	gv_pool_free(&pool);
}

static void test_limit_depth(void **state)
{
	(void)state;
	/* 10,000 nested parentheses: bounded recursion, a clean error. */
	struct gv_buf b;
	gv_buf_init(&b, 1 << 20);
	for (int i = 0; i < 10000; i++)
		gv_buf_putc(&b, '(');
	gv_buf_printf(&b, "[url:value = 'x']");
	for (int i = 0; i < 10000; i++)
		gv_buf_putc(&b, ')');
	struct gv_stix_pattern_limits lim = { .max_len = 1 << 20 };
	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_stix_cmp **c;
	size_t n, u;
	const char *err;
	assert_int_equal(gv_stix_pattern_parse(b.data, b.len, &lim, pool, &c,
					       &n, &u, &err),
			 -1);
	assert_string_equal(err, "pattern nested too deeply");
	gv_buf_free(&b);
	gv_pool_free(&pool);
}

static void test_limit_comparisons(void **state)
{
	(void)state;
	struct gv_buf b;
	gv_buf_init(&b, 1 << 20);
	gv_buf_putc(&b, '[');
	for (int i = 0; i < 100; i++)
		gv_buf_printf(&b, "%sdomain-name:value = 'd%d.example'",
			      i ? " OR " : "", i);
	gv_buf_putc(&b, ']');
	struct gv_stix_pattern_limits lim = { .max_comparisons = 50 };
	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_stix_cmp **c;
	size_t n, u;
	const char *err;
	assert_int_equal(gv_stix_pattern_parse(b.data, b.len, &lim, pool, &c,
					       &n, &u, &err),
			 -1);
	assert_string_equal(err, "too many comparisons");
	lim.max_comparisons = 100;
	assert_int_equal(gv_stix_pattern_parse(b.data, b.len, &lim, pool, &c,
					       &n, &u, &err),
			 1);
	assert_int_equal(n, 100);
	gv_buf_free(&b);
	gv_pool_free(&pool);
}

/* Not NUL-terminated input: the parser must stay inside len. */
static void test_no_terminator(void **state)
{
	(void)state;
	char p[] = "[url:value = 'http://a.example/']XXXX";
	size_t len = strlen("[url:value = 'http://a.example/']");
	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_stix_cmp **c;
	size_t n, u;
	const char *err;
	assert_int_equal(gv_stix_pattern_parse((const unsigned char *)p, len,
					       NULL, pool, &c, &n, &u, &err),
			 1);
	assert_int_equal(n, 1);
	assert_int_equal(gv_stix_pattern_parse((const unsigned char *)p,
					       len - 1, NULL, pool, &c, &n,
					       &u, &err),
			 -1);
	gv_pool_free(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_limit_length),
		cmocka_unit_test(test_limit_depth),
		cmocka_unit_test(test_limit_comparisons),
		cmocka_unit_test(test_no_terminator),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
