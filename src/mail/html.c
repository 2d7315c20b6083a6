/*
 * Minimal, tolerant HTML handling for analysis: a tag iterator, attribute
 * lookup, character-reference decoding and HTML-to-visible-text. Not a DOM:
 * phishing HTML is often broken on purpose, so everything works on
 * (pointer, end) and never fails, only yields less.
 */
#include <ctype.h>
#include <string.h>

#include "mail/mail-private.h"

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == ':';
}

static const char *skip_to(const char *p, const char *end, const char *lit)
{
	const char *f = memmem(p, (size_t)(end - p), lit, strlen(lit));
	return f ? f + strlen(lit) : end;
}

int gv_html_next_tag(const char **pos, const char *end,
		     struct gv_html_tag *tag)
{
	const char *p = *pos;
	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		if (lt == NULL || lt + 1 >= end)
			break;
		p = lt + 1;
		if (*p == '!' || *p == '?') {
			/* comment, doctype, CDATA, processing instruction:
			 * returned as a tag named "!" so callers skip it whole */
			bool comment = end - p >= 3 && memcmp(p, "!--", 3) == 0;
			tag->name = p;
			tag->name_len = 1;
			tag->closing = false;
			tag->attrs = p;
			tag->attrs_len = 0;
			tag->start = lt;
			*pos = comment ? skip_to(p + 3, end, "-->")
				       : skip_to(p, end, ">");
			return 1;
		}
		bool closing = *p == '/';
		if (closing)
			p++;
		if (p >= end || !isalpha((unsigned char)*p))
			continue;
		const char *name = p;
		while (p < end && name_char(*p))
			p++;
		tag->name = name;
		tag->name_len = (size_t)(p - name);
		tag->closing = closing;
		tag->start = lt;
		/* attributes run to the first '>' outside quotes */
		const char *a = p;
		char q = 0;
		while (p < end && (q || *p != '>')) {
			if (q && *p == q)
				q = 0;
			else if (!q && (*p == '"' || *p == '\'') &&
				 (p[-1] == '=' || isspace((unsigned char)p[-1])))
				q = *p;
			p++;
		}
		tag->attrs = a;
		tag->attrs_len = (size_t)(p - a);
		*pos = p < end ? p + 1 : end;
		return 1;
	}
	*pos = end;
	return 0;
}

bool gv_html_tag_is(const struct gv_html_tag *tag, const char *name)
{
	struct gv_str s = { tag->name, tag->name_len };
	return gv_str_eq_ci(s, name);
}

int gv_html_attr(const struct gv_html_tag *tag, const char *name,
		 const char **val_r, size_t *len_r)
{
	const char *p = tag->attrs, *end = tag->attrs + tag->attrs_len;
	size_t nl = strlen(name);
	while (p < end) {
		while (p < end && (isspace((unsigned char)*p) || *p == '/'))
			p++;
		const char *an = p;
		while (p < end && *p != '=' && !isspace((unsigned char)*p) &&
		       *p != '>')
			p++;
		size_t al = (size_t)(p - an);
		while (p < end && isspace((unsigned char)*p))
			p++;
		const char *v = NULL;
		size_t vl = 0;
		if (p < end && *p == '=') {
			p++;
			while (p < end && isspace((unsigned char)*p))
				p++;
			if (p < end && (*p == '"' || *p == '\'')) {
				char q = *p++;
				v = p;
				while (p < end && *p != q)
					p++;
				vl = (size_t)(p - v);
				if (p < end)
					p++;
			} else {
				v = p;
				while (p < end && !isspace((unsigned char)*p))
					p++;
				vl = (size_t)(p - v);
			}
		}
		if (al == nl && al > 0 && gv_mem_has_prefix_ci(an, al, name)) {
			*val_r = v ? v : "";
			*len_r = vl;
			return 1;
		}
		if (al == 0 && p < end)
			p++; /* stray character: move on */
	}
	return 0;
}

static size_t put_utf8(char *out, uint32_t cp)
{
	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static const struct {
	const char *name;
	uint32_t cp;
} entities[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
	{ "apos", '\'' }, { "nbsp", 0xA0 }, { "sol", '/' }, { "colon", ':' },
	{ "period", '.' }, { "commat", '@' }, { "quest", '?' },
	{ "equals", '=' }, { "percnt", '%' }, { "num", '#' },
	{ "copy", 0xA9 }, { "reg", 0xAE }, { "trade", 0x2122 },
	{ "hellip", 0x2026 }, { "mdash", 0x2014 }, { "ndash", 0x2013 },
	{ "rsquo", 0x2019 }, { "lsquo", 0x2018 }, { "rdquo", 0x201D },
	{ "ldquo", 0x201C }, { "zwnj", 0x200C }, { "zwj", 0x200D },
	{ "shy", 0xAD }, { "euro", 0x20AC }, { "bull", 0x2022 },
};

/* Decodes one reference at p ('&'); returns bytes consumed (0 = none). */
static size_t entity(const char *p, const char *end, char *out, size_t *outl)
{
	const char *q = p + 1;
	if (q < end && *q == '#') {
		q++;
		int base = 10;
		if (q < end && (*q == 'x' || *q == 'X')) {
			base = 16;
			q++;
		}
		uint32_t cp = 0;
		const char *d = q;
		while (q < end && q - d < 8 &&
		       (base == 16 ? isxdigit((unsigned char)*q)
				   : isdigit((unsigned char)*q))) {
			int v = isdigit((unsigned char)*q)
					? *q - '0'
					: (tolower((unsigned char)*q) - 'a' + 10);
			cp = cp * (uint32_t)base + (uint32_t)v;
			q++;
		}
		if (q == d)
			return 0;
		if (q < end && *q == ';')
			q++;
		*outl = put_utf8(out, cp);
		return (size_t)(q - p);
	}
	const char *n = q;
	while (q < end && q - n < 10 && isalnum((unsigned char)*q))
		q++;
	size_t nl = (size_t)(q - n);
	for (size_t i = 0; i < GV_ARRAY_LEN(entities); i++) {
		if (strlen(entities[i].name) == nl &&
		    memcmp(entities[i].name, n, nl) == 0) {
			if (q < end && *q == ';')
				q++;
			*outl = put_utf8(out, entities[i].cp);
			return (size_t)(q - p);
		}
	}
	return 0;
}

const char *gv_html_decode_entities(struct gv_pool *pool, const char *s,
				    size_t len, size_t *len_r)
{
	/* A reference is never shorter than its UTF-8 output (≥ 2 in, ≤ 4
	 * out only for &#x10000;-style forms, which are ≥ 8 in). */
	char *out = gv_palloc(pool, len + 1);
	size_t o = 0;
	const char *end = s + len;
	for (const char *p = s; p < end;) {
		if (*p == '&') {
			char tmp[4];
			size_t tl = 0, used = entity(p, end, tmp, &tl);
			if (used) {
				memcpy(out + o, tmp, tl);
				o += tl;
				p += used;
				continue;
			}
		}
		out[o++] = *p++;
	}
	out[o] = '\0';
	if (len_r)
		*len_r = o;
	return out;
}

static bool block_tag(const struct gv_html_tag *t)
{
	static const char *const blocks[] = { "br", "p", "div", "tr", "td",
		"li", "h1", "h2", "h3", "h4", "table", "title", "th", "hr" };
	for (size_t i = 0; i < GV_ARRAY_LEN(blocks); i++)
		if (gv_html_tag_is(t, blocks[i]))
			return true;
	return false;
}

const char *gv_html_to_text(struct gv_pool *pool, const char *html, size_t len,
			    size_t *len_r)
{
	struct gv_buf raw;
	gv_buf_init(&raw, len + 2);
	const char *p = html, *end = html + len;
	struct gv_html_tag t;
	bool space = true;
	while (p < end) {
		const char *pos = p;
		int found = gv_html_next_tag(&pos, end, &t);
		const char *text_end = found ? t.start : end;
		for (const char *c = p; c < text_end; c++) {
			bool ws = isspace((unsigned char)*c);
			if (ws && space)
				continue;
			gv_buf_putc(&raw, ws ? ' ' : (unsigned char)*c);
			space = ws;
		}
		if (!found)
			break;
		p = pos;
		if (!t.closing && (gv_html_tag_is(&t, "script") ||
				   gv_html_tag_is(&t, "style"))) {
			/* skip to the matching close tag */
			const char *close = gv_html_tag_is(&t, "script")
						    ? "</script" : "</style";
			const char *f = gv_memcasemem(p, (size_t)(end - p), close,
						      strlen(close));
			p = f ? f : end;
			continue;
		}
		if (block_tag(&t) && !space) {
			gv_buf_putc(&raw, ' ');
			space = true;
		}
	}
	const char *out = gv_html_decode_entities(
		pool, raw.data ? (const char *)raw.data : "", raw.len, len_r);
	gv_buf_free(&raw);
	return out;
}
