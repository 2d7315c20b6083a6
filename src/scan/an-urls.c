/*
 * URL analyzer: links to raw or obfuscated IPs, userinfo tricks, percent-
 * encoded hosts, shorteners, free hosting, dynamic DNS, abused TLDs, IDN,
 * odd ports, links to executables, and anchor text that names one domain
 * while the link goes to another. Each rule counts once per message (the
 * first URL is the evidence) so a newsletter with 80 links is not 80 times
 * as suspicious.
 */
#include <ctype.h>
#include <string.h>

#include "scan/scan-private.h"

struct once {
	const char *rules[32];
	size_t n;
};

static bool first(struct once *o, const char *rule)
{
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->rules[i], rule) == 0)
			return false;
	if (o->n < GV_ARRAY_LEN(o->rules))
		o->rules[o->n++] = rule;
	return true;
}

static void hit(struct scan_ctx *ctx, struct once *o, const char *rule,
		int score, const struct gv_mail_url *u, const char *why)
{
	if (first(o, rule))
		scan_add(ctx, "url", rule, score, u->part, "%s: %.200s", why,
			 u->url);
}

static bool is_link(const struct gv_mail_url *u)
{
	return u->source == GV_URL_HREF || u->source == GV_URL_FORM ||
	       u->source == GV_URL_META || u->source == GV_URL_TEXT;
}

static const char *tld_of(const char *host)
{
	const char *d = strrchr(host, '.');
	return d ? d + 1 : host;
}

/* Registrable domain named by anchor text, or NULL if it names none. */
static const char *anchor_domain(struct scan_ctx *ctx, const char *anchor)
{
	struct gv_mail_url *urls = NULL;
	size_t n = 0, cap = 0;
	struct gv_url_limits lim = { .max_urls = 1 };
	gv_url_extract(ctx->pool, anchor, strlen(anchor), false, "", &lim,
		       &urls, &n, &cap, NULL);
	if (n == 0 || (urls[0].flags & GV_URL_F_BAD))
		return NULL;
	return urls[0].registrable;
}

static bool executable_path(const char *url)
{
	static const char *const ext[] = { ".exe", ".scr", ".js", ".vbs",
		".hta", ".jar", ".msi", ".bat", ".cmd", ".ps1", ".iso",
		".img", ".lnk", ".apk", ".zip", ".rar", ".7z" };
	const char *path = strchr(strstr(url, "://") + 3, '/');
	if (path == NULL)
		return false;
	size_t pl = strcspn(path, "?#");
	for (size_t i = 0; i < GV_ARRAY_LEN(ext); i++) {
		size_t el = strlen(ext[i]);
		if (pl > el && gv_mem_has_prefix_ci(path + pl - el, el, ext[i]))
			return true;
	}
	return false;
}

static void one_url(struct scan_ctx *ctx, struct once *o,
		    const struct gv_mail_url *u)
{
	const struct gv_scan_engine *e = ctx->engine;
	bool link = is_link(u);
	if (u->flags & GV_URL_F_DATA) {
		if (u->source == GV_URL_HREF)
			hit(ctx, o, "url.data_link", 15, u, "link to a data: URI");
		return;
	}
	if (u->flags & GV_URL_F_IP_OBFUSC)
		hit(ctx, o, "url.ip_obfuscated", 45, u, "IP written in an obfuscated form");
	else if ((u->flags & GV_URL_F_IP) && link)
		hit(ctx, o, "url.ip_host", 25, u, "link to a raw IP address");
	if (u->flags & GV_URL_F_USERINFO)
		hit(ctx, o, strchr(u->userinfo ? u->userinfo : "", '.')
				    ? "url.userinfo_domain" : "url.userinfo",
		    strchr(u->userinfo ? u->userinfo : "", '.') ? 45 : 20, u,
		    "user@host trick hides the real host");
	if (u->flags & GV_URL_F_PCT_HOST)
		hit(ctx, o, "url.encoded_host", 30, u, "percent-encoded host name");
	if (u->flags & GV_URL_F_IDN)
		hit(ctx, o, "url.idn", 10, u, "internationalized host name");
	if ((u->flags & GV_URL_F_NONSTD_PORT) && link)
		hit(ctx, o, "url.port", 10, u, "link to an unusual port");
	if (u->source == GV_URL_SRC && !(u->flags & GV_URL_F_IP) &&
	    scan_domset_has(&ctx->engine->image_hosts, u->host))
		hit(ctx, o, "url.image_host", 15, u, "pictures served from a free image host");
	if (!link || (u->flags & (GV_URL_F_IP | GV_URL_F_BAD)))
		return;
	if (scan_domset_has(&e->shorteners, u->host))
		hit(ctx, o, "url.shortener", 12, u, "URL shortener hides the target");
	if (scan_domset_has(&e->free_hosting, u->host))
		hit(ctx, o, "url.free_hosting", 20, u, "link to free web hosting");
	if (scan_domset_has(&e->dyndns, u->host))
		hit(ctx, o, "url.dyndns", 20, u, "link to a dynamic DNS name");
	if (scan_domset_has(&e->abused_tlds, tld_of(u->host)))
		hit(ctx, o, "url.abused_tld", 8, u, "top-level domain favoured by phishers");
	if (executable_path(u->url))
		hit(ctx, o, "url.file_link", 20, u, "link straight to a program or archive");
	if (u->source == GV_URL_HREF && u->anchor != NULL) {
		const char *ad = anchor_domain(ctx, u->anchor);
		if (ad != NULL && strcmp(ad, u->registrable) != 0 &&
		    !scan_domset_has(&e->shorteners, u->host))
			hit(ctx, o, "phish.anchor_mismatch", 35, u,
			    gv_psprintf(ctx->pool, "text shows %s, link goes to %s",
					ad, u->registrable));
	}
	if (ctx->engine->lookalike.match != NULL) {
		const char *brand, *tech;
		int score;
		if (ctx->engine->lookalike.match(ctx->engine->lookalike.ctx,
						 ctx->pool, u->registrable,
						 &brand, &tech, &score) == 1) {
			int w = scan_lookalike_weight(score, tech);
			hit(ctx, o, "url.lookalike", w, u,
			    gv_psprintf(ctx->pool, "imitates %s (%s)", brand, tech));
			if (w >= 40) /* weak matches are hints, not lookalikes */
				scan_note_lookalike(ctx, u->registrable, brand,
						    tech, score);
		}
	}
}

void scan_an_urls(struct scan_ctx *ctx)
{
	struct once o = { .n = 0 };
	for (size_t i = 0; i < ctx->msg->n_urls && !scan_time_up(ctx); i++)
		one_url(ctx, &o, &ctx->msg->urls[i]);
}
