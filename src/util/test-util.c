#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

static void test_pool_alignment_and_zero(void **state)
{
	(void)state;
	struct gv_pool *pool = gv_pool_new(1024);
	for (size_t i = 1; i < 3000; i += 37) {
		unsigned char *p = gv_palloc(pool, i);
		assert_int_equal((uintptr_t)p % 16, 0);
		for (size_t j = 0; j < i; j++)
			assert_int_equal(p[j], 0);
		memset(p, 0xAA, i);
	}
	assert_true(gv_pool_used(pool) > 0);
	char *s = gv_psprintf(pool, "%s-%d", "part", 12);
	assert_string_equal(s, "part-12");
	gv_pool_free(&pool);
	assert_null(pool);
}

static void test_buf_limit(void **state)
{
	(void)state;
	struct gv_buf b;
	gv_buf_init(&b, 10);
	assert_int_equal(gv_buf_append(&b, "12345", 5), 1);
	assert_int_equal(gv_buf_append(&b, "678901", 6), -1);
	assert_int_equal(b.len, 5); /* unchanged on overflow */
	assert_int_equal(gv_buf_append(&b, "67890", 5), 1);
	assert_null(gv_buf_cstr(&b)); /* NUL would exceed the cap */
	assert_int_equal(gv_buf_putc(&b, 'x'), -1);
	gv_buf_reset(&b);
	assert_int_equal(gv_buf_printf(&b, "%d", 42), 1);
	assert_string_equal(gv_buf_cstr(&b), "42");
	gv_buf_free(&b);
}

static void test_buf_printf_long(void **state)
{
	(void)state;
	struct gv_buf b;
	gv_buf_init(&b, 4096);
	char big[1000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(gv_buf_printf(&b, "%s!", big), 1);
	assert_int_equal(b.len, 1000);
	assert_int_equal(b.data[999], '!');
	gv_buf_free(&b);
}

static void test_str_helpers(void **state)
{
	(void)state;
	const char *hay = "Please VERIFY your account";
	assert_ptr_equal(gv_memcasemem(hay, strlen(hay), "verify", 6), hay + 7);
	assert_null(gv_memcasemem(hay, 5, "verify", 6));
	struct gv_str s = { "Content-Type", 12 };
	assert_true(gv_str_eq_ci(s, "content-type"));
	assert_false(gv_str_eq_ci(s, "content-typ"));
	uint64_t v;
	assert_int_equal(gv_parse_u64("1234", 10000, &v), 1);
	assert_int_equal(v, 1234);
	assert_int_equal(gv_parse_u64("12345", 10000, &v), -1);
	assert_int_equal(gv_parse_u64("18446744073709551616", UINT64_MAX, &v), -1);
	assert_int_equal(gv_parse_u64("12a", 100, &v), -1);
	assert_int_equal(gv_parse_u64("", 100, &v), -1);
	assert_true(gv_hash64("a", 1, 0) != gv_hash64("b", 1, 0));
	assert_true(gv_hash64("a", 1, 0) != gv_hash64("a", 1, 1));
}

static void test_file_roundtrip_and_cap(void **state)
{
	(void)state;
	char dir[] = "/tmp/gv-util-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/f", dir);
	const char *err = NULL;
	assert_int_equal(gv_write_file_atomic(path, "hello world", 11, 0600, &err), 1);
	unsigned char *data;
	size_t len;
	bool trunc;
	assert_int_equal(gv_read_file(path, 100, &data, &len, &trunc, &err), 1);
	assert_int_equal(len, 11);
	assert_false(trunc);
	assert_memory_equal(data, "hello world", 11);
	gv_free(data);
	/* over the cap: first max bytes and the truncated flag */
	assert_int_equal(gv_read_file(path, 5, &data, &len, &trunc, &err), 0);
	assert_int_equal(len, 5);
	assert_true(trunc);
	gv_free(data);
	assert_int_equal(gv_read_file(dir, 5, &data, &len, &trunc, &err), -1);
	assert_string_equal(err, "is a directory");
	unlink(path);
	rmdir(dir);
	assert_int_equal(gv_read_file(path, 5, &data, &len, &trunc, &err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_alignment_and_zero),
		cmocka_unit_test(test_buf_limit),
		cmocka_unit_test(test_buf_printf_long),
		cmocka_unit_test(test_str_helpers),
		cmocka_unit_test(test_file_roundtrip_and_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
