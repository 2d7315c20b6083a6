#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "mail/mail.h"

struct parse_case {
	const char *in;
	int ret;
	const char *host;
	const char *registrable;
	unsigned flags; /* flags that must be set */
};

static const struct parse_case cases[] = {
	{ "https://www.Example.COM/a?b=1", 1, "www.example.com", "example.com", 0 },
	{ "http://paypal.com@evil.example/login", 1, "evil.example", "evil.example", GV_URL_F_USERINFO },
	{ "http://3232235777/x", 1, "192.168.1.1", "192.168.1.1", GV_URL_F_IP | GV_URL_F_IP_OBFUSC },
	{ "http://0xC0.0xA8.0x01.0x01/", 1, "192.168.1.1", "192.168.1.1", GV_URL_F_IP | GV_URL_F_IP_OBFUSC },
	{ "http://0300.0250.01.01/", 1, "192.168.1.1", "192.168.1.1", GV_URL_F_IP | GV_URL_F_IP_OBFUSC },
	{ "http://10.0.0.1:8080/", 1, "10.0.0.1", "10.0.0.1", GV_URL_F_IP | GV_URL_F_NONSTD_PORT },
	{ "http://%65vil.example/", 1, "evil.example", "evil.example", GV_URL_F_PCT_HOST },
	{ "http&#58;//evil&#46;example/", 1, "evil.example", "evil.example", GV_URL_F_ENTITY },
	{ "https://xn--pypal-4ve.com/", 1, "xn--pypal-4ve.com", "xn--pypal-4ve.com", GV_URL_F_IDN },
	{ "https://p\xd0\xb0ypal.com/", 1, "xn--pypal-4ve.com", "xn--pypal-4ve.com", GV_URL_F_IDN },
	{ "http://login.bank.co.uk.evil.ru/x", 1, "login.bank.co.uk.evil.ru", "evil.ru", 0 },
	{ "www.example.org/path", 1, "www.example.org", "example.org", 0 },
	{ "hxxp://defanged.example/", 1, "defanged.example", "defanged.example", 0 },
	{ "http://[2001:db8::1]/", 1, "2001:db8::1", "2001:db8::1", GV_URL_F_IP },
	{ "mailto:someone@example.com", 0, NULL, NULL, 0 },
	{ "/relative/path", 0, NULL, NULL, 0 },
	{ "javascript:alert(1)", 0, NULL, NULL, 0 },
	{ "", 0, NULL, NULL, 0 },
	{ "http://", 0, NULL, NULL, 0 },
};

static void test_parse_table(void **state)
{
	(void)state;
	struct gv_pool *pool = gv_pool_new(4096);
	for (size_t i = 0; i < GV_ARRAY_LEN(cases); i++) {
		struct gv_mail_url u;
		const struct parse_case *c = &cases[i];
		int r = gv_url_parse(pool, c->in, strlen(c->in), &u);
		if (r != c->ret)
			fail_msg("case %zu (%s): ret %d, want %d", i, c->in, r, c->ret);
		if (r != 1)
			continue;
		if (strcmp(u.host, c->host) != 0)
			fail_msg("case %zu (%s): host %s, want %s", i, c->in, u.host, c->host);
		if (strcmp(u.registrable, c->registrable) != 0)
			fail_msg("case %zu (%s): reg %s, want %s", i, c->in, u.registrable, c->registrable);
		if ((u.flags & c->flags) != c->flags)
			fail_msg("case %zu (%s): flags %#x lack %#x", i, c->in, u.flags, c->flags);
	}
	gv_pool_free(&pool);
}

static size_t extract(struct gv_pool *pool, const char *s, bool html,
		      struct gv_mail_url **urls)
{
	size_t n = 0, cap = 0;
	*urls = NULL;
	gv_url_extract(pool, s, strlen(s), html, "1", NULL, urls, &n, &cap, NULL);
	return n;
}

static void test_extract_html(void **state)
{
	(void)state;
	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_mail_url *u;
	const char *html =
		"<html><head><meta http-equiv=\"refresh\" content=\"0; url=http://meta.example/r\">"
		"<style>body{background:url('http://css.example/bg.png')}</style></head>"
		"<body><a href=\"http://evil.example/login\">https://www.paypal.com</a>"
		"<img src=http://img.example/p.gif>"
		"<form action=\"https://post.example/steal\" method=post><input type=password></form>"
		"<p>Visit secure-bank.com today or http://text.example/x.</p></body></html>";
	size_t n = extract(pool, html, true, &u);
	const char *want[] = { "meta.example", "css.example", "evil.example",
			       "img.example", "post.example", "secure-bank.com",
			       "text.example" };
	for (size_t w = 0; w < GV_ARRAY_LEN(want); w++) {
		bool found = false;
		for (size_t i = 0; i < n; i++)
			found |= strcmp(u[i].host, want[w]) == 0;
		if (!found)
			fail_msg("host %s not extracted", want[w]);
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(u[i].host, "evil.example") == 0) {
			assert_int_equal(u[i].source, GV_URL_HREF);
			assert_string_equal(u[i].anchor, "https://www.paypal.com");
		}
	gv_pool_free(&pool);
}

static void test_extract_text_bare(void **state)
{
	(void)state;
	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_mail_url *u;
	/* e-mail addresses, file names and abbreviations are not domains */
	size_t n = extract(pool, "Write to bob@mail.example.com, see report.pdf, "
			   "e.g. the file, or go to login-verify.info/a.", false, &u);
	assert_int_equal(n, 1);
	assert_string_equal(u[0].host, "login-verify.info");
	assert_int_equal(u[0].source, GV_URL_BARE);
	gv_pool_free(&pool);
}

static void test_limit_urls(void **state)
{
	(void)state;
	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_buf b;
	gv_buf_init(&b, 1 << 20);
	for (int i = 0; i < 100; i++)
		gv_buf_printf(&b, "http://h%d.example/ ", i);
	struct gv_url_limits lim = { .max_urls = 10 };
	struct gv_mail_url *urls = NULL;
	size_t n = 0, cap = 0;
	bool cut = false;
	gv_url_extract(pool, (const char *)b.data, b.len, false, "1", &lim,
		       &urls, &n, &cap, &cut);
	assert_int_equal(n, 10);
	assert_true(cut);
	gv_buf_free(&b);
	gv_pool_free(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_extract_html),
		cmocka_unit_test(test_extract_text_bare),
		cmocka_unit_test(test_limit_urls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
