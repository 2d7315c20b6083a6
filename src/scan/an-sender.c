/*
 * Sender analyzer: who the message claims to be from against who sent it.
 * From vs Reply-To vs Return-Path vs envelope; display names that carry
 * another address, a brand the sending domain does not own, a protected
 * person's name, or look-alike letters; lookalike sending domains (through
 * the domains module's brand index, when wired in).
 */
#include <string.h>

#include "scan/scan-private.h"

static const char *reg(struct scan_ctx *ctx, const char *domain)
{
	return (domain && *domain) ? gv_mail_registrable(ctx->pool, domain) : "";
}

static bool owns(const struct scan_brand *b, const char *registrable)
{
	for (size_t i = 0; i < b->n_domains; i++) {
		const char *d = b->domains[i];
		size_t dl = strlen(d), rl = strlen(registrable);
		if (strcmp(d, registrable) == 0)
			return true;
		/* "amazon.*" style: any registrable domain whose first label
		 * is the brand's */
		if (dl > 2 && strcmp(d + dl - 2, ".*") == 0 && rl > dl - 2 &&
		    strncmp(d, registrable, dl - 1) == 0)
			return true;
	}
	return false;
}

static void display_checks(struct scan_ctx *ctx, const struct gv_mail_addr *f,
			   const char *from_reg)
{
	const struct gv_scan_engine *e = ctx->engine;
	size_t folded, letters;
	const char *dn = scan_fold(ctx->pool, f->display, strlen(f->display),
				   &folded, &letters);
	if (folded > 0 && letters > 0)
		scan_add(ctx, "sender", "sender.confusable_name", 30, "",
			 "display name uses look-alike characters: %.80s",
			 f->display);
	/* an address or domain in the display name that is not the sender's */
	struct gv_mail_url *urls = NULL;
	size_t n = 0, cap = 0;
	struct gv_url_limits lim = { .max_urls = 4 };
	const char *at = strchr(dn, '@');
	gv_url_extract(ctx->pool, at ? at + 1 : dn, strlen(at ? at + 1 : dn),
		       false, "", &lim, &urls, &n, &cap, NULL);
	for (size_t i = 0; i < n; i++)
		if (!(urls[i].flags & GV_URL_F_BAD) &&
		    strcmp(urls[i].registrable, from_reg) != 0) {
			scan_add(ctx, "sender", "sender.name_has_other_domain", 30,
				 "", "display name shows %s, sent from %s",
				 urls[i].registrable, from_reg);
			break;
		}
	for (size_t i = 0; i < e->n_brands; i++) {
		const struct scan_brand *b = &e->brands[i];
		if (scan_word_in(dn, strlen(dn), b->keyword) && !owns(b, from_reg)) {
			scan_add(ctx, "sender", "sender.brand_impersonation", 40, "",
				 "display name says %s, sent from %s", b->keyword,
				 from_reg);
			break;
		}
	}
	const struct gv_scan_config *cfg = e->cfg;
	for (size_t i = 0; i < cfg->n_people; i++) {
		const struct scan_person *p = &cfg->people[i];
		if (strcmp(dn, p->name) != 0 && !scan_word_in(dn, strlen(dn), p->name))
			continue;
		bool real = false;
		for (size_t j = 0; j < p->n_addresses && !real; j++)
			real = strcasecmp(p->addresses[j], f->addr) == 0;
		if (!real)
			scan_add(ctx, "sender", "sender.person_impersonation", 60, "",
				 "display name of protected person %s from %s",
				 p->name, f->addr);
	}
}

static void subject_checks(struct scan_ctx *ctx)
{
	const struct gv_mail_message *m = ctx->msg;
	size_t folded, letters;
	const char *s = scan_fold(ctx->pool, m->subject, strlen(m->subject),
				  &folded, &letters);
	if (folded > 0 && letters > 0)
		scan_add(ctx, "sender", "subject.confusable", 25, "",
			 "subject uses look-alike characters");
	/* the recipient's own address or name in the subject: mass-produced
	 * "personalisation" that legitimate senders rarely do */
	for (size_t i = 0; i < m->n_to && i < 8; i++) {
		const char *addr = m->to[i].addr;
		const char *at = strchr(addr, '@');
		size_t ll = at ? (size_t)(at - addr) : 0;
		if (ll >= 4 && gv_memcasemem(s, strlen(s), addr, ll) != NULL) {
			scan_add(ctx, "sender", "subject.has_recipient", 20, "",
				 "subject contains the recipient's address");
			break;
		}
	}
}

void scan_an_sender(struct scan_ctx *ctx)
{
	const struct gv_mail_message *m = ctx->msg;
	const struct gv_scan_engine *e = ctx->engine;
	subject_checks(ctx);
	if (m->n_from == 0) {
		if (m->n_headers > 0)
			scan_add(ctx, "sender", "sender.no_from", 10, "",
				 "no usable From address");
		return;
	}
	const struct gv_mail_addr *f = &m->from[0];
	const char *from_reg = reg(ctx, f->domain);
	display_checks(ctx, f, from_reg);
	if (m->reply_to && *m->reply_to->domain) {
		const char *rt = reg(ctx, m->reply_to->domain);
		if (strcmp(rt, from_reg) != 0) {
			bool free_rt = scan_domset_has(&e->freemail, rt);
			bool free_from = scan_domset_has(&e->freemail, from_reg);
			if (free_rt && !free_from)
				scan_add(ctx, "sender", "sender.reply_to_freemail", 25,
					 "", "replies go to free mail %s, not %s",
					 rt, from_reg);
			else
				scan_add(ctx, "sender", "sender.reply_to_differs", 8,
					 "", "Reply-To %s differs from From %s",
					 rt, from_reg);
		}
	}
	const char *env_from = ctx->env && ctx->env->mail_from
				       ? strrchr(ctx->env->mail_from, '@') : NULL;
	if (env_from && strcmp(reg(ctx, env_from + 1), from_reg) != 0)
		scan_add(ctx, "sender", "sender.envelope_differs", 3, "",
			 "envelope sender domain %s differs from %s",
			 env_from + 1, from_reg);
	if (e->lookalike.match) {
		const char *brand, *tech;
		int score;
		if (e->lookalike.match(e->lookalike.ctx, ctx->pool, from_reg,
				       &brand, &tech, &score) == 1)
			scan_add(ctx, "sender", "sender.lookalike_domain",
				 score > 0 ? score : 50, "",
				 "sender domain %s imitates %s (%s)", from_reg,
				 brand, tech);
	}
}
