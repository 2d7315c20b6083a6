/*
 * Text analyzer: what the visible text does rather than what it says.
 * Letters broken up by invisible characters or swapped for look-alikes, and
 * brands the text names while neither the sender nor any link belongs to
 * them (a "Coinbase" notice whose links all go somewhere else).
 */
#include <string.h>

#include "scan/scan-private.h"

static bool owns(const struct scan_brand *b, const char *reg)
{
	for (size_t i = 0; i < b->n_domains; i++) {
		const char *d = b->domains[i];
		size_t dl = strlen(d);
		if (strcmp(d, reg) == 0)
			return true;
		if (dl > 2 && strcmp(d + dl - 2, ".*") == 0 &&
		    strncmp(d, reg, dl - 1) == 0)
			return true;
	}
	return false;
}

static size_t count_word(const char *t, size_t len, const char *w)
{
	size_t n = 0, wl = strlen(w);
	for (const char *p = t; p < t + len;) {
		const char *f = gv_memcasemem(p, (size_t)(t + len - p), w, wl);
		if (f == NULL)
			break;
		bool l = f == t || !((f[-1] | 32) >= 'a' && (f[-1] | 32) <= 'z');
		bool r = f + wl >= t + len ||
			 !((f[wl] | 32) >= 'a' && (f[wl] | 32) <= 'z');
		n += l && r;
		p = f + wl;
	}
	return n;
}

static void brand_in_text(struct scan_ctx *ctx, const char *text, size_t len)
{
	const struct gv_scan_engine *e = ctx->engine;
	const struct gv_mail_message *m = ctx->msg;
	if (m->n_from == 0 || gv_mail_header(m, "List-Id") != NULL ||
	    gv_mail_header(m, "List-Post") != NULL)
		return;
	const char *from_reg = gv_mail_registrable(ctx->pool, m->from[0].domain);
	for (size_t i = 0; i < e->n_brands; i++) {
		const struct scan_brand *b = &e->brands[i];
		if (strlen(b->keyword) < 4 || count_word(text, len, b->keyword) < 2 ||
		    owns(b, from_reg))
			continue;
		bool linked = false;
		size_t links = 0;
		for (size_t k = 0; k < m->n_urls && !linked; k++) {
			const struct gv_mail_url *u = &m->urls[k];
			if (u->source != GV_URL_HREF && u->source != GV_URL_FORM)
				continue;
			links++;
			linked = owns(b, u->registrable);
		}
		if (!linked && links > 0) {
			scan_add(ctx, "text", "phish.brand_in_text", 25, "",
				 "text speaks as %s; sender %s and links are not %s's",
				 b->keyword, from_reg, b->keyword);
			return;
		}
	}
}

void scan_an_text(struct scan_ctx *ctx)
{
	if (ctx->body_text_len == 0)
		return;
	size_t folded = ctx->body_folds;
	const char *t = ctx->body_folded;
	if (folded >= 3)
		scan_add(ctx, "text", "text.obfuscated", folded >= 10 ? 30 : 20, "",
			 "%zu invisible or look-alike characters in the text", folded);
	brand_in_text(ctx, t, strlen(t));
}
