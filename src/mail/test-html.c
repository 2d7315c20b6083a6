#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "mail/mail.h"

static void test_visible_text(void **state)
{
	(void)state;
	struct gv_pool *pool = gv_pool_new(4096);
	const char *h = "<html><head><style>p{x:1}</style><script>var a='<b>';</script></head>"
			"<body><!-- hidden <a> --><p>Hello&nbsp;<b>World</b> &amp; &#x41;&#66;</p>"
			"<div>line\n\n  two</div></body></html>";
	size_t len;
	const char *t = gv_html_to_text(pool, h, strlen(h), &len);
	assert_non_null(strstr(t, "Hello\xc2\xa0World & AB"));
	assert_null(strstr(t, "var a"));
	assert_null(strstr(t, "x:1"));
	assert_null(strstr(t, "hidden"));
	assert_non_null(strstr(t, "line two"));
	gv_pool_free(&pool);
}

static void test_attrs(void **state)
{
	(void)state;
	const char *h = "<INPUT Type = 'password' name=pw value=\"a b\" disabled>";
	const char *p = h;
	struct gv_html_tag t;
	assert_int_equal(gv_html_next_tag(&p, h + strlen(h), &t), 1);
	assert_true(gv_html_tag_is(&t, "input"));
	const char *v;
	size_t vl;
	assert_int_equal(gv_html_attr(&t, "type", &v, &vl), 1);
	assert_int_equal(vl, 8);
	assert_memory_equal(v, "password", 8);
	assert_int_equal(gv_html_attr(&t, "value", &v, &vl), 1);
	assert_int_equal(vl, 3);
	assert_int_equal(gv_html_attr(&t, "disabled", &v, &vl), 1);
	assert_int_equal(gv_html_attr(&t, "missing", &v, &vl), 0);
	assert_int_equal(gv_html_next_tag(&p, h + strlen(h), &t), 0);
}

static void test_broken_html(void **state)
{
	(void)state;
	struct gv_pool *pool = gv_pool_new(4096);
	const char *cases[] = { "<", "<a href=\"unterminated", "<!--", "&#xFFFFFFFF;",
				"&#0;", "<<<>>>", "<a\x00b>", "&", "<script>" };
	for (size_t i = 0; i < GV_ARRAY_LEN(cases); i++) {
		size_t len;
		const char *t = gv_html_to_text(pool, cases[i], strlen(cases[i]), &len);
		assert_non_null(t);
		assert_int_equal(strlen(t), len);
	}
	gv_pool_free(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_visible_text),
		cmocka_unit_test(test_attrs),
		cmocka_unit_test(test_broken_html),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
