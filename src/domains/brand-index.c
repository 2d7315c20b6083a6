/*
 * The brand index: built once from the protected brands, then matched
 * against any number of names without looping over the brands.
 *
 * Everything is compared in confusable-key space (see gv_domain_key), so a
 * homoglyph costs nothing extra. Three structures find candidates:
 *
 *  - a "gap" table: for each brand key P and each split P = X + G + Y with
 *    |G| <= 2, the pair (X, Y) is hashed. A label L = X + G' + Y with
 *    |G'| <= 2 then hits the same entry: this finds, in |L|*3 look-ups,
 *    every brand within an edit of up to two adjacent characters (addition,
 *    omission, insertion, replacement, repetition, transposition,
 *    bitsquatting, hyphenation, vowel swap, double replacement) and, with
 *    |G| = |G'| = 0, the exact brand label (TLD swap, brand in a subdomain).
 *    A 128 KiB bit filter in front keeps misses at one cache line.
 *  - the same table applied to the last two labels joined ("pay.pal"
 *    under pal.com) for dnstwist's dot insertion.
 *  - an Aho-Corasick automaton over brand keys (whole, or split into k+1
 *    pieces for long brands: one piece survives k edits) that finds brands
 *    inside longer labels and non-adjacent edits in long brands; each hit
 *    is verified with a bounded edit distance. Hits of a brand's first
 *    piece also look for the brand cut short (truncation()).
 *
 * Rules that keep false positives down are per key length (short brands
 * need exact matches or token boundaries); they are in accept_sub() and
 * max_gap_for().
 */
#include "domains/domains-private.h"

#include <stdio.h>
#include <string.h>

/* ---- small string set (open addressing, owns its strings) ---- */

static uint64_t str_hash(const char *s, size_t len)
{
	return gv_hash64(s, len, 0x6765e3a1d0c4ULL);
}

bool gv_strset_has(const struct strset *set, const char *s, size_t len)
{
	if (set->cap == 0)
		return false;
	for (size_t i = str_hash(s, len) & (set->cap - 1);; i = (i + 1) & (set->cap - 1)) {
		const char *it = set->items[i];
		if (it == NULL)
			return false;
		if (strlen(it) == len && memcmp(it, s, len) == 0)
			return true;
	}
}

/* 1 added, 0 already there. */
int gv_strset_add(struct strset *set, const char *s, size_t len)
{
	if (gv_strset_has(set, s, len))
		return 0;
	if ((set->n + 1) * 2 > set->cap) {
		struct strset old = *set;
		set->cap = old.cap == 0 ? 64 : old.cap * 2;
		set->items = gv_calloc(set->cap, sizeof(char *));
		set->n = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.items[i] != NULL) {
				size_t j = str_hash(old.items[i], strlen(old.items[i])) & (set->cap - 1);
				while (set->items[j] != NULL)
					j = (j + 1) & (set->cap - 1);
				set->items[j] = old.items[i];
				set->n++;
			}
		gv_free(old.items);
	}
	size_t j = str_hash(s, len) & (set->cap - 1);
	while (set->items[j] != NULL)
		j = (j + 1) & (set->cap - 1);
	set->items[j] = gv_strndup(s, len);
	set->n++;
	return 1;
}

static void strset_free(struct strset *set)
{
	for (size_t i = 0; i < set->cap; i++)
		gv_free(set->items[i]);
	gv_free(set->items);
	memset(set, 0, sizeof(*set));
}

/* ---- construction ---- */

void gv_domains_limits_fill(const struct gv_domains_limits *in,
			    struct gv_domains_limits *out)
{
	static const struct gv_domains_limits zero;
	*out = in != NULL ? *in : zero;
	if (out->max_input_len == 0 || out->max_input_len > GV_DOMAINS_DEFAULT_INPUT)
		out->max_input_len = GV_DOMAINS_DEFAULT_INPUT;
	if (out->max_line_len == 0)
		out->max_line_len = GV_DOMAINS_DEFAULT_LINE;
	if (out->max_brands == 0)
		out->max_brands = GV_DOMAINS_DEFAULT_BRANDS;
	if (out->max_permutations == 0)
		out->max_permutations = GV_DOMAINS_DEFAULT_PERMS;
	if (out->max_candidates == 0 ||
	    out->max_candidates > GV_DOMAINS_DEFAULT_CANDIDATES)
		out->max_candidates = GV_DOMAINS_DEFAULT_CANDIDATES;
	if (out->max_rdap_len == 0)
		out->max_rdap_len = GV_DOMAINS_DEFAULT_RDAP;
	if (out->min_score == 0 || out->min_score > 100)
		out->min_score = GV_DOMAINS_DEFAULT_MIN_SCORE;
}

struct gv_brand_index *gv_brand_index_new(const struct gv_domains_limits *limits)
{
	struct gv_brand_index *idx = gv_calloc(1, sizeof(*idx));
	gv_domains_limits_fill(limits, &idx->limits);
	return idx;
}

void gv_brand_index_free(struct gv_brand_index **idxp)
{
	struct gv_brand_index *idx = *idxp;
	if (idx == NULL)
		return;
	for (size_t i = 0; i < idx->n_brands; i++) {
		struct brand *b = &idx->brands[i];
		gv_free(b->domain);
		gv_free(b->registrable);
		gv_free(b->name);
		gv_free(b->suffix);
		gv_free(b->key);
	}
	gv_free(idx->brands);
	strset_free(&idx->owned);
	strset_free(&idx->owned_any);
	strset_free(&idx->allowed);
	strset_free(&idx->brand_set);
	strset_free(&idx->keywords);
	strset_free(&idx->neutral);
	strset_free(&idx->brand_keys);
	gv_free(idx->gap);
	gv_free(idx->bloom);
	gv_ac_free(&idx->ac);
	gv_free(idx);
	*idxp = NULL;
}

/* Edit region the gap table allows for a brand key of length m: four
 * letters or fewer only match exactly (in key space: homoglyphs included);
 * a two-character change below GV_LONG_BRAND must be a doubled keystroke
 * (checked at look-up). */
static unsigned max_gap_for(size_t m)
{
	return m >= 5 ? 2 : 0;
}

/* Edits the automaton allows on a whole label (non-adjacent edits). */
static unsigned k_ac_for(size_t m)
{
	return m >= GV_VERY_LONG_BRAND + 1 ? 4 : m >= GV_VERY_LONG_BRAND ? 3
	       : m >= 9 ? 2 : m >= 7 ? 1 : 0;
}

/* Key of the label part (before the suffix) of a normalized name's
 * registrable domain, U-label form. */
static int name_key(const struct gv_domain_name *n, char *key, size_t size)
{
	/* the registrable label is the last label of the part before the
	 * suffix; find it in the unicode form by counting labels from the
	 * right (IDNA maps label to label). */
	size_t suffix_labels = 0;
	for (size_t i = n->suffix_off; i < n->ascii_len; i++)
		suffix_labels += n->ascii[i] == '.';
	if (n->suffix_off < n->ascii_len)
		suffix_labels++;
	size_t end = n->unicode_len;
	for (size_t k = 0; k < suffix_labels; k++) {
		while (end > 0 && n->unicode[end - 1] != '.')
			end--;
		if (end > 0)
			end--;
	}
	size_t start = end;
	while (start > 0 && n->unicode[start - 1] != '.')
		start--;
	return gv_domain_key(n->unicode + start, end - start, key, size);
}

int gv_brand_index_add(struct gv_brand_index *idx, const char *domain,
		       const char **error_r)
{
	struct gv_domain_name n;
	char key[GV_KEY_MAX];

	if (idx->built) {
		*error_r = "the index is already built";
		return -1;
	}
	if (gv_domain_normalize(domain, strlen(domain), &idx->limits, &n, error_r) < 0)
		return -1;
	if (n.registrable_off == n.ascii_len) {
		*error_r = "brand domain is a public suffix";
		return -1;
	}
	const char *reg = n.ascii + n.registrable_off;
	if (gv_strset_has(&idx->brand_set, reg, strlen(reg)))
		return 0;
	if (idx->n_brands >= idx->limits.max_brands) {
		*error_r = "too many brands";
		return -1;
	}
	int klen = name_key(&n, key, sizeof(key));
	if (klen <= 0) {
		*error_r = "cannot compute the brand's key";
		return -1;
	}
	if (idx->n_brands == idx->cap_brands) {
		idx->cap_brands = idx->cap_brands == 0 ? 64 : idx->cap_brands * 2;
		idx->brands = gv_realloc(idx->brands,
			gv_mul_size(idx->cap_brands, sizeof(*idx->brands)));
	}
	struct brand *b = &idx->brands[idx->n_brands++];
	b->domain = gv_strdup(n.ascii);
	b->registrable = gv_strdup(reg);
	b->name = gv_strndup(reg, n.suffix_off - n.registrable_off - 1);
	b->suffix = gv_strdup(n.ascii + n.suffix_off);
	b->key = gv_strndup(key, (size_t)klen);
	b->key_len = (size_t)klen;
	b->max_gap = max_gap_for(b->key_len);
	b->k_ac = k_ac_for(b->key_len);
	b->core = 0;
	b->head = 0;
	for (unsigned h = 1; h <= 2 && h + 4 <= b->key_len && b->head == 0; h++)
		for (size_t w = 0; gv_common_words[w] != NULL; w++)
			if (strcmp(gv_common_words[w], b->key + h) == 0)
				b->head = h;
	b->piece0 = 0;	   /* both set by gv_brand_index_build */
	b->trunc_min = 0;
	b->word_cut = 0;
	for (size_t w = 0; gv_common_words[w] != NULL; w++) {
		const char *cw = gv_common_words[w];
		size_t wl = strlen(cw);
		if (wl >= b->key_len)
			continue;
		if (b->key_len - wl > b->word_cut &&
		    strcmp(cw, b->key + b->key_len - wl) == 0)
			b->word_cut = (unsigned)(b->key_len - wl);
		if (wl > b->word_cut && memcmp(cw, b->key, wl) == 0)
			b->word_cut = (unsigned)wl;
	}
	gv_strset_add(&idx->brand_set, reg, strlen(reg));
	gv_strset_add(&idx->owned, reg, strlen(reg));
	return 1;
}

/* "name.*" -> owned_any; anything else -> its registrable domain. */
static int add_owned(struct gv_brand_index *idx, const char *d,
		     const char **error_r)
{
	size_t len = strlen(d);
	if (len > 2 && strcmp(d + len - 2, ".*") == 0) {
		struct gv_domain_name n;
		if (gv_domain_normalize(d, len - 2, &idx->limits, &n, error_r) < 0)
			return -1;
		if (memchr(n.ascii, '.', n.ascii_len) != NULL) {
			*error_r = "wildcard owner must be one label, like name.*";
			return -1;
		}
		gv_strset_add(&idx->owned_any, n.ascii, n.ascii_len);
		return 1;
	}
	char reg[GV_DOMAIN_MAX + 1];
	int rc = gv_domain_registrable(d, len, reg, sizeof(reg), error_r);
	if (rc <= 0) {
		if (rc == 0)
			*error_r = "owned domain is a public suffix";
		return -1;
	}
	gv_strset_add(&idx->owned, reg, strlen(reg));
	return 1;
}

int gv_brand_index_own(struct gv_brand_index *idx, const char *brand_domain,
		       const char *owned, const char **error_r)
{
	char reg[GV_DOMAIN_MAX + 1];
	if (gv_domain_registrable(brand_domain, strlen(brand_domain), reg,
				  sizeof(reg), error_r) <= 0 ||
	    !gv_strset_has(&idx->brand_set, reg, strlen(reg))) {
		*error_r = "owner is not a brand of this index";
		return -1;
	}
	return add_owned(idx, owned, error_r);
}

int gv_brand_index_allow(struct gv_brand_index *idx, const char *domain,
			 const char **error_r)
{
	size_t len = strlen(domain);
	if (len > 2 && strcmp(domain + len - 2, ".*") == 0)
		return add_owned(idx, domain, error_r);
	/* the name itself, not its registrable domain: allow-lists name
	 * hosts on shared domains (someone.blog-host.net) */
	struct gv_domain_name n;
	if (gv_domain_normalize(domain, len, &idx->limits, &n, error_r) < 0)
		return -1;
	gv_strset_add(&idx->allowed, n.ascii, n.ascii_len);
	return 1;
}

size_t gv_brand_index_count(const struct gv_brand_index *idx)
{
	return idx->n_brands - idx->n_cores;
}

/* One line: "brand.com [owned ...]" or "!allowed.example". */
static int load_line(struct gv_brand_index *idx, char *line,
		     const char **error_r)
{
	char *save = NULL, *tok = strtok_r(line, " \t,", &save);
	if (tok == NULL || tok[0] == '#')
		return 1;
	if (tok[0] == '!')
		return gv_brand_index_allow(idx, tok + 1, error_r);
	const char *brand = tok;
	if (gv_brand_index_add(idx, brand, error_r) < 0)
		return -1;
	while ((tok = strtok_r(NULL, " \t,", &save)) != NULL) {
		if (tok[0] == '#')
			break;
		if (gv_brand_index_own(idx, brand, tok, error_r) < 0)
			return -1;
	}
	return 1;
}

int gv_brand_index_load(struct gv_brand_index *idx, const char *data,
			size_t len, const char **error_r)
{
	/* the error names its line; per thread, so loads may run in parallel */
	static __thread char errbuf[160];
	size_t pos = 0, lineno = 0;
	while (pos < len) {
		lineno++;
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - data) : len;
		size_t llen = end - pos;
		const char *error = "line too long";
		int rc = -1;
		if (llen <= idx->limits.max_line_len) {
			char *line = gv_strndup(data + pos, llen);
			rc = load_line(idx, line, &error);
			gv_free(line);
		}
		if (rc < 0) {
			snprintf(errbuf, sizeof(errbuf), "line %zu: %s", lineno, error);
			*error_r = errbuf;
			return -1;
		}
		pos = end + 1;
	}
	return 1;
}
