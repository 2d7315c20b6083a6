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

/* Display names padded with long digit or underscore runs (unique ids
 * that defeat duplicate detection) are machine-made. */
static bool garbage_name(const char *dn)
{
	size_t digits = 0, unders = 0;
	for (const char *c = dn; *c; c++) {
		digits = (*c >= '0' && *c <= '9') ? digits + 1 : 0;
		unders = (*c == '_' || *c == '.') ? unders + 1 : 0;
		if (digits >= 8 || unders >= 5)
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
	if (garbage_name(f->display))
		scan_add(ctx, "sender", "sender.garbage_name", 15, "",
			 "display name padded with machine-made ids");
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

/* A registrable label that no person or company would choose: long, with
 * digits inside letters, or long runs of consonants (machine-made names
 * registered in bulk for one campaign). */
static bool random_label(const char *reg)
{
	size_t len = strcspn(reg, ".");
	if (len < 10)
		return false;
	size_t digits = 0, run = 0, max_run = 0, switches = 0;
	for (size_t i = 0; i < len; i++) {
		char c = reg[i];
		bool d = c >= '0' && c <= '9';
		digits += d;
		if (i > 0 && d != (reg[i - 1] >= '0' && reg[i - 1] <= '9'))
			switches++;
		bool cons = !d && c != '-' && !strchr("aeiouy", c);
		run = cons ? run + 1 : 0;
		if (run > max_run)
			max_run = run;
	}
	return (digits > 0 && switches >= 3) || max_run >= 6;
}

static bool brand_owned_by(const struct gv_scan_engine *e, const char *kw,
			   const char *reg);

static void subject_checks(struct scan_ctx *ctx)
{
	const struct gv_mail_message *m = ctx->msg;
	/* "Re:"/"Fw:" with no reference to an earlier message: a fake
	 * conversation to borrow trust */
	const char *sj = m->subject;
	while (*sj == ' ')
		sj++;
	if ((gv_mem_has_prefix_ci(sj, strlen(sj), "re:") ||
	     gv_mem_has_prefix_ci(sj, strlen(sj), "fw:") ||
	     gv_mem_has_prefix_ci(sj, strlen(sj), "fwd:") ||
	     gv_mem_has_prefix_ci(sj, strlen(sj), "aw:") ||
	     gv_mem_has_prefix_ci(sj, strlen(sj), "wg:") ||
	     gv_mem_has_prefix_ci(sj, strlen(sj), "tr:")) &&
	    gv_mail_header(m, "In-Reply-To") == NULL &&
	    gv_mail_header(m, "References") == NULL &&
	    gv_mail_header(m, "Thread-Index") == NULL)
		scan_add(ctx, "sender", "subject.fake_reply", 12, "",
			 "reply or forward subject without any earlier message");
	const char *s = ctx->subject_folded;
	if (ctx->subject_folds > 0 && *s)
		scan_add(ctx, "sender", "subject.confusable", 25, "",
			 "subject uses look-alike characters");
	/* the recipient's own address or name in the subject: mass-produced
	 * "personalisation" that legitimate senders rarely do */
	for (size_t i = 0; i < m->n_to && i < 8; i++) {
		const char *addr = m->to[i].addr;
		const char *at = strchr(addr, '@');
		size_t ll = at ? (size_t)(at - addr) : 0;
		/* a mailing list's name in its subject tag is not this */
		bool list = gv_mail_header(m, "List-Id") != NULL ||
			    gv_mail_header(m, "List-Post") != NULL ||
			    gv_mail_header(m, "Mailing-List") != NULL;
		if (ll >= 4 && !list && gv_memcasemem(s, strlen(s), addr, ll) != NULL) {
			scan_add(ctx, "sender", "subject.has_recipient", 20, "",
				 "subject contains the recipient's address");
			break;
		}
	}
}

/* RFC 2606 / 6761 names: nobody receives mail there. */
static bool reserved_domain(const char *d)
{
	static const char *const names[] = { "example.com", "example.org",
		"example.net", "example", "test", "invalid", "localhost",
		"local" };
	size_t dl = strlen(d);
	for (size_t i = 0; i < GV_ARRAY_LEN(names); i++) {
		size_t nl = strlen(names[i]);
		if (dl >= nl && strcmp(d + dl - nl, names[i]) == 0 &&
		    (dl == nl || d[dl - nl - 1] == '.'))
			return true;
	}
	return false;
}

/* Bounces and auto-replies legitimately use the null sender. */
static bool auto_message(const struct gv_mail_message *m)
{
	const char *as = gv_mail_header(m, "Auto-Submitted");
	if (as && strncasecmp(as, "no", 2) != 0)
		return true;
	return m->n_parts > 0 &&
	       (strcmp(m->parts[0].content_type, "multipart/report") == 0 ||
		strcmp(m->parts[0].content_type, "message/delivery-status") == 0);
}

static bool brand_owned_by(const struct gv_scan_engine *e, const char *kw,
			   const char *reg)
{
	for (size_t i = 0; i < e->n_brands; i++)
		if (strcmp(e->brands[i].keyword, kw) == 0 && owns(&e->brands[i], reg))
			return true;
	return false;
}

/* The subject names a brand the sender does not own. */
static void subject_brand(struct scan_ctx *ctx, const char *from_reg)
{
	const struct gv_scan_engine *e = ctx->engine;
	const struct gv_mail_message *m = ctx->msg;
	const char *s = ctx->subject_folded;
	if (gv_mail_header(m, "List-Id") || gv_mail_header(m, "List-Post"))
		return; /* discussion lists talk about brands */
	for (size_t i = 0; i < e->n_brands; i++)
		if (scan_word_in(s, strlen(s), e->brands[i].keyword) &&
		    !brand_owned_by(e, e->brands[i].keyword, from_reg)) {
			scan_add(ctx, "sender", "subject.brand_mismatch", 15, "",
				 "subject names %s, sent from %s",
				 e->brands[i].keyword, from_reg);
			return;
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
	subject_brand(ctx, from_reg);
	for (size_t i = 0; i < m->n_to; i++)
		if (strcasecmp(m->to[i].addr, f->addr) == 0) {
			scan_add(ctx, "sender", "sender.from_is_recipient", 20, "",
				 "message claims to come from its own recipient");
			break;
		}
	const char *tld = strrchr(from_reg, '.');
	if (tld && scan_domset_has(&e->abused_tlds, tld + 1))
		scan_add(ctx, "sender", "sender.abused_tld", 10, "",
			 "sender domain under a TLD favoured by phishers: %s", from_reg);
	if (random_label(from_reg))
		scan_add(ctx, "sender", "sender.random_domain", 15, "",
			 "sender domain looks machine-made: %s", from_reg);
	if (scan_domset_has(&e->free_hosting, f->domain))
		scan_add(ctx, "sender", "sender.hosting_domain", 25, "",
			 "sent from a free-hosting or tenant default domain %s",
			 f->domain);
	if (m->reply_to && *m->reply_to->domain &&
	    reserved_domain(m->reply_to->domain))
		scan_add(ctx, "sender", "sender.reply_to_reserved", 15, "",
			 "replies go to a reserved domain %s", m->reply_to->domain);
	if (m->return_path == NULL && gv_mail_header(m, "Return-Path") != NULL &&
	    !auto_message(m))
		scan_add(ctx, "sender", "sender.null_return_path", 10, "",
			 "null envelope sender on a message that is not a bounce");
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
				       &brand, &tech, &score) == 1) {
			int w = scan_lookalike_weight(score, tech);
			scan_add(ctx, "sender", "sender.lookalike_domain", w,
				 "", "sender domain %s imitates %s (%s)",
				 from_reg, brand, tech);
			if (w >= 40) /* weak matches are hints, not lookalikes */
				scan_note_lookalike(ctx, from_reg, brand, tech,
						    score);
		}
	}
}
