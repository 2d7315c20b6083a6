/* Unit tests of src/domains: normalization, keys, each technique, bad
 * input, limits, permutations, RPZ, abuse reports, feeds, config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include "domains/domains-private.h"

static struct gv_brand_index *idx;

static int setup(void **state)
{
	(void)state;
	const char *error;
	idx = gv_brand_index_new(NULL);
	static const char brands[] =
		"# test brands\n"
		"paypal.com paypal-community.com\n"
		"microsoft.com microsoft.* live.com\n"
		"myetherwallet.com\n"
		"circl.lu\n"
		"ing.com\n"
		"usbank.com\n"
		"icloud.com\n"
		"!paypal-partner.example\n"
		"!myetherwallet.shared-host.example\n";
	assert_int_equal(gv_brand_index_load(idx, brands, sizeof(brands) - 1, &error), 1);
	assert_int_equal(gv_brand_index_count(idx), 7);
	gv_brand_index_build(idx);
	assert_int_equal(gv_brand_index_count(idx), 7); /* core entries not counted */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	gv_brand_index_free(&idx);
	assert_null(idx);
	return 0;
}

struct tcase {
	const char *name;
	const char *brand; /* NULL = must not match */
	enum gv_domain_technique tech;
};

static void run_cases_in(const struct gv_brand_index *in, const struct tcase *cases,
			 size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct gv_brand_match m;
		int rc = gv_brand_index_match(in, cases[i].name, strlen(cases[i].name), &m);
		if (cases[i].brand == NULL) {
			if (rc != 0)
				fail_msg("%s: unexpected match %s (%s)", cases[i].name,
					 m.brand, gv_domain_technique_name(m.technique));
			continue;
		}
		if (rc != 1)
			fail_msg("%s: no match (rc %d)", cases[i].name, rc);
		assert_string_equal(m.brand, cases[i].brand);
		if (cases[i].tech != GV_TECH_NONE && m.technique != cases[i].tech)
			fail_msg("%s: technique %s, expected %s", cases[i].name,
				 gv_domain_technique_name(m.technique),
				 gv_domain_technique_name(cases[i].tech));
		assert_true(m.score >= 70 && m.score <= 100);
	}
}

static void run_cases(const struct tcase *cases, size_t n)
{
	run_cases_in(idx, cases, n);
}

static void test_typo_techniques(void **state)
{
	(void)state;
	static const struct tcase cases[] = {
		{ "paypalx.com", "paypal.com", GV_TECH_ADDITION },
		{ "paypel.com", "paypal.com", GV_TECH_BITSQUATTING },
		{ "pay-pal.com", "paypal.com", GV_TECH_HYPHENATION },
		{ "payspal.com", "paypal.com", GV_TECH_INSERTION },
		{ "paypl.com", "paypal.com", GV_TECH_OMISSION },
		{ "payypal.com", "paypal.com", GV_TECH_REPETITION },
		{ "paypsl.com", "paypal.com", GV_TECH_REPLACEMENT },
		{ "pay.pal.com", "paypal.com", GV_TECH_SUBDOMAIN },
		{ "papyal.com", "paypal.com", GV_TECH_TRANSPOSITION },
		{ "paypol.com", "paypal.com", GV_TECH_VOWEL_SWAP },
		{ "paypal.net", "paypal.com", GV_TECH_TLD_SWAP },
		{ "paypals.com", "paypal.com", GV_TECH_PLURAL },
		{ "paypalcom.com", "paypal.com", GV_TECH_VARIOUS },
		{ "paypal-login.com", "paypal.com", GV_TECH_DICTIONARY },
		{ "secure-paypal.net", "paypal.com", GV_TECH_DICTIONARY },
		{ "paypal-account-verify.xyz", "paypal.com", GV_TECH_DICTIONARY },
		{ "login-paypal.example.net", "paypal.com", GV_TECH_BRAND_IN_SUBDOMAIN },
		{ "myetherwallet-cpt.space", "myetherwallet.com", GV_TECH_BRAND_IN_LABEL },
		{ "login.paypal.com.evil.ru", "paypal.com", GV_TECH_BRAND_IN_SUBDOMAIN },
		/* a sibling of an allow-listed host on a shared domain */
		{ "myetherwallet.x.shared-host.example", "myetherwallet.com", GV_TECH_BRAND_IN_SUBDOMAIN },
		{ "myehterwaltet.com", "myetherwallet.com", GV_TECH_NONE },
		{ "c00cl.lu", "circl.lu", GV_TECH_NONE }, /* doubled keystroke */
		{ "circl.bd", "circl.lu", GV_TECH_TLD_SWAP }, /* under *.bd */
		/* a later automaton piece verified although an earlier one
		 * ("llet" of wallet) hit first in the same label */
		{ "wallet-myetherwallet.com", "myetherwallet.com", GV_TECH_DICTIONARY },
		/* keywords separated by digits; a misspelled brand next to a
		 * neutral keyword */
		{ "paypal-login24.com", "paypal.com", GV_TECH_DICTIONARY },
		{ "myetherwalet-app.com", "myetherwallet.com", GV_TECH_NONE },
		/* head + common word: typos of the word part still count, and a
		 * head that looks like the brand's (l for i) */
		{ "usbamk.com", "usbank.com", GV_TECH_REPLACEMENT },
		{ "lcloud.com", "icloud.com", GV_TECH_NONE },
		{ "paypal", "paypal.com", GV_TECH_TLD_SWAP }, /* unlisted TLD */
		/* the brand without its generic head "my" */
		{ "etherwallet.net", "myetherwallet.com", GV_TECH_OMISSION },
		{ "youretherwallet.io", "myetherwallet.com", GV_TECH_BRAND_IN_LABEL },
		/* a misspelled brand followed by its suffix in a subdomain */
		{ "myetherrwaliet.com.cp-19.hosting.example", "myetherwallet.com",
		  GV_TECH_BRAND_IN_SUBDOMAIN },
	};
	run_cases(cases, GV_ARRAY_LEN(cases));
}

static void test_homoglyphs(void **state)
{
	(void)state;
	static const struct tcase cases[] = {
		{ "paypa1.com", "paypal.com", GV_TECH_HOMOGLYPH },
		{ "rnicrosoft.com", "microsoft.com", GV_TECH_HOMOGLYPH },
		{ "nnicrosoft.com", "microsoft.com", GV_TECH_HOMOGLYPH },
		{ "micros0ft-support.com", "microsoft.com", GV_TECH_DICTIONARY },
		{ "xn--pypal-4ve.com", "paypal.com", GV_TECH_IDN_HOMOGLYPH },
		{ "p\xd0\xb0ypal.com", "paypal.com", GV_TECH_IDN_HOMOGLYPH }, /* Cyrillic а */
		{ "P\xc3\xa0YPAL.com", "paypal.com", GV_TECH_IDN_HOMOGLYPH }, /* à, uppercase */
		{ "xn--80ak6aa92e.com", NULL, GV_TECH_NONE }, /* all-Cyrillic "apple": no brand */
		/* open e: Cyrillic є, Greek ε */
		{ "my\xd1\x94th\xd1\x94rwallet.com", "myetherwallet.com", GV_TECH_IDN_HOMOGLYPH },
		{ "myeth\xce\xb5rwall\xce\xb5t.com", "myetherwallet.com", GV_TECH_IDN_HOMOGLYPH },
	};
	run_cases(cases, GV_ARRAY_LEN(cases));
}

static void test_not_reported(void **state)
{
	(void)state;
	static const struct tcase cases[] = {
		{ "paypal.com", NULL, GV_TECH_NONE },		/* the brand */
		{ "www.paypal.com", NULL, GV_TECH_NONE },	/* under the brand */
		{ "paypal-community.com", NULL, GV_TECH_NONE }, /* owned */
		{ "microsoft.de", NULL, GV_TECH_NONE },		/* owned via microsoft.* */
		{ "paypal-partner.example", NULL, GV_TECH_NONE }, /* allow-list */
		{ "www.paypal-partner.example", NULL, GV_TECH_NONE },
		{ "myetherwallet.shared-host.example", NULL, GV_TECH_NONE },
		{ "example.com", NULL, GV_TECH_NONE },
		{ "pineapple.com", NULL, GV_TECH_NONE },
		{ "ing-something.com", NULL, GV_TECH_NONE },	/* short brand in a word */
		{ "king.com", NULL, GV_TECH_NONE },
		{ "cizxl.lu", NULL, GV_TECH_NONE },		/* 2 edits, not doubled */
		{ "github.io", NULL, GV_TECH_NONE },		/* a public suffix */
		{ "microsoft", NULL, GV_TECH_NONE },		/* a delegated TLD */
		/* another head before the brand's common word */
		{ "isbank.com.tr", NULL, GV_TECH_NONE },
		{ "sbank.ru", NULL, GV_TECH_NONE },
		{ "hicloud.com", NULL, GV_TECH_NONE },
		{ "cloud.com", NULL, GV_TECH_NONE },
		/* neutral keywords alone next to a short brand */
		{ "paypalapp.com", NULL, GV_TECH_NONE },
		{ "paypal-online.com", NULL, GV_TECH_NONE },
	};
	run_cases(cases, GV_ARRAY_LEN(cases));
}

/* Truncated brands, keywords written together, keyword scores and the
 * four-edit guard on hyphen tokens; brands and names are made up. */
static void test_truncation(void **state)
{
	(void)state;
	const char *error;
	struct gv_brand_index *own = gv_brand_index_new(NULL);
	static const char brands[] =
		"novaterra.com\n"	/* 9 letters: cuts of 5 or more */
		"cloudvista.com\n"	/* starts with a common word */
		"quartzbank.com\n"	/* ends with one */
		"servicehub.com\n"	/* starts with a keyword */
		"zorbax365.com\n"	/* letters before digits */
		"amberson.com\n"
		"amber.net\n";		/* a cut of amberson that is a brand */
	assert_int_equal(gv_brand_index_load(own, brands, sizeof(brands) - 1, &error), 1);
	gv_brand_index_build(own);
	static const struct tcase cases[] = {
		/* cut brand next to a lure keyword, either side, plural */
		{ "novat-claim.com", "novaterra.com", GV_TECH_TRUNCATION },
		{ "claimnovaters.com", "novaterra.com", GV_TECH_TRUNCATION },
		{ "novaterbonus.example.org", "novaterra.com", GV_TECH_TRUNCATION },
		/* cut by at most three letters, a hyphen token */
		{ "get-novate.com", "novaterra.com", GV_TECH_TRUNCATION },
		{ "novates-now.com", "novaterra.com", GV_TECH_TRUNCATION },
		/* the cut must go past a leading common word */
		{ "cloudv-login.com", "cloudvista.com", GV_TECH_TRUNCATION },
		/* not: the cut alone, next to another word, too short, or a
		 * token cut by four letters */
		{ "novat.com", NULL, GV_TECH_NONE },
		{ "novatsky.com", NULL, GV_TECH_NONE },
		{ "novatsky-claim.com", NULL, GV_TECH_NONE },
		{ "nova-claim.com", NULL, GV_TECH_NONE },
		{ "get-novat.com", NULL, GV_TECH_NONE },
		{ "tnovat-claim.com", NULL, GV_TECH_NONE },
		/* not: a cut that leaves a word, a keyword or a name */
		{ "cloud-login.com", NULL, GV_TECH_NONE },
		{ "quartz-login.com", NULL, GV_TECH_NONE },
		{ "service-login.com", NULL, GV_TECH_NONE },
		{ "zorbax-login.com", NULL, GV_TECH_NONE },
		/* a cut that spells another brand is that brand (here a short
		 * one next to an arbitrary word: not reported) */
		{ "amber-sky.com", NULL, GV_TECH_NONE },
		{ "amber-claim.com", "amber.net", GV_TECH_DICTIONARY },
		{ "amberso-sky.com", "amberson.com", GV_TECH_NONE },
	};
	run_cases_in(own, cases, GV_ARRAY_LEN(cases));
	gv_brand_index_free(&own);
	static const struct tcase more[] = {
		/* keywords written together, plurals in -es */
		{ "paypal-securelogin.com", "paypal.com", GV_TECH_DICTIONARY },
		{ "paypalbonuses.com", "paypal.com", GV_TECH_DICTIONARY },
		{ "paypal-securelogon2.com", "paypal.com", GV_TECH_DICTIONARY },
		{ "paypal-securepizza.com", NULL, GV_TECH_NONE },
		/* two edits in a hyphen token: a keyword does not lower the
		 * score it has without one */
		{ "login-myehterwalet.com", "myetherwallet.com", GV_TECH_DICTIONARY },
		/* four edits in a hyphen token only with the brand's first and
		 * last two letters in place */
		{ "restore-bitterwallet.com", NULL, GV_TECH_NONE },
	};
	run_cases(more, GV_ARRAY_LEN(more));
}

static void test_bad_input(void **state)
{
	(void)state;
	struct gv_brand_match m;
	static const char *const bad[] = {
		"", ".", "bad..name", "-paypal.com", "paypal-.com", "pay_pal.com",
		"xn--abc-", "xn--zz--.com", "\xff\xfe.com", "\xc0\xaf.com",
		"p\xd0.com", "a.b.c/../", "paypal.com\n\x00x",
	};
	for (size_t i = 0; i < GV_ARRAY_LEN(bad); i++)
		assert_int_equal(gv_brand_index_match(idx, bad[i], strlen(bad[i]) +
					(i == GV_ARRAY_LEN(bad) - 1 ? 3 : 0), &m), -1);
	char big[2000];
	memset(big, 'a', sizeof(big));
	assert_int_equal(gv_brand_index_match(idx, big, sizeof(big), &m), -1);
	char label[70];
	memset(label, 'a', 64);
	memcpy(label + 64, ".com", 5);
	assert_int_equal(gv_brand_index_match(idx, label, strlen(label), &m), -1);
	const char *error;
	assert_int_equal(gv_brand_index_add(idx, "co.uk", &error), -1);
	struct gv_brand_index *other = gv_brand_index_new(NULL);
	static const char bad_file[] = "paypal.com\n# ok\nbad..brand\n";
	assert_int_equal(gv_brand_index_load(other, bad_file, sizeof(bad_file) - 1, &error), -1);
	assert_string_equal(error, "line 3: not a domain name");
	gv_brand_index_free(&other);
}

static void test_limits(void **state)
{
	(void)state;
	const char *error;
	struct gv_domains_limits lim = { .max_brands = 2, .max_input_len = 20 };
	struct gv_brand_index *small = gv_brand_index_new(&lim);
	assert_int_equal(gv_brand_index_add(small, "paypal.com", &error), 1);
	assert_int_equal(gv_brand_index_add(small, "paypal.com", &error), 0);
	assert_int_equal(gv_brand_index_add(small, "ebay.com", &error), 1);
	assert_int_equal(gv_brand_index_add(small, "apple.com", &error), -1);
	assert_string_equal(error, "too many brands");
	struct gv_brand_match m;
	const char *longname = "paypal-login-secure-verify.com";
	assert_int_equal(gv_brand_index_match(small, longname, strlen(longname), &m), -1);
	assert_int_equal(gv_brand_index_match(small, "paypa1.com", 10, &m), 1);
	gv_brand_index_free(&small);

	/* min_score: a short brand next to an arbitrary word scores 60 */
	struct gv_domains_limits lo = { .min_score = 50 };
	struct gv_brand_index *loose = gv_brand_index_new(&lo);
	assert_int_equal(gv_brand_index_add(loose, "paypal.com", &error), 1);
	assert_int_equal(gv_brand_index_match(loose, "paypal-foo.com", 14, &m), 1);
	assert_int_equal(m.technique, GV_TECH_BRAND_IN_LABEL);
	assert_int_equal(gv_brand_index_match(idx, "paypal-foo.com", 14, &m), 0);
	gv_brand_index_free(&loose);
}

static void test_normalize(void **state)
{
	(void)state;
	struct gv_domain_name n;
	const char *error;
	assert_int_equal(gv_domain_normalize(" WWW.Example.CO.UK. ", 20, NULL, &n, &error), 1);
	assert_string_equal(n.ascii, "www.example.co.uk");
	assert_string_equal(n.ascii + n.registrable_off, "example.co.uk");
	assert_string_equal(n.ascii + n.suffix_off, "co.uk");
	assert_int_equal(gv_domain_normalize("b\xc3\xbc" "cher.de", 10, NULL, &n, &error), 1);
	assert_string_equal(n.ascii, "xn--bcher-kva.de");
	assert_string_equal(n.unicode, "b\xc3\xbc" "cher.de");
	assert_true(n.idn);
	char reg[64];
	assert_int_equal(gv_domain_registrable("a.b.blogspot.com", 16, reg, sizeof(reg), &error), 1);
	assert_string_equal(reg, "b.blogspot.com");
	assert_int_equal(gv_domain_registrable("co.uk", 5, reg, sizeof(reg), &error), 0);
	assert_int_equal(gv_domain_registrable("example.com", 11, reg, 4, &error), -1);
}

/* The ASCII table path must give what ICU gives. */
static void test_key_fast_path(void **state)
{
	(void)state;
	char k1[256], k2[256];
	assert_int_equal(gv_domain_key("micros0ft", 9, k1, sizeof(k1)), 9);
	assert_string_equal(k1, "microsoft");
	assert_true(gv_domain_key("vvikipedia", 10, k1, sizeof(k1)) > 0);
	assert_string_equal(k1, "wikipedia");
	srand(7);
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
	for (int i = 0; i < 2000; i++) {
		char s[24];
		int n = 1 + rand() % 20;
		for (int j = 0; j < n; j++)
			s[j] = alpha[rand() % (int)(sizeof(alpha) - 1)];
		/* a trailing non-ASCII mark forces the ICU path; it is dropped */
		memcpy(s + n, "\xcc\x81", 2);
		int a = gv_domain_key(s, (size_t)n, k1, sizeof(k1));
		int b = gv_domain_key(s, (size_t)n + 2, k2, sizeof(k2));
		assert_true(a > 0);
		if (a != b || memcmp(k1, k2, (size_t)a) != 0)
			fail_msg("key mismatch for %.*s: %s vs %s", n, s, k1, k2);
	}
	assert_int_equal(gv_domain_key("\xff", 1, k1, sizeof(k1)), -1);
	assert_int_equal(gv_domain_key("paypal", 6, k1, 3), -1);
}

/* Reference: full OSA table. */
static unsigned osa_ref(const char *a, size_t n, const char *b, size_t m)
{
	unsigned d[24][24];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			unsigned v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[n][m];
}

/* The banded, early-exit distance equals the reference (capped). */
static void test_osa_banded(void **state)
{
	(void)state;
	srand(11);
	for (int t = 0; t < 100000; t++) {
		char a[20], b[20];
		size_t n = (size_t)(rand() % 13), m = n + (size_t)(rand() % 5);
		m = m >= 2 ? m - 2 : 0;
		for (size_t i = 0; i < n; i++)
			a[i] = "abc"[rand() % 3];
		for (size_t i = 0; i < m; i++)
			b[i] = "abc"[rand() % 3];
		unsigned max = (unsigned)(rand() % 3), r = osa_ref(a, n, b, m);
		unsigned want = r > max ? max + 1 : r;
		unsigned got = gv_osa_distance(a, n, b, m, max);
		if (got != want)
			fail_msg("osa(%.*s, %.*s, max %u) = %u, want %u", (int)n, a,
				 (int)m, b, max, got, want);
	}
}

static const char *const mt_names[] = {
	"paypa1.com", "example.com", "login.paypal.com.evil.ru", "xn--pypal-4ve.com",
	"micros0ft-support.com", "myehterwaltet.com", "pay.pal.com", "bad..name",
	"c00cl.lu", "wikipedia.org",
};

static void *mt_worker(void *arg)
{
	int *rc = arg;
	for (int round = 0; round < 2000; round++)
		for (size_t i = 0; i < GV_ARRAY_LEN(mt_names); i++) {
			struct gv_brand_match m;
			int r = gv_brand_index_match(idx, mt_names[i], strlen(mt_names[i]), &m);
			if (r != rc[i])
				rc[GV_ARRAY_LEN(mt_names)] = 1;
		}
	return NULL;
}

/* Many threads on one built index give the single-threaded answers. */
static void test_threads(void **state)
{
	(void)state;
	int want[GV_ARRAY_LEN(mt_names) + 1];
	for (size_t i = 0; i < GV_ARRAY_LEN(mt_names); i++) {
		struct gv_brand_match m;
		want[i] = gv_brand_index_match(idx, mt_names[i], strlen(mt_names[i]), &m);
	}
	pthread_t th[4];
	int rcs[4][GV_ARRAY_LEN(mt_names) + 1];
	for (int t = 0; t < 4; t++) {
		memcpy(rcs[t], want, sizeof(want));
		rcs[t][GV_ARRAY_LEN(mt_names)] = 0;
		assert_int_equal(pthread_create(&th[t], NULL, mt_worker, rcs[t]), 0);
	}
	for (int t = 0; t < 4; t++) {
		pthread_join(th[t], NULL);
		assert_int_equal(rcs[t][GV_ARRAY_LEN(mt_names)], 0);
	}
}

static void test_permute(void **state)
{
	(void)state;
	struct gv_pool *pool = gv_pool_new(65536);
	struct gv_permutation *list;
	size_t n;
	const char *error;
	assert_int_equal(gv_domain_permute("paypal.com", 10, NULL, NULL, pool, &list, &n, &error), 1);
	assert_true(n > 500);
	bool seen[GV_TECH_COUNT] = { false };
	for (size_t i = 0; i < n; i++) {
		seen[list[i].technique] = true;
		assert_string_not_equal(list[i].domain, "paypal.com");
		/* every permutation is a lookalike the index reports */
		struct gv_brand_match m;
		if (list[i].technique != GV_TECH_DICTIONARY &&
		    gv_brand_index_match(idx, list[i].domain, strlen(list[i].domain), &m) != 1 &&
		    list[i].technique != GV_TECH_HOMOGLYPH)
			fail_msg("permutation %s (%s) not matched", list[i].domain,
				 gv_domain_technique_name(list[i].technique));
	}
	static const enum gv_domain_technique want[] = {
		GV_TECH_ADDITION, GV_TECH_BITSQUATTING, GV_TECH_HOMOGLYPH,
		GV_TECH_IDN_HOMOGLYPH, GV_TECH_HYPHENATION, GV_TECH_INSERTION,
		GV_TECH_OMISSION, GV_TECH_REPETITION, GV_TECH_REPLACEMENT,
		GV_TECH_SUBDOMAIN, GV_TECH_TRANSPOSITION, GV_TECH_VOWEL_SWAP,
		GV_TECH_DICTIONARY, GV_TECH_TLD_SWAP, GV_TECH_PLURAL, GV_TECH_VARIOUS,
	};
	for (size_t i = 0; i < GV_ARRAY_LEN(want); i++)
		if (!seen[want[i]])
			fail_msg("no %s permutation", gv_domain_technique_name(want[i]));
	/* limit */
	struct gv_domains_limits lim = { .max_permutations = 10 };
	assert_int_equal(gv_domain_permute("paypal.com", 10, NULL, &lim, pool, &list, &n, &error), 0);
	assert_int_equal(n, 10);
	assert_int_equal(gv_domain_permute("co.uk", 5, NULL, NULL, pool, &list, &n, &error), -1);
	gv_pool_free(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_typo_techniques),
		cmocka_unit_test(test_homoglyphs),
		cmocka_unit_test(test_not_reported),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_key_fast_path),
		cmocka_unit_test(test_osa_banded),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_permute),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
