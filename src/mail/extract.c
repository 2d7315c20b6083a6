/*
 * URL extraction from text and HTML. HTML: href (with its anchor text), src,
 * form action, meta refresh, CSS url(); then the visible text is searched
 * like plain text: scheme URLs, www. names and bare domains whose last label
 * is a public suffix. Bounded by gv_url_limits.
 */
#include <ctype.h>
#include <string.h>

#include "mail/mail-private.h"

struct ex {
	struct gv_pool *pool;
	const char *part;
	struct gv_url_limits lim;
	struct gv_mail_url **urls;
	size_t *n, *cap;
	size_t added;
	bool full;
};

static void apply_defaults(struct gv_url_limits *l)
{
	if (l->max_urls == 0)
		l->max_urls = 2000;
	if (l->max_url_len == 0)
		l->max_url_len = 8192;
	if (l->max_input == 0)
		l->max_input = 4u << 20;
}

static void add(struct ex *x, const char *s, size_t len,
		enum gv_url_source src, const char *anchor)
{
	if (x->full)
		return;
	if (*x->n >= x->lim.max_urls) {
		x->full = true;
		return;
	}
	if (len > x->lim.max_url_len)
		len = x->lim.max_url_len;
	struct gv_mail_url u;
	if (src == GV_URL_BARE) {
		s = gv_psprintf(x->pool, "http://%.*s", (int)len, s);
		len += 7;
	}
	if (gv_url_parse(x->pool, s, len, &u) != 1)
		return;
	/* identical URL with identical anchor already seen: skip */
	for (size_t i = 0; i < *x->n; i++) {
		struct gv_mail_url *o = &(*x->urls)[i];
		if (strcmp(o->url, u.url) == 0 &&
		    ((o->anchor == NULL && anchor == NULL) ||
		     (o->anchor && anchor && strcmp(o->anchor, anchor) == 0)))
			return;
		if (i > 256)
			break; /* keep dedup O(n) bounded */
	}
	*x->urls = gv_mail_grow(x->pool, *x->urls, sizeof(**x->urls), x->cap,
				*x->n + 1);
	u.source = src;
	u.anchor = anchor;
	u.part = x->part;
	(*x->urls)[(*x->n)++] = u;
	x->added++;
}

static bool url_char(unsigned char c)
{
	return c > 0x20 && c != '<' && c != '>' && c != '"' && c != '\'' &&
	       c != '`' && c != '{' && c != '}' && c != '|' && c != '^' &&
	       c != 0x7f;
}

static size_t url_span(const char *p, const char *end)
{
	const char *q = p;
	while (q < end && url_char((unsigned char)*q))
		q++;
	/* trailing punctuation belongs to the sentence */
	while (q > p && strchr(".,;:!?)]", q[-1]))
		q--;
	return (size_t)(q - p);
}

static bool label_char(unsigned char c)
{
	return isalnum(c) || c == '-' || c >= 0x80;
}

/* Bare domain around the dot at p: [label.]+tld, tld a public suffix. */
static const char *bare_domain(const char *start, const char *p,
			       const char *end, size_t *len_r)
{
	const char *b = p;
	while (b > start && (label_char((unsigned char)b[-1]) || b[-1] == '.'))
		b--;
	if (b > start && (b[-1] == '@' || b[-1] == '/' || b[-1] == ':' ||
			  b[-1] == '.' || b[-1] == '_' || b[-1] == '='))
		return NULL; /* an address, a path or part of a URL */
	const char *e = p + 1;
	while (e < end && (label_char((unsigned char)*e) || *e == '.'))
		e++;
	while (e > p && e[-1] == '.')
		e--;
	const char *last = e;
	while (last > b && last[-1] != '.')
		last--;
	size_t tl = (size_t)(e - last);
	if (last <= b || tl < 2 || tl > 24)
		return NULL;
	char tld[32];
	for (size_t i = 0; i < tl; i++) {
		if (!isalpha((unsigned char)last[i]))
			return NULL;
		tld[i] = (char)tolower((unsigned char)last[i]);
	}
	tld[tl] = '\0';
	if (!mail_is_public_suffix(tld) || *b == '.' || *b == '-')
		return NULL;
	/* take a following path, if any */
	if (e < end && *e == '/')
		e += url_span(e, end);
	*len_r = (size_t)(e - b);
	return b;
}

static void from_text(struct ex *x, const char *t, size_t len)
{
	const char *end = t + len;
	const char *p = t;
	while (p < end && !x->full) {
		const char *next = NULL;
		size_t l = 0;
		/* the earliest of: scheme URL, www., or a dot of a bare domain */
		for (const char *q = p; q < end; q++) {
			char c = (char)tolower((unsigned char)*q);
			if ((c == 'h' || c == 'f') && q + 6 < end &&
			    (gv_mem_has_prefix_ci(q, (size_t)(end - q), "http://") ||
			     gv_mem_has_prefix_ci(q, (size_t)(end - q), "https://") ||
			     gv_mem_has_prefix_ci(q, (size_t)(end - q), "hxxp://") ||
			     gv_mem_has_prefix_ci(q, (size_t)(end - q), "hxxps://") ||
			     gv_mem_has_prefix_ci(q, (size_t)(end - q), "ftp://"))) {
				next = q;
				l = url_span(q, end);
				add(x, next, l, GV_URL_TEXT, NULL);
				break;
			}
			if (c == 'w' && gv_mem_has_prefix_ci(q, (size_t)(end - q), "www.") &&
			    (q == t || !label_char((unsigned char)q[-1]))) {
				next = q;
				l = url_span(q, end);
				add(x, next, l, GV_URL_TEXT, NULL);
				break;
			}
			if (c == '.' && q > t && label_char((unsigned char)q[-1]) &&
			    q + 1 < end && isalpha((unsigned char)q[1])) {
				const char *b = bare_domain(t, q, end, &l);
				if (b != NULL) {
					next = b;
					add(x, b, l, GV_URL_BARE, NULL);
					break;
				}
			}
		}
		if (next == NULL)
			break;
		p = next + (l ? l : 1);
	}
}

static const char *anchor_text(struct ex *x, const char *p, const char *end)
{
	const char *close = gv_memcasemem(p, (size_t)(end - p), "</a", 3);
	size_t len = close ? (size_t)(close - p) : 0;
	if (len == 0 || len > 4096)
		return NULL;
	size_t tl;
	const char *t = gv_html_to_text(x->pool, p, len, &tl);
	while (tl > 0 && isspace((unsigned char)*t)) {
		t++;
		tl--;
	}
	while (tl > 0 && isspace((unsigned char)t[tl - 1]))
		tl--;
	if (tl == 0)
		return NULL;
	return gv_pstrndup(x->pool, t, tl > 256 ? 256 : tl);
}

static void css_urls(struct ex *x, const char *s, size_t len)
{
	const char *end = s + len;
	for (const char *p = s; p < end;) {
		const char *u = gv_memcasemem(p, (size_t)(end - p), "url(", 4);
		if (u == NULL)
			break;
		u += 4;
		const char *c = memchr(u, ')', (size_t)(end - u));
		if (c == NULL)
			break;
		add(x, u, (size_t)(c - u), GV_URL_CSS, NULL);
		p = c + 1;
	}
}

static void meta_refresh(struct ex *x, const struct gv_html_tag *t)
{
	const char *v;
	size_t vl;
	if (gv_html_attr(t, "http-equiv", &v, &vl) != 1 || vl != 7 ||
	    !gv_mem_has_prefix_ci(v, vl, "refresh") ||
	    gv_html_attr(t, "content", &v, &vl) != 1)
		return;
	const char *u = gv_memcasemem(v, vl, "url=", 4);
	if (u != NULL)
		add(x, u + 4, vl - (size_t)(u + 4 - v), GV_URL_META, NULL);
}

static void from_html(struct ex *x, const char *h, size_t len)
{
	const char *p = h, *end = h + len;
	struct gv_html_tag t;
	const char *v;
	size_t vl;
	while (!x->full && gv_html_next_tag(&p, end, &t) == 1) {
		if (t.closing)
			continue;
		if ((gv_html_tag_is(&t, "a") || gv_html_tag_is(&t, "area")) &&
		    gv_html_attr(&t, "href", &v, &vl) == 1)
			add(x, v, vl, GV_URL_HREF, anchor_text(x, p, end));
		else if (gv_html_tag_is(&t, "form") &&
			 gv_html_attr(&t, "action", &v, &vl) == 1)
			add(x, v, vl, GV_URL_FORM, NULL);
		else if (gv_html_tag_is(&t, "meta"))
			meta_refresh(x, &t);
		else if (gv_html_attr(&t, "src", &v, &vl) == 1)
			add(x, v, vl, GV_URL_SRC, NULL);
		if (gv_html_attr(&t, "style", &v, &vl) == 1)
			css_urls(x, v, vl);
		if (gv_html_tag_is(&t, "style")) {
			const char *c = gv_memcasemem(p, (size_t)(end - p),
						      "</style", 7);
			css_urls(x, p, (size_t)((c ? c : end) - p));
		}
	}
	if (!x->full) {
		size_t vlen;
		const char *vis = gv_html_to_text(x->pool, h, len, &vlen);
		from_text(x, vis, vlen);
	}
}

size_t gv_url_extract(struct gv_pool *pool, const char *text, size_t len,
		      bool is_html, const char *part,
		      const struct gv_url_limits *limits,
		      struct gv_mail_url **urls, size_t *n, size_t *cap,
		      bool *truncated_r)
{
	struct ex x = { .pool = pool, .part = part ? part : "", .urls = urls,
			.n = n, .cap = cap };
	if (limits)
		x.lim = *limits;
	apply_defaults(&x.lim);
	bool cut = len > x.lim.max_input;
	if (cut)
		len = x.lim.max_input;
	if (is_html)
		from_html(&x, text, len);
	else
		from_text(&x, text, len);
	if (truncated_r)
		*truncated_r = x.full || cut;
	return x.added;
}
