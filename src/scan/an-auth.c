/*
 * Authentication analyzer: reads SPF/DKIM/DMARC verdicts that receiving
 * servers recorded (Authentication-Results, RFC 8601; Received-SPF,
 * RFC 7208) and whether anything authenticates the From domain.
 *
 * Only negative evidence counts. A forged "pass" gains an attacker nothing
 * here (no finding lowers a score), and forging a "fail" only hurts the
 * forger, so every such header can be read without a trusted-host list.
 * Live SPF/DKIM/DMARC checking needs DNS and belongs to the milter path.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "scan/scan-private.h"

struct auth {
	bool spf_fail, spf_soft, dkim_fail, dkim_pass, dmarc_fail, comp_fail;
	bool spf_pass;
	char mailfrom[256];
	char hfrom[256];
};

/* Copies the value of "key=" in seg[0..len) (up to ; space or paren). */
static bool prop(const char *seg, size_t len, const char *key, char *out,
		 size_t outlen)
{
	const char *p = gv_memcasemem(seg, len, key, strlen(key));
	if (p == NULL)
		return false;
	p += strlen(key);
	size_t n = 0;
	while (p < seg + len && n + 1 < outlen && !isspace((unsigned char)*p) &&
	       *p != ';' && *p != ')' && *p != '(')
		out[n++] = (char)tolower((unsigned char)*p++);
	out[n] = '\0';
	return n > 0;
}

static bool result_is(const char *seg, size_t len, const char *method,
		      const char *result)
{
	char v[32];
	char key[32];
	snprintf(key, sizeof(key), "%s=", method);
	/* the method must start a clause: at the start or after ';'/space */
	const char *p = seg;
	while ((p = gv_memcasemem(p, len - (size_t)(p - seg), key, strlen(key)))) {
		if (p == seg || p[-1] == ';' || isspace((unsigned char)p[-1])) {
			size_t n = 0;
			const char *q = p + strlen(key);
			while (q < seg + len && n + 1 < sizeof(v) &&
			       isalpha((unsigned char)*q))
				v[n++] = (char)tolower((unsigned char)*q++);
			v[n] = '\0';
			if (strcmp(v, result) == 0)
				return true;
		}
		p += strlen(key);
	}
	return false;
}

static void read_ar(struct auth *a, const char *v)
{
	size_t len = strlen(v);
	a->spf_fail |= result_is(v, len, "spf", "fail");
	a->spf_soft |= result_is(v, len, "spf", "softfail");
	a->spf_pass |= result_is(v, len, "spf", "pass");
	a->dkim_fail |= result_is(v, len, "dkim", "fail");
	a->dkim_pass |= result_is(v, len, "dkim", "pass");
	a->dmarc_fail |= result_is(v, len, "dmarc", "fail");
	a->comp_fail |= result_is(v, len, "compauth", "fail");
	if (!a->mailfrom[0])
		prop(v, len, "smtp.mailfrom=", a->mailfrom, sizeof(a->mailfrom));
	if (!a->hfrom[0])
		prop(v, len, "header.from=", a->hfrom, sizeof(a->hfrom));
}

void scan_an_auth(struct scan_ctx *ctx)
{
	const struct gv_mail_message *m = ctx->msg;
	struct auth a = { 0 };
	bool any = false;
	for (size_t i = 0; i < m->n_headers; i++) {
		const struct gv_mail_header *h = &m->headers[i];
		if (strcasecmp(h->name, "Authentication-Results") == 0 ||
		    strcasecmp(h->name, "ARC-Authentication-Results") == 0) {
			read_ar(&a, h->value);
			any = true;
		} else if (strcasecmp(h->name, "Received-SPF") == 0) {
			a.spf_fail |= gv_mem_has_prefix_ci(h->value, strlen(h->value), "fail");
			a.spf_soft |= gv_mem_has_prefix_ci(h->value, strlen(h->value), "softfail");
		}
	}
	if (a.dmarc_fail)
		scan_add(ctx, "auth", "auth.dmarc_fail", 40, "",
			 "DMARC failed for the From domain");
	if (a.comp_fail)
		scan_add(ctx, "auth", "auth.compauth_fail", 30, "",
			 "receiving server judged the sender spoofed (compauth=fail)");
	if (a.spf_fail)
		scan_add(ctx, "auth", "auth.spf_fail", 15, "", "SPF failed");
	else if (a.spf_soft)
		scan_add(ctx, "auth", "auth.spf_softfail", 8, "", "SPF soft-failed");
	if (a.dkim_fail && !a.dkim_pass)
		scan_add(ctx, "auth", "auth.dkim_fail", 8, "", "DKIM signature failed");
	/* Nothing ties the visible From domain to the sender: SPF was for
	 * another domain and no DKIM signature passed. */
	if (any && !a.dkim_pass && a.mailfrom[0] && m->n_from > 0 &&
	    *m->from[0].domain) {
		const char *at = strrchr(a.mailfrom, '@');
		const char *mf = gv_mail_registrable(ctx->pool, at ? at + 1 : a.mailfrom);
		const char *fr = gv_mail_registrable(ctx->pool, m->from[0].domain);
		if (strcmp(mf, fr) != 0)
			scan_add(ctx, "auth", "auth.unaligned", 20, "",
				 "From %s is not authenticated (SPF domain %s, no DKIM)",
				 fr, mf);
	}
}
