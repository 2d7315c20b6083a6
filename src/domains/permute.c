/*
 * Permutation generator: the lookalike names of one domain, by the
 * techniques dnstwist names (addition, bitsquatting, homoglyph, cyrillic,
 * hyphenation, insertion, omission, repetition, replacement, subdomain,
 * transposition, vowel-swap, dictionary, tld-swap, plural, various), so
 * users can pre-register or monitor them. The glyph and keyboard tables are
 * written here from visual and layout similarity.
 *
 * Only the label before the public suffix is permuted ("paypal" in
 * paypal.co.uk). Results are A-label (punycode) names, deduplicated, at
 * most limits->max_permutations of them.
 */
#include "domains/domains-private.h"

#include <idn2.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct perm_ctx {
	struct gv_pool *pool;
	struct strset seen;
	struct gv_permutation *list;
	size_t n, cap, max;
	const char *self;    /* the input, never emitted */
	const char *suffix;  /* "com", "co.uk" */
	bool full;
};

/* Lookalikes of each ASCII letter/digit (UTF-8). */
static const char *const glyphs[36][12] = {
	/* a */ { "à", "á", "â", "ã", "ä", "å", "ɑ", "а", "ạ", "ą", "ə" },
	/* b */ { "d", "lb", "ḃ", "ɓ", "ʙ" },
	/* c */ { "e", "ƈ", "ċ", "ć", "ç", "с", "ᴄ" },
	/* d */ { "b", "cl", "dl", "ɗ", "đ", "ď" },
	/* e */ { "é", "è", "ê", "ë", "ē", "ė", "ę", "е", "ẹ" },
	/* f */ { "ƒ", "ḟ" },
	/* g */ { "q", "ɢ", "ɡ", "ġ", "ğ", "ǵ", "ģ" },
	/* h */ { "lh", "ħ", "һ", "ĥ" },
	/* i */ { "1", "l", "í", "ì", "ï", "ı", "ɩ", "і" },
	/* j */ { "ј", "ĵ" },
	/* k */ { "lk", "ik", "lc", "ķ", "ḳ" },
	/* l */ { "1", "i", "ɫ", "ł", "ӏ" },
	/* m */ { "n", "nn", "rn", "rr", "ṃ", "ᴍ" },
	/* n */ { "m", "r", "ń", "ñ", "ņ" },
	/* o */ { "0", "ο", "о", "ø", "ö", "ó", "ò", "ô", "õ", "ọ" },
	/* p */ { "ρ", "р", "ƿ", "ṗ" },
	/* q */ { "g", "ԛ" },
	/* r */ { "ʀ", "ɼ", "ɽ", "ŕ", "ř" },
	/* s */ { "5", "ѕ", "ś", "ş", "š" },
	/* t */ { "ţ", "ŧ", "ț", "ƫ" },
	/* u */ { "ü", "ú", "ù", "û", "ū", "υ" },
	/* v */ { "ѵ", "ν", "ṿ" },
	/* w */ { "vv", "ѡ", "ẉ", "ŵ" },
	/* x */ { "х", "ẋ" },
	/* y */ { "у", "ý", "ÿ", "ŷ" },
	/* z */ { "ʐ", "ż", "ź", "ž" },
	/* 0 */ { "o" }, /* 1 */ { "l", "i" }, /* 2 */ { "z" }, /* 3 */ { "e" },
	/* 4 */ { "a" }, /* 5 */ { "s" }, /* 6 */ { "b" }, /* 7 */ { "t" },
	/* 8 */ { "b" }, /* 9 */ { "g" },
};

/* Latin letters with a Cyrillic twin, for the all-Cyrillic variant. */
static const char *const cyrillic[26] = {
	"а", "ь", "с", "ԁ", "е", NULL, NULL, "һ", "і", "ј", "к", "ӏ", "м",
	"п", "о", "р", "ԛ", "г", "ѕ", "т", "ц", "ѵ", "ѡ", "х", "у", NULL,
};

/* Lookalikes found in ICU's confusables data at first use: every
 * code point of the Latin, IPA, Greek and Cyrillic blocks whose key
 * (gv_domain_key) is one ASCII letter or digit. Used for single
 * substitutions; the hand table above also drives the double ones. */
#define ICU_GLYPHS_MAX 48
static char icu_glyphs[36][ICU_GLYPHS_MAX][5];
static unsigned icu_glyph_count[36];
static pthread_once_t icu_glyphs_once = PTHREAD_ONCE_INIT;

static size_t utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	out[0] = (char)(0xe0 | cp >> 12);
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

static void icu_glyphs_init(void)
{
	static const uint32_t ranges[][2] = {
		{ 0x00e0, 0x024f }, { 0x0250, 0x02af }, { 0x03b1, 0x03ff },
		{ 0x0430, 0x04ff }, { 0x1d00, 0x1d2b }, { 0x1e01, 0x1eff },
	};
	for (size_t r = 0; r < GV_ARRAY_LEN(ranges); r++)
		for (uint32_t cp = ranges[r][0]; cp <= ranges[r][1]; cp++) {
			char u[5], key[16];
			size_t n = utf8_encode(cp, u);
			u[n] = '\0';
			if (gv_domain_key(u, n, key, sizeof(key)) != 1)
				continue;
			char c = key[0];
			int slot = c >= 'a' && c <= 'z' ? c - 'a'
				   : c >= '0' && c <= '9' ? 26 + c - '0' : -1;
			if (slot < 0 || icu_glyph_count[slot] == ICU_GLYPHS_MAX)
				continue;
			memcpy(icu_glyphs[slot][icu_glyph_count[slot]++], u, n + 1);
		}
}

static const char *const *glyphs_of(char c)
{
	if (c >= 'a' && c <= 'z')
		return glyphs[c - 'a'];
	if (c >= '0' && c <= '9')
		return glyphs[26 + c - '0'];
	return NULL;
}

/* Keyboard rows of QWERTY, QWERTZ and AZERTY. */
static const char *const layouts[3][4] = {
	{ "1234567890-", "qwertyuiop", "asdfghjkl", "zxcvbnm" },
	{ "1234567890-", "qwertzuiop", "asdfghjkl", "yxcvbnm" },
	{ "1234567890-", "azertyuiop", "qsdfghjklm", "wxcvbn" },
};

/* Writes the keys next to c (same row, and the rows above and below at
 * the same or the next column) into out, NUL-terminated. */
static void kb_neighbours(char c, char *out, size_t size)
{
	size_t o = 0;
	for (size_t l = 0; l < 3; l++)
		for (int r = 0; r < 4; r++) {
			const char *p = strchr(layouts[l][r], c);
			if (p == NULL || c == '\0')
				continue;
			int col = (int)(p - layouts[l][r]);
			for (int dr = -1; dr <= 1; dr++) {
				if (r + dr < 0 || r + dr > 3)
					continue;
				const char *row = layouts[l][r + dr];
				int len = (int)strlen(row);
				for (int dc = -1; dc <= 1; dc++) {
					int cc = col + dc;
					if ((dr == 0 && dc == 0) || cc < 0 || cc >= len)
						continue;
					if (row[cc] != '-' && strchr(out, row[cc]) == NULL &&
					    o + 1 < size) {
						out[o++] = row[cc];
						out[o] = '\0';
					}
				}
			}
		}
}

/* Emits label + "." + suffix (or the name as is when suffix is NULL). */
static void emit(struct perm_ctx *ctx, const char *label, size_t len,
		 const char *suffix, enum gv_domain_technique t)
{
	char name[GV_DOMAIN_UMAX];
	char *ascii = NULL;
	if (ctx->full || len == 0)
		return;
	size_t slen = suffix != NULL ? strlen(suffix) : 0;
	if (len + 1 + slen >= sizeof(name))
		return;
	memcpy(name, label, len);
	if (suffix != NULL) {
		name[len] = '.';
		memcpy(name + len + 1, suffix, slen + 1);
	} else {
		name[len] = '\0';
	}
	const char *out = name;
	bool ascii_only = true;
	for (size_t i = 0; name[i] != '\0' && ascii_only; i++)
		ascii_only = (unsigned char)name[i] < 0x80;
	if (!ascii_only) {
		if (idn2_to_ascii_8z(name, &ascii, IDN2_NONTRANSITIONAL) != IDN2_OK) {
			idn2_free(ascii);
			return;
		}
		out = ascii;
	}
	size_t olen = strlen(out);
	struct gv_domain_name chk;
	const char *error;
	if (olen > GV_DOMAIN_MAX || strcmp(out, ctx->self) == 0 ||
	    gv_domain_normalize(out, olen, NULL, &chk, &error) < 0 ||
	    gv_strset_add(&ctx->seen, out, olen) == 0) {
		idn2_free(ascii);
		return;
	}
	if (ctx->n == ctx->max) {
		ctx->full = true;
		idn2_free(ascii);
		return;
	}
	if (ctx->n == ctx->cap) {
		ctx->cap = ctx->cap == 0 ? 256 : ctx->cap * 2;
		ctx->list = gv_realloc(ctx->list, gv_mul_size(ctx->cap, sizeof(*ctx->list)));
	}
	ctx->list[ctx->n++] = (struct gv_permutation){
		.domain = gv_pstrndup(ctx->pool, out, olen), .technique = t };
	idn2_free(ascii);
}

/* label with [i, i+del) replaced by ins */
static void emit_edit(struct perm_ctx *ctx, const char *l, size_t n, size_t i,
		      size_t del, const char *ins, size_t ilen,
		      enum gv_domain_technique t)
{
	char buf[GV_DOMAIN_UMAX];
	if (n - del + ilen >= sizeof(buf))
		return;
	memcpy(buf, l, i);
	memcpy(buf + i, ins, ilen);
	memcpy(buf + i + ilen, l + i + del, n - i - del);
	emit(ctx, buf, n - del + ilen, ctx->suffix, t);
}

static void gen_typos(struct perm_ctx *ctx, const char *l, size_t n,
		      uint32_t mask)
{
	char near[64];
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	for (size_t k = 0; alnum[k] != '\0' && (mask & (1u << GV_TECH_ADDITION)); k++)
		emit_edit(ctx, l, n, n, 0, &alnum[k], 1, GV_TECH_ADDITION);
	for (size_t i = 0; i < n; i++) {
		char c = l[i];
		if (mask & (1u << GV_TECH_BITSQUATTING))
			for (int b = 0; b < 8; b++) {
				char x = (char)(c ^ (1 << b));
				if ((x >= 'a' && x <= 'z') || (x >= '0' && x <= '9') || x == '-')
					emit_edit(ctx, l, n, i, 1, &x, 1, GV_TECH_BITSQUATTING);
			}
		if (mask & (1u << GV_TECH_OMISSION))
			emit_edit(ctx, l, n, i, 1, "", 0, GV_TECH_OMISSION);
		if (mask & (1u << GV_TECH_REPETITION)) {
			char d[2] = { c, c };
			emit_edit(ctx, l, n, i, 1, d, 2, GV_TECH_REPETITION);
		}
		near[0] = '\0';
		kb_neighbours(c, near, sizeof(near));
		for (size_t k = 0; near[k] != '\0'; k++) {
			if (mask & (1u << GV_TECH_REPLACEMENT))
				emit_edit(ctx, l, n, i, 1, &near[k], 1, GV_TECH_REPLACEMENT);
			if ((mask & (1u << GV_TECH_INSERTION)) && i > 0 && i + 1 < n) {
				char a[2] = { near[k], c }, b2[2] = { c, near[k] };
				emit_edit(ctx, l, n, i, 1, a, 2, GV_TECH_INSERTION);
				emit_edit(ctx, l, n, i, 1, b2, 2, GV_TECH_INSERTION);
			}
		}
		if (i > 0 && (mask & (1u << GV_TECH_HYPHENATION)))
			emit_edit(ctx, l, n, i, 0, "-", 1, GV_TECH_HYPHENATION);
		if (i > 0 && (mask & (1u << GV_TECH_SUBDOMAIN)) && l[i] != '-' &&
		    l[i - 1] != '-')
			emit_edit(ctx, l, n, i, 0, ".", 1, GV_TECH_SUBDOMAIN);
		if (i + 1 < n && l[i] != l[i + 1] && (mask & (1u << GV_TECH_TRANSPOSITION))) {
			char s[2] = { l[i + 1], l[i] };
			emit_edit(ctx, l, n, i, 2, s, 2, GV_TECH_TRANSPOSITION);
		}
		if (strchr("aeiou", c) != NULL && (mask & (1u << GV_TECH_VOWEL_SWAP)))
			for (const char *v = "aeiou"; *v != '\0'; v++)
				if (*v != c)
					emit_edit(ctx, l, n, i, 1, v, 1, GV_TECH_VOWEL_SWAP);
	}
}

/* One glyph substitution at each position, then a second one after it
 * (dnstwist applies its glyph pass twice). */
static void gen_homoglyphs(struct perm_ctx *ctx, const char *l, size_t n)
{
	char buf[GV_DOMAIN_UMAX];
	pthread_once(&icu_glyphs_once, icu_glyphs_init);
	for (size_t i = 0; i < n && !ctx->full; i++) {
		char c = l[i];
		int slot = c >= 'a' && c <= 'z' ? c - 'a'
			   : c >= '0' && c <= '9' ? 26 + c - '0' : -1;
		for (unsigned g = 0; slot >= 0 && g < icu_glyph_count[slot]; g++)
			emit_edit(ctx, l, n, i, 1, icu_glyphs[slot][g],
				  strlen(icu_glyphs[slot][g]), GV_TECH_HOMOGLYPH);
	}
	for (size_t i = 0; i < n && !ctx->full; i++) {
		const char *const *g1 = glyphs_of(l[i]);
		for (size_t a = 0; g1 != NULL && a < 12 && g1[a] != NULL; a++) {
			size_t al = strlen(g1[a]);
			emit_edit(ctx, l, n, i, 1, g1[a], al, GV_TECH_HOMOGLYPH);
			for (size_t j = i + 1; j < n; j++) {
				const char *const *g2 = glyphs_of(l[j]);
				for (size_t b = 0; g2 != NULL && b < 12 && g2[b] != NULL; b++) {
					size_t bl = strlen(g2[b]), o = 0;
					if (n + al + bl >= sizeof(buf))
						continue;
					memcpy(buf, l, i);
					o = i;
					memcpy(buf + o, g1[a], al);
					o += al;
					memcpy(buf + o, l + i + 1, j - i - 1);
					o += j - i - 1;
					memcpy(buf + o, g2[b], bl);
					o += bl;
					memcpy(buf + o, l + j + 1, n - j - 1);
					o += n - j - 1;
					emit(ctx, buf, o, ctx->suffix, GV_TECH_HOMOGLYPH);
				}
			}
		}
	}
	/* all-Cyrillic spelling, when every letter has a twin */
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		const char *cy = l[i] >= 'a' && l[i] <= 'z' ? cyrillic[l[i] - 'a'] : NULL;
		if (cy == NULL && (l[i] >= 'a' && l[i] <= 'z'))
			return;
		const char *s = cy != NULL ? cy : &l[i];
		size_t sl = cy != NULL ? strlen(cy) : 1;
		if (o + sl >= sizeof(buf))
			return;
		memcpy(buf + o, s, sl);
		o += sl;
	}
	emit(ctx, buf, o, ctx->suffix, GV_TECH_IDN_HOMOGLYPH);
}

static void gen_words(struct perm_ctx *ctx, const char *l, size_t n,
		      const struct gv_permute_opts *opts, uint32_t mask)
{
	char buf[GV_DOMAIN_UMAX];
	const char *const *words = opts != NULL && opts->words != NULL ? opts->words : gv_keywords;
	size_t nw = opts != NULL && opts->words != NULL ? opts->n_words : SIZE_MAX;
	for (size_t k = 0; k < nw && words[k] != NULL && (mask & (1u << GV_TECH_DICTIONARY)); k++) {
		const char *w = words[k];
		size_t wl = strlen(w);
		if (n + wl + 1 >= sizeof(buf))
			continue;
		static const char *const fmt[4] = { "%.*s-%s", "%.*s%s", "%s-%.*s", "%s%.*s" };
		for (int f = 0; f < 4; f++) {
			int len = f < 2 ? snprintf(buf, sizeof(buf), fmt[f], (int)n, l, w)
					: snprintf(buf, sizeof(buf), fmt[f], w, (int)n, l);
			emit(ctx, buf, (size_t)len, ctx->suffix, GV_TECH_DICTIONARY);
		}
	}
	const char *const *tlds = opts != NULL && opts->tlds != NULL ? opts->tlds : gv_common_tlds;
	size_t nt = opts != NULL && opts->tlds != NULL ? opts->n_tlds : SIZE_MAX;
	for (size_t k = 0; k < nt && tlds[k] != NULL && (mask & (1u << GV_TECH_TLD_SWAP)); k++)
		if (strcmp(tlds[k], ctx->suffix) != 0)
			emit(ctx, l, n, tlds[k], GV_TECH_TLD_SWAP);
	if (mask & (1u << GV_TECH_VARIOUS)) {
		/* brand + its suffix glued into the label: paypalcom.com */
		char sfx[GV_DOMAIN_MAX + 1];
		size_t sl = 0;
		for (const char *p = ctx->suffix; *p != '\0' && sl + 1 < sizeof(sfx); p++)
			if (*p != '.')
				sfx[sl++] = *p;
		emit_edit(ctx, l, n, n, 0, sfx, sl, GV_TECH_VARIOUS);
		char hs[GV_DOMAIN_MAX + 2];
		hs[0] = '-';
		memcpy(hs + 1, sfx, sl);
		emit_edit(ctx, l, n, n, 0, hs, sl + 1, GV_TECH_VARIOUS);
	}
}

int gv_domain_permute(const char *domain, size_t len,
		      const struct gv_permute_opts *opts,
		      const struct gv_domains_limits *limits,
		      struct gv_pool *pool, struct gv_permutation **list_r,
		      size_t *count_r, const char **error_r)
{
	struct gv_domains_limits lim;
	struct gv_domain_name n;
	gv_domains_limits_fill(limits, &lim);
	if (gv_domain_normalize(domain, len, &lim, &n, error_r) < 0)
		return -1;
	if (n.idn || n.registrable_off == n.ascii_len) {
		*error_r = n.idn ? "permutations need an ASCII domain"
				 : "domain is a public suffix";
		return -1;
	}
	struct perm_ctx ctx = { .pool = pool, .max = lim.max_permutations,
				.self = n.ascii, .suffix = n.ascii + n.suffix_off };
	const char *label = n.ascii + n.registrable_off;
	size_t llen = n.suffix_off - n.registrable_off - 1;
	uint32_t mask = opts != NULL && opts->techniques != 0 ? opts->techniques : UINT32_MAX;
	/* plural first: "paypals" is also an addition, the name is kept */
	if (mask & (1u << GV_TECH_PLURAL)) {
		emit_edit(&ctx, label, llen, llen, 0, "s", 1, GV_TECH_PLURAL);
		if (strchr("sxz", label[llen - 1]) != NULL)
			emit_edit(&ctx, label, llen, llen, 0, "es", 2, GV_TECH_PLURAL);
	}
	gen_typos(&ctx, label, llen, mask);
	if (mask & ((1u << GV_TECH_HOMOGLYPH) | (1u << GV_TECH_IDN_HOMOGLYPH)))
		gen_homoglyphs(&ctx, label, llen);
	gen_words(&ctx, label, llen, opts, mask);

	struct gv_permutation *out = gv_palloc(pool, (ctx.n + 1) * sizeof(*out));
	if (ctx.n > 0)
		memcpy(out, ctx.list, ctx.n * sizeof(*out));
	gv_free(ctx.list);
	for (size_t i = 0; i < ctx.seen.cap; i++)
		gv_free(ctx.seen.items[i]);
	gv_free(ctx.seen.items);
	*list_r = out;
	*count_r = ctx.n;
	return ctx.full ? 0 : 1;
}
