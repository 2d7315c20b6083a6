/*
 * libFuzzer target for saved RDAP answers (src/domains/rdap.c): the input
 * is one answer (any bytes). Both readers run on it, under a small size
 * limit as well as the default, and what they return must be usable: the
 * abuse address and registrar are printable single lines, the registrant's
 * organisation and e-mail domain are lower case and non-empty, and the
 * ownership test is symmetric in what it reads.
 */
#include "domains/domains.h"
#include "util/util.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void check_text(const char *s)
{
	if (s == NULL)
		return;
	size_t n = strlen(s);
	if (n == 0 || n > 300)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

static void check_lower(const char *s)
{
	check_text(s);
	for (size_t i = 0; s != NULL && s[i] != '\0'; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *json = (const char *)data, *error;
	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_domains_limits small = { .max_rdap_len = 512 };
	const struct gv_domains_limits *lims[2] = { NULL, &small };
	for (int l = 0; l < 2; l++) {
		struct gv_abuse_contact c;
		int rc = gv_abuse_contact_from_rdap(json, size, lims[l], pool, &c, &error);
		if (rc > 0) {
			check_text(c.email);
			check_text(c.registrar);
			if (strchr(c.email, '@') == NULL)
				abort();
		}
		struct gv_rdap_registrant r;
		rc = gv_rdap_registrant(json, size, lims[l], pool, &r, &error);
		if (rc < 0 && error == NULL)
			abort();
		if (rc >= 0) {
			check_lower(r.org);
			check_lower(r.email_domain);
			check_lower(r.registrar);
			if ((rc == 1) != (r.org != NULL || r.email_domain != NULL))
				abort();
			/* a registrant owns what it registered iff it names a
			 * registrar and an organisation or the e-mail domain */
			bool self = gv_rdap_brand_owned(&r, &r, r.email_domain);
			if (self != (r.registrar != NULL && rc == 1))
				abort();
		}
		if (l == 1 && size > small.max_rdap_len && rc != -1)
			abort();
	}
	gv_pool_free(&pool);
	return 0;
}
