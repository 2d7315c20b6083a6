/*
 * libFuzzer target for the domain normalizer and the brand index: the
 * input is one name (any bytes). It goes through gv_domain_normalize
 * (syntax, IDNA/punycode via libidn2, public suffix via libpsl), the
 * confusable key (ICU) and gv_brand_index_match against a few brands, and
 * the result must be consistent: a normalized name is ASCII, lowercase and
 * no longer than GV_DOMAIN_MAX, its registrable part is a suffix of it.
 */
#include "domains/domains.h"

#include <stdlib.h>
#include <string.h>

static struct gv_brand_index *idx;

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *error;
	if (idx == NULL) {
		static const char *const brands[] = {
			"paypal.com", "microsoft.com", "myetherwallet.com",
			"xn--80ak6aa92e.com", "circl.lu", "ing.com", "usbank.com",
			"novaterra.com", /* truncations of 5 letters and more */
		};
		idx = gv_brand_index_new(NULL);
		for (size_t i = 0; i < sizeof(brands) / sizeof(brands[0]); i++)
			if (gv_brand_index_add(idx, brands[i], &error) < 0)
				abort();
		gv_brand_index_allow(idx, "paypal-community.com", &error);
		gv_brand_index_build(idx);
	}
	struct gv_domain_name n;
	if (gv_domain_normalize((const char *)data, size, NULL, &n, &error) > 0) {
		if (n.ascii_len > GV_DOMAIN_MAX || strlen(n.ascii) != n.ascii_len ||
		    n.registrable_off > n.ascii_len || n.suffix_off > n.ascii_len ||
		    strlen(n.unicode) != n.unicode_len)
			abort();
		for (size_t i = 0; i < n.ascii_len; i++)
			if ((unsigned char)n.ascii[i] >= 0x80 ||
			    (n.ascii[i] >= 'A' && n.ascii[i] <= 'Z'))
				abort();
		char key[64];
		(void)gv_domain_key(n.unicode, n.unicode_len, key, sizeof(key));
	}
	char key[2048];
	(void)gv_domain_key((const char *)data, size, key, sizeof(key));
	struct gv_brand_match m;
	int rc = gv_brand_index_match(idx, (const char *)data, size, &m);
	if (rc > 0 && (m.score == 0 || m.score > 100 || m.brand == NULL))
		abort();
	return 0;
}
