/* Unit tests of the outputs of src/domains: RPZ zone, serials, RDAP
 * contact, X-ARF report, feeds (gzip, long lines), configuration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include "domains/domains.h"

static void test_rpz(void **state)
{
	(void)state;
	struct gv_buf out;
	const char *error;
	gv_buf_init(&out, 1 << 20);
	const char *names[] = { "paypa1.com", "PAYPA1.com", "xn--pypal-4ve.com", "bad..x" };
	struct gv_rpz_opts o = { .origin = "rpz.local", .action = GV_RPZ_CNAME,
				 .sinkhole_host = "sinkhole.example", .wildcard = true };
	assert_int_equal(gv_rpz_write(&o, names, 4, 2026112601, &out, &error), 1);
	const char *z = gv_buf_cstr(&out);
	assert_non_null(strstr(z, "@ IN SOA localhost. hostmaster.localhost. 2026112601 "));
	assert_non_null(strstr(z, "\npaypa1.com CNAME sinkhole.example.\n"));
	assert_non_null(strstr(z, "\n*.paypa1.com CNAME sinkhole.example.\n"));
	assert_non_null(strstr(z, "\nxn--pypal-4ve.com CNAME sinkhole.example.\n"));
	assert_null(strstr(strstr(z, "paypa1.com CNAME") + 1, "\npaypa1.com CNAME")); /* dedup */
	assert_null(strstr(z, "bad..x"));
	uint32_t serial;
	assert_int_equal(gv_rpz_parse_serial(z, out.len, &serial), 1);
	assert_int_equal(serial, 2026112601);

	gv_buf_reset(&out);
	o.action = GV_RPZ_ADDRESS;
	o.a = "192.0.2.66";
	o.aaaa = "2001:db8::66";
	o.wildcard = false;
	assert_int_equal(gv_rpz_write(&o, names, 1, 5, &out, &error), 1);
	z = gv_buf_cstr(&out);
	assert_non_null(strstr(z, "\npaypa1.com A 192.0.2.66\npaypa1.com AAAA 2001:db8::66\n"));
	assert_null(strstr(z, "*."));
	gv_buf_reset(&out);
	o.action = GV_RPZ_NXDOMAIN;
	assert_int_equal(gv_rpz_write(&o, names, 1, 5, &out, &error), 1);
	assert_non_null(strstr(gv_buf_cstr(&out), "\npaypa1.com CNAME .\n"));
	/* bad options */
	o.action = GV_RPZ_ADDRESS;
	o.a = "not-an-ip";
	assert_int_equal(gv_rpz_write(&o, names, 1, 5, &out, &error), -1);
	o.action = GV_RPZ_CNAME;
	o.sinkhole_host = NULL;
	assert_int_equal(gv_rpz_write(&o, names, 1, 5, &out, &error), -1);
	/* output limit */
	struct gv_buf tiny;
	gv_buf_init(&tiny, 64);
	o.sinkhole_host = "sinkhole.example";
	assert_int_equal(gv_rpz_write(&o, names, 3, 5, &tiny, &error), -1);
	gv_buf_free(&tiny);
	gv_buf_free(&out);
}

static void test_serial(void **state)
{
	(void)state;
	time_t t = 1795651200; /* 2026-11-26 00:00:00 UTC */
	assert_int_equal(gv_rpz_next_serial(0, t), 2026112600);
	assert_int_equal(gv_rpz_next_serial(2026112600, t), 2026112601);
	assert_int_equal(gv_rpz_next_serial(2026112599, t), 2026112600);
	assert_int_equal(gv_rpz_next_serial(2030010100, t), 2030010101);
	uint32_t s;
	assert_int_equal(gv_rpz_parse_serial("$TTL 5\n", 7, &s), 0);
}

static const char rdap[] =
	"{\"objectClassName\":\"domain\",\"ldhName\":\"paypa1.com\",\"entities\":["
	"{\"objectClassName\":\"entity\",\"roles\":[\"registrar\"],"
	"\"vcardArray\":[\"vcard\",[[\"version\",{},\"text\",\"4.0\"],"
	"[\"fn\",{},\"text\",\"Example Registrar, Inc.\"]]],"
	"\"entities\":[{\"objectClassName\":\"entity\",\"roles\":[\"abuse\"],"
	"\"vcardArray\":[\"vcard\",[[\"version\",{},\"text\",\"4.0\"],"
	"[\"email\",{},\"text\",\"abuse@registrar.example\"]]]}]}]}";

static void test_rdap(void **state)
{
	(void)state;
	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_abuse_contact c;
	const char *error;
	assert_int_equal(gv_abuse_contact_from_rdap(rdap, sizeof(rdap) - 1, NULL, pool, &c, &error), 1);
	assert_string_equal(c.registrar, "Example Registrar, Inc.");
	assert_string_equal(c.email, "abuse@registrar.example");
	assert_int_equal(gv_abuse_contact_from_rdap("{\"entities\":[]}", 15, NULL, pool, &c, &error), 0);
	assert_int_equal(gv_abuse_contact_from_rdap("[1,2", 4, NULL, pool, &c, &error), -1);
	/* an injected header line in the RDAP answer is refused */
	static const char evil[] =
		"{\"entities\":[{\"roles\":[\"registrar\"],\"entities\":[{\"roles\":[\"abuse\"],"
		"\"vcardArray\":[\"vcard\",[[\"email\",{},\"text\",\"a@b.c\\r\\nBcc: x@y\"]]]}]}]}";
	assert_int_equal(gv_abuse_contact_from_rdap(evil, sizeof(evil) - 1, NULL, pool, &c, &error), 0);
	gv_pool_free(&pool);
}

/* An RDAP domain answer with a registrar (IANA id or name only) and a
 * registrant vCard: the shape registries return (RFC 9083, jCard). */
static char *rdap_answer(const char *iana, const char *registrar,
			 const char *kind, const char *fn, const char *org,
			 const char *email)
{
	json_t *card = json_pack("[[s,{},s,s]]", "version", "text", "4.0");
	if (kind != NULL)
		json_array_append_new(card, json_pack("[s,{},s,s]", "kind", "text", kind));
	if (fn != NULL)
		json_array_append_new(card, json_pack("[s,{},s,s]", "fn", "text", fn));
	if (org != NULL)
		json_array_append_new(card, json_pack("[s,{},s,s]", "org", "text", org));
	if (email != NULL)
		json_array_append_new(card, json_pack("[s,{},s,s]", "email", "text", email));
	json_t *rar = json_pack("{s:[s], s:[s,[[s,{},s,s]]]}", "roles", "registrar",
				"vcardArray", "vcard", "fn", "text", registrar);
	if (iana != NULL)
		json_object_set_new(rar, "publicIds", json_pack("[{s:s, s:s}]", "type",
			"IANA Registrar ID", "identifier", iana));
	json_t *j = json_pack("{s:s, s:[o, {s:[s], s:[s,o]}]}", "objectClassName", "domain",
			      "entities", rar, "roles", "registrant", "vcardArray", "vcard", card);
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

static int registrant(struct gv_pool *pool, char *json, struct gv_rdap_registrant *r)
{
	const char *error;
	int rc = gv_rdap_registrant(json, strlen(json), NULL, pool, r, &error);
	free(json);
	return rc;
}

static void test_rdap_registrant(void **state)
{
	(void)state;
	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_rdap_registrant brand, r;
	/* the brand's own answer: a corporate registrar, the company's name */
	assert_int_equal(registrant(pool, rdap_answer("292", "MarkMonitor Inc.", NULL,
		"Domain Administrator", "Microsoft Corporation", "domains@microsoft.com"),
		&brand), 1);
	assert_string_equal(brand.org, "microsoft");
	assert_string_equal(brand.email_domain, "microsoft.com");
	assert_string_equal(brand.registrar, "iana:292");
	/* a name the brand registered: same registrar, company form spelled
	 * otherwise; or the registrant mailbox at the brand's domain */
	assert_int_equal(registrant(pool, rdap_answer("292", "MarkMonitor, Inc.", NULL,
		NULL, "MICROSOFT CORP.", NULL), &r), 1);
	assert_true(gv_rdap_brand_owned(&r, &brand, "microsoft.com"));
	assert_int_equal(registrant(pool, rdap_answer("292", "MarkMonitor", NULL, NULL,
		NULL, "Hostmaster@Microsoft.COM"), &r), 1);
	assert_true(gv_rdap_brand_owned(&r, &brand, "microsoft.com"));
	/* an impostor writing the brand's name at a retail registrar */
	assert_int_equal(registrant(pool, rdap_answer("1068", "NameCheap, Inc.", NULL,
		NULL, "Microsoft Corporation", "domains@microsoft.com"), &r), 1);
	assert_false(gv_rdap_brand_owned(&r, &brand, "microsoft.com"));
	/* same registrar, someone else */
	assert_int_equal(registrant(pool, rdap_answer("292", "MarkMonitor Inc.", NULL,
		NULL, "Contoso Ltd", "it@contoso.example"), &r), 1);
	assert_false(gv_rdap_brand_owned(&r, &brand, "microsoft.com"));
	/* a mailbox at a mail provider the brand list may own is not the
	 * brand's domain */
	assert_int_equal(registrant(pool, rdap_answer("292", "MarkMonitor Inc.", NULL,
		NULL, NULL, "someone@outlook.com"), &r), 1);
	assert_false(gv_rdap_brand_owned(&r, &brand, "microsoft.com"));
	/* redacted or privacy-service values say nothing */
	assert_int_equal(registrant(pool, rdap_answer("292", "MarkMonitor Inc.", NULL,
		"REDACTED FOR PRIVACY", "REDACTED FOR PRIVACY",
		"Please query the RDDS service of the Registrar of Record"), &r), 0);
	assert_false(gv_rdap_brand_owned(&r, &brand, "microsoft.com"));
	assert_int_equal(registrant(pool, rdap_answer("1068", "NameCheap, Inc.", NULL,
		NULL, "Privacy service provided by Withheld for Privacy ehf",
		"abc@withheldforprivacy.com"), &r), 0);
	/* an organisation's name in "fn" alone, kind org; the registrar by name */
	assert_int_equal(registrant(pool, rdap_answer(NULL, "CSC Corporate Domains, Inc.",
		"org", "Google LLC", NULL, NULL), &r), 1);
	assert_string_equal(r.org, "google");
	assert_string_equal(r.registrar, "name:csc corporate domains");
	/* an IANA id that is not a number is ignored: the name stands */
	assert_int_equal(registrant(pool, rdap_answer("29X", "MarkMonitor Inc.", NULL,
		NULL, "Microsoft", NULL), &r), 1);
	assert_string_equal(r.registrar, "name:markmonitor");
	assert_false(gv_rdap_brand_owned(&r, &brand, "microsoft.com"));
	/* an individual's "fn" is not an organisation */
	assert_int_equal(registrant(pool, rdap_answer(NULL, "Registrar", "individual",
		"Jane Doe", NULL, NULL), &r), 0);
	assert_null(r.org);
	/* bad input */
	const char *error;
	assert_int_equal(gv_rdap_registrant("[]", 2, NULL, pool, &r, &error), -1);
	assert_int_equal(gv_rdap_registrant("{\"a\":1,\"a\":2}", 13, NULL, pool, &r, &error), -1);
	struct gv_domains_limits lim = { .max_rdap_len = 8 };
	assert_int_equal(gv_rdap_registrant("{\"entities\":[]}", 15, &lim, pool, &r, &error), -1);
	assert_string_equal(error, "RDAP answer too large");
	/* entities of the wrong types are skipped */
	static const char odd[] = "{\"entities\":[1,\"x\",{\"roles\":\"registrant\"}]}";
	assert_int_equal(gv_rdap_registrant(odd, sizeof(odd) - 1, NULL, pool, &r, &error), 0);
	gv_pool_free(&pool);
}

static void test_report(void **state)
{
	(void)state;
	struct gv_buf out;
	const char *error;
	gv_buf_init(&out, 1 << 20);
	struct gv_abuse_opts o = { .from = "abuse-desk@example.org",
				   .reporter_org = "Example Org", .now = 1795651200 };
	struct gv_abuse_contact to = { .registrar = "Example Registrar",
				       .email = "abuse@registrar.example" };
	struct gv_abuse_evidence ev = { .domain = "paypa1.com", .brand = "paypal.com",
		.technique = GV_TECH_HOMOGLYPH, .score = 95, .first_seen = 1795600000 };
	assert_int_equal(gv_abuse_report_write(&o, &to, &ev, &out, &error), 1);
	const char *m = gv_buf_cstr(&out);
	assert_non_null(strstr(m, "To: abuse@registrar.example\r\n"));
	assert_non_null(strstr(m, "Subject: Abuse report: lookalike domain paypa1.com"));
	assert_non_null(strstr(m, "Date: Thu, 26 Nov 2026 00:00:00 +0000\r\n"));
	assert_non_null(strstr(m, "  technique:   homoglyph\r\n"));
	assert_non_null(strstr(m, "  first seen:  2026-11-25 09:46:40 UTC\r\n"));
	/* the JSON part parses and carries the evidence */
	const char *js = strstr(m, "filename=\"xarf.json\"\r\n\r\n");
	assert_non_null(js);
	js += strlen("filename=\"xarf.json\"\r\n\r\n");
	const char *end = strstr(js, "\r\n--xarf-");
	json_error_t jerr;
	json_t *j = json_loadb(js, (size_t)(end - js), 0, &jerr);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "xarf_version")), "4.0.0");
	assert_string_equal(json_string_value(json_object_get(j, "class")), "content");
	assert_string_equal(json_string_value(json_object_get(j, "type")), "brand_infringement");
	assert_string_equal(json_string_value(json_object_get(j, "domain")), "paypa1.com");
	assert_string_equal(json_string_value(json_object_get(j, "target_brand")), "paypal.com");
	assert_string_equal(json_string_value(json_object_get(j, "first_seen")), "2026-11-25T09:46:40Z");
	json_decref(j);
	ev.domain = "evil.com\r\nBcc: x@y";
	assert_int_equal(gv_abuse_report_write(&o, &to, &ev, &out, &error), -1);
	gv_buf_free(&out);
}

struct lines {
	char got[8][64];
	size_t n;
};

static int take(void *ctx, const char *line, size_t len)
{
	struct lines *l = ctx;
	if (l->n < 8 && len < 64) {
		memcpy(l->got[l->n], line, len);
		l->got[l->n][len] = '\0';
	}
	l->n++;
	return 1;
}

static void test_feed(void **state)
{
	(void)state;
	char path[] = "/tmp/gv-feed-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	gzFile gz = gzopen(path, "wb");
	gzputs(gz, "a.com\r\n");
	for (int i = 0; i < 300; i++)
		gzputs(gz, "xxxxxxxxxx");
	gzputs(gz, "\nb.com\nc.com");
	gzclose(gz);
	struct lines l = { .n = 0 };
	struct gv_feed_stats st = { 0 };
	const char *error;
	assert_int_equal(gv_domains_feed_path(path, 100, take, &l, &st, &error), 1);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.got[0], "a.com");
	assert_string_equal(l.got[1], "b.com");
	assert_string_equal(l.got[2], "c.com");
	assert_int_equal(st.too_long, 1);
	assert_int_equal(st.lines, 4);
	unlink(path);
	assert_int_equal(gv_domains_feed_path("/nonexistent/feed", 100, take, &l, &st, &error), -1);
}

static void test_config(void **state)
{
	(void)state;
	char path[] = "/tmp/gv-conf-XXXXXX";
	int fd = mkstemp(path);
	static const char y[] =
		"scan:\n  unknown_key: 1\n"
		"domains:\n  brands_file: /etc/geneva/brands.txt\n  min_score: 80\n"
		"  allow: [a.example, b.example]\n  future_key: x\n"
		"  rpz:\n    zone_file: /tmp/z\n    action: address\n    a: 192.0.2.1\n"
		"    wildcard: \"no\"\n"
		"  report:\n    from: abuse@example.org\n    abuse_contact: abuse@reg.example\n";
	assert_int_equal(write(fd, y, sizeof(y) - 1), (ssize_t)sizeof(y) - 1);
	close(fd);
	struct gv_domains_config c;
	void *storage;
	const char *error;
	assert_int_equal(gv_domains_config_load(path, &c, &storage, &error), 1);
	assert_string_equal(c.brands_file, "/etc/geneva/brands.txt");
	assert_int_equal(c.min_score, 80);
	assert_int_equal(c.n_allow, 2);
	assert_string_equal(c.allow[1], "b.example");
	assert_int_equal(c.rpz.action, GV_RPZ_ADDRESS);
	assert_false(c.rpz.wildcard);
	assert_string_equal(c.rpz.origin, "rpz.local");
	assert_string_equal(c.abuse_contact, "abuse@reg.example");
	gv_domains_config_free(&storage);
	assert_null(storage);
	assert_int_equal(gv_domains_config_load("/nonexistent.yaml", &c, &storage, &error), 0);
	assert_true(c.rpz.wildcard);
	fd = open(path, O_WRONLY | O_TRUNC);
	static const char bad[] = "domains:\n  rpz:\n    action: drop\n";
	assert_int_equal(write(fd, bad, sizeof(bad) - 1), (ssize_t)sizeof(bad) - 1);
	close(fd);
	assert_int_equal(gv_domains_config_load(path, &c, &storage, &error), -1);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rpz),
		cmocka_unit_test(test_serial),
		cmocka_unit_test(test_rdap),
		cmocka_unit_test(test_rdap_registrant),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_feed),
		cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
