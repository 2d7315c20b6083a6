/* Engine, configuration and policy tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan/scan.h"

static char *write_config(const char *yaml)
{
	char *path = strdup("/tmp/gv-scan-cfg-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
	close(fd);
	return path;
}

static struct gv_scan_engine *engine_from(const char *yaml)
{
	char *path = yaml ? write_config(yaml) : NULL;
	struct gv_scan_engine *e = NULL;
	const char *err = NULL;
	int r = gv_scan_engine_load(path, &e, &err);
	if (r < 0)
		fail_msg("engine: %s", err);
	if (path) {
		unlink(path);
		free(path);
	}
	return e;
}

static struct gv_scan_result *scan(struct gv_scan_engine *e,
				   struct gv_pool *pool, const char *msg)
{
	struct gv_scan_result *r;
	const char *err;
	assert_int_equal(gv_scan_message(e, pool, (const unsigned char *)msg,
					 strlen(msg), NULL, &r, &err), 1);
	return r;
}

static const char *phish =
	"From: PayPal Security <security@paypa1-alerts.example>\r\n"
	"To: victim@example.net\r\nSubject: Your account has been suspended\r\n"
	"Content-Type: text/html\r\n\r\n"
	"<p>Verify your account within 24 hours.</p>"
	"<a href=\"http://198.51.100.4/paypal/\">https://www.paypal.com/signin</a>"
	"<form action=\"http://198.51.100.4/p\"><input type=password></form>";

static void test_default_verdicts(void **state)
{
	(void)state;
	struct gv_scan_engine *e = engine_from(NULL);
	struct gv_pool *pool = gv_pool_new(8192);
	struct gv_scan_result *r = scan(e, pool, phish);
	assert_true(r->action >= GV_ACTION_QUARANTINE);
	assert_true(r->n_findings >= 4);
	for (size_t i = 1; i < r->n_findings; i++)
		assert_true(r->findings[i - 1].score >= r->findings[i].score);
	r = scan(e, pool, "From: a@example.org\r\nTo: b@example.net\r\nSubject: lunch\r\n"
		 "Message-ID: <x@example.org>\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\n\r\nnoon?\r\n");
	assert_int_equal(r->action, GV_ACTION_ACCEPT);
	assert_int_equal(r->score, 0);
	gv_pool_free(&pool);
	gv_scan_engine_free(&e);
	assert_null(e);
}

static void test_deterministic(void **state)
{
	(void)state;
	struct gv_scan_engine *e = engine_from(NULL);
	struct gv_pool *p1 = gv_pool_new(8192), *p2 = gv_pool_new(8192);
	struct gv_scan_result *a = scan(e, p1, phish), *b = scan(e, p2, phish);
	assert_int_equal(a->score, b->score);
	assert_int_equal(a->action, b->action);
	assert_int_equal(a->n_findings, b->n_findings);
	for (size_t i = 0; i < a->n_findings; i++) {
		assert_string_equal(a->findings[i].rule, b->findings[i].rule);
		assert_string_equal(a->findings[i].evidence, b->findings[i].evidence);
	}
	gv_pool_free(&p1);
	gv_pool_free(&p2);
	gv_scan_engine_free(&e);
}

static void test_config_policy(void **state)
{
	(void)state;
	struct gv_scan_engine *e = engine_from(
		"scan:\n"
		"  protected_people:\n"
		"    - name: Jane Boss\n"
		"      addresses: [jane@corp.example]\n"
		"policy:\n"
		"  tag: 10\n  quarantine: 20\n  reject: 40\n"
		"  rules:\n"
		"    - id: sender.person_impersonation\n      score: 25\n"
		"    - id: \"lure.*\"\n      score: 0\n"
		"    - id: subject.fake_reply\n      action: reject\n");
	struct gv_pool *pool = gv_pool_new(8192);
	struct gv_scan_result *r = scan(e, pool,
		"From: Jane Boss <jane.boss.ceo@gmail.com>\r\nTo: x@corp.example\r\n"
		"Subject: quick favour\r\n\r\nAre you available?\r\n");
	bool found = false;
	for (size_t i = 0; i < r->n_findings; i++) {
		if (strcmp(r->findings[i].rule, "sender.person_impersonation") == 0) {
			found = true;
			assert_int_equal(r->findings[i].score, 25);
		}
		if (strncmp(r->findings[i].rule, "lure.", 5) == 0)
			assert_int_equal(r->findings[i].score, 0);
	}
	assert_true(found);
	assert_int_equal(r->action, GV_ACTION_QUARANTINE); /* 25 + header rules: >= 20, < 40 */
	/* the real Jane is not impersonating herself */
	r = scan(e, pool, "From: Jane Boss <jane@corp.example>\r\nTo: x@corp.example\r\n"
		 "Subject: hi\r\n\r\nhi\r\n");
	for (size_t i = 0; i < r->n_findings; i++)
		assert_string_not_equal(r->findings[i].rule, "sender.person_impersonation");
	/* an action floor: a single 12-point finding rejects */
	r = scan(e, pool, "From: a@b.example\r\nTo: c@d.example\r\nSubject: Re: x\r\n\r\nx\r\n");
	assert_int_equal(r->action, GV_ACTION_REJECT);
	gv_pool_free(&pool);
	gv_scan_engine_free(&e);
}

static void test_bad_config(void **state)
{
	(void)state;
	const char *bad[] = {
		"policy:\n  tag: 50\n  quarantine: 10\n",           /* order */
		"policy:\n  rules:\n    - id: x\n      action: maybe\n",
		"scan: [not, a, mapping]\n",
		"scan:\n  limits:\n    max_parts: -3\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *path = write_config(bad[i]);
		struct gv_scan_engine *e = NULL;
		const char *err = NULL;
		assert_int_equal(gv_scan_engine_load(path, &e, &err), -1);
		assert_non_null(err);
		assert_null(strchr(err, '\n'));
		assert_null(e);
		unlink(path);
		free(path);
	}
	struct gv_scan_engine *e = NULL;
	const char *err = NULL;
	assert_int_equal(gv_scan_engine_load("/nonexistent/geneva.yaml", &e, &err), -1);
}

static void test_limit_quarantines(void **state)
{
	(void)state;
	/* a message cut by a limit is never accepted as clean */
	struct gv_scan_engine *e = engine_from("scan:\n  limits:\n    max_parts: 3\n");
	struct gv_pool *pool = gv_pool_new(8192);
	struct gv_scan_result *r = scan(e, pool,
		"From: a@b.example\r\nTo: c@d.example\r\nSubject: x\r\n"
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
		"--b\r\n\r\n1\r\n--b\r\n\r\n2\r\n--b\r\n\r\n3\r\n--b\r\n\r\n4\r\n--b--\r\n");
	assert_int_equal(r->action, GV_ACTION_QUARANTINE);
	assert_true(r->partial);
	gv_pool_free(&pool);
	gv_scan_engine_free(&e);
}

static void test_json(void **state)
{
	(void)state;
	struct gv_scan_engine *e = engine_from(NULL);
	struct gv_pool *pool = gv_pool_new(8192);
	struct gv_scan_result *r = scan(e, pool, phish);
	struct gv_buf b;
	gv_buf_init(&b, 1 << 20);
	assert_int_equal(gv_scan_result_json(r, "msg\"1.eml", &b), 1);
	json_error_t jerr;
	json_t *j = json_loadb((const char *)b.data, b.len, 0, &jerr);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), GV_SCAN_JSON_VERSION);
	assert_string_equal(json_string_value(json_object_get(j, "source")), "msg\"1.eml");
	json_t *v = json_object_get(j, "verdict");
	assert_string_equal(json_string_value(json_object_get(v, "action")),
			    gv_action_name(r->action));
	assert_int_equal(json_array_size(json_object_get(j, "findings")), r->n_findings);
	assert_true(json_array_size(json_object_get(j, "urls")) >= 2);
	json_decref(j);
	gv_buf_free(&b);
	gv_pool_free(&pool);
	gv_scan_engine_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_verdicts),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_config_policy),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_limit_quarantines),
		cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
