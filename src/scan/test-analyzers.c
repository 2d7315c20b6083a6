/* Table-driven analyzer tests: each case is a small message, the rules it
 * must raise and the rules it must not. Uses the bundled rules/ lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "scan/scan.h"

struct acase {
	const char *name;
	const char *msg;
	const char *want[6];
	const char *not_want[6];
};

#define HDR "From: Alice <alice@example.org>\r\nTo: bob@example.net\r\n" \
	    "Subject: hello\r\nMessage-ID: <1@example.org>\r\n" \
	    "Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n"
#define HTML "Content-Type: text/html; charset=utf-8\r\n\r\n"

static const struct acase cases[] = {
	{ "clean plain text", HDR "\r\nSee you at lunch tomorrow.\r\n",
	  { NULL }, { "url.ip_host", "phish.anchor_mismatch", "sender.brand_impersonation", NULL } },
	{ "raw IP link", HDR HTML "<a href=\"http://203.0.113.7/login\">here</a>",
	  { "url.ip_host", NULL }, { NULL } },
	{ "obfuscated IP", HDR HTML "<a href=\"http://3405803783/x\">x</a>",
	  { "url.ip_obfuscated", NULL }, { "url.ip_host", NULL } },
	{ "userinfo trick", HDR HTML "<a href=\"https://www.paypal.com@evil.example/\">PayPal</a>",
	  { "url.userinfo_domain", NULL }, { NULL } },
	{ "anchor mismatch", HDR HTML "<a href=\"http://evil.example/a\">https://www.mybank.com/login</a>",
	  { "phish.anchor_mismatch", NULL }, { NULL } },
	{ "anchor matches", HDR HTML "<a href=\"https://www.example.org/a\">www.example.org</a>",
	  { NULL }, { "phish.anchor_mismatch", NULL } },
	{ "shortener", HDR "\r\nLook: https://bit.ly/3abcd\r\n", { "url.shortener", NULL }, { NULL } },
	{ "free hosting", HDR HTML "<a href=\"https://login-x.web.app/\">go</a>",
	  { "url.free_hosting", NULL }, { NULL } },
	{ "dynamic DNS", HDR HTML "<a href=\"http://mybank.duckdns.org/\">go</a>",
	  { "url.dyndns", NULL }, { NULL } },
	{ "link to program", HDR "\r\nhttp://files.example/invoice.exe\r\n",
	  { "url.file_link", NULL }, { NULL } },
	{ "password form", HDR HTML "<form action=\"https://collect.example/p\"><input type=\"password\" name=p></form>",
	  { "phish.password_form", "phish.form", NULL }, { NULL } },
	{ "script and refresh", HDR HTML "<meta http-equiv=\"refresh\" content=\"0;url=http://x.example/\"><script>a()</script>",
	  { "html.script", "html.refresh", NULL }, { NULL } },
	{ "lure language", "From: IT <it@example.org>\r\nTo: bob@example.net\r\nSubject: Action required\r\n\r\n"
	  "Your account has been suspended. Verify your account within 24 hours.\r\n",
	  { "lure.account_suspended", "lure.verify_account", "lure.deadline", NULL }, { NULL } },
	{ "brand display name", "From: PayPal Service <service@secure-mail.example>\r\nTo: bob@example.net\r\nSubject: x\r\n\r\nx\r\n",
	  { "sender.brand_impersonation", NULL }, { NULL } },
	{ "brand display name, real domain", "From: PayPal <service@paypal.com>\r\nTo: bob@example.net\r\nSubject: x\r\n\r\nx\r\n",
	  { NULL }, { "sender.brand_impersonation", NULL } },
	{ "look-alike letters in name", "From: =?UTF-8?B?0JzQtdGC0LAgTWFzaw==?= <a@b.example>\r\nTo: bob@example.net\r\nSubject: x\r\n\r\nx\r\n",
	  { "sender.confusable_name", NULL }, { NULL } },
	{ "other domain in display name", "From: \"support@mybank.com\" <x@other-host.net>\r\nTo: bob@example.net\r\nSubject: x\r\n\r\nx\r\n",
	  { "sender.name_has_other_domain", NULL }, { NULL } },
	{ "reply-to free mail", "From: CEO <ceo@corp.example>\r\nReply-To: ceo.private@gmail.com\r\nTo: bob@example.net\r\nSubject: x\r\n\r\nx\r\n",
	  { "sender.reply_to_freemail", NULL }, { "sender.reply_to_differs", NULL } },
	{ "recipient in subject", "From: a@b.example\r\nTo: victim.user@example.net\r\nSubject: victim.user, your parcel\r\n\r\nx\r\n",
	  { "subject.has_recipient", NULL }, { NULL } },
	{ "fake reply", "From: a@b.example\r\nTo: c@d.example\r\nSubject: RE: invoice\r\n\r\nx\r\n",
	  { "subject.fake_reply", NULL }, { NULL } },
	{ "real reply", "From: a@b.example\r\nTo: c@d.example\r\nSubject: RE: invoice\r\nIn-Reply-To: <x@y>\r\n\r\nx\r\n",
	  { NULL }, { "subject.fake_reply", NULL } },
	{ "DMARC fail", "Authentication-Results: mx.example; spf=fail smtp.mailfrom=evil.example; dkim=none; dmarc=fail header.from=bank.example\r\n"
	  "From: a@bank.example\r\nTo: c@d.example\r\nSubject: x\r\n\r\nx\r\n",
	  { "auth.dmarc_fail", "auth.spf_fail", "auth.unaligned", NULL }, { NULL } },
	{ "aligned pass", "Authentication-Results: mx.example; spf=pass smtp.mailfrom=bank.example; dkim=pass header.d=bank.example; dmarc=pass\r\n"
	  "From: a@bank.example\r\nTo: c@d.example\r\nSubject: x\r\n\r\nx\r\n",
	  { NULL }, { "auth.unaligned", "auth.dmarc_fail", NULL } },
	{ "invisible characters", "From: a@b.example\r\nTo: c@d.example\r\nSubject: x\r\n"
	  "Content-Type: text/plain; charset=utf-8\r\n\r\nCo\xe2\x80\x8b" "in\xe2\x80\x8b" "ba\xe2\x80\x8b" "se update\r\n",
	  { "text.obfuscated", NULL }, { NULL } },
	{ "brand in text, links elsewhere", "From: a@b.example\r\nTo: c@d.example\r\nSubject: x\r\n" HTML
	  "<p>Netflix: your Netflix membership is on hold.</p><a href=\"https://pay.other.example/\">Update</a>",
	  { "phish.brand_in_text", NULL }, { NULL } },
	{ "lookalike sender and link", "From: Support <help@paypa1.com>\r\nTo: c@d.example\r\nSubject: x\r\n" HTML
	  "<a href=\"https://rnicrosoft.com/login\">sign in</a>",
	  { "sender.lookalike_domain", "url.lookalike", NULL }, { NULL } },
	{ "brand's own domain is no lookalike", "From: PayPal <service@paypal.com>\r\nTo: c@d.example\r\nSubject: x\r\n" HTML
	  "<a href=\"https://www.paypal.com/signin\">sign in</a>",
	  { NULL }, { "sender.lookalike_domain", "url.lookalike", NULL } },
	{ "broken MIME", "From: a@b.example\r\nTo: c@d.example\r\nSubject: x\r\n"
	  "Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\ny\r\n", { "mime.no_boundary", NULL }, { NULL } },
};

static bool has(const struct gv_scan_result *r, const char *rule)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (strcmp(r->findings[i].rule, rule) == 0)
			return true;
	return false;
}

static void test_cases(void **state)
{
	struct gv_scan_engine *e = *state;
	for (size_t i = 0; i < GV_ARRAY_LEN(cases); i++) {
		const struct acase *c = &cases[i];
		struct gv_pool *pool = gv_pool_new(8192);
		struct gv_scan_result *r;
		const char *err;
		assert_int_equal(gv_scan_message(e, pool, (const unsigned char *)c->msg,
						 strlen(c->msg), NULL, &r, &err), 1);
		for (size_t k = 0; k < 6 && c->want[k]; k++)
			if (!has(r, c->want[k]))
				fail_msg("%s: rule %s missing", c->name, c->want[k]);
		for (size_t k = 0; k < 6 && c->not_want[k]; k++)
			if (has(r, c->not_want[k]))
				fail_msg("%s: rule %s raised", c->name, c->not_want[k]);
		gv_pool_free(&pool);
	}
}

static int setup(void **state)
{
	struct gv_scan_engine *e;
	const char *err;
	if (gv_scan_engine_load(NULL, &e, &err) < 0) {
		fprintf(stderr, "engine: %s\n", err);
		return -1;
	}
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct gv_scan_engine *e = *state;
	gv_scan_engine_free(&e);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
