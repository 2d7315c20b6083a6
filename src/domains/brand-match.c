/*
 * Brand index: build (gap table, bit filter, automaton) and match. See the
 * top of brand-index.c for the design. gv_brand_index_match() only reads
 * the index and keeps its state on the stack, so threads may share a built
 * index.
 */
#include "domains/domains-private.h"

#include <string.h>

#define MAX_LABELS 128

/* ---- hashing of (prefix, suffix) pairs ---- */

#define POLY 0x100000001b3ULL

/* ph[i] hashes s[0..i), sh[j] hashes s[j..n); both depend only on the
 * characters they cover, so equal prefixes/suffixes of different strings
 * hash alike. */
static void pair_hashes(const char *s, size_t n, uint64_t *ph, uint64_t *sh)
{
	ph[0] = 0x9e3779b97f4a7c15ULL;
	for (size_t i = 0; i < n; i++)
		ph[i + 1] = (ph[i] ^ (unsigned char)s[i]) * POLY;
	sh[n] = 0x7f4a7c159e3779b9ULL;
	for (size_t j = n; j > 0; j--)
		sh[j - 1] = (sh[j] ^ (unsigned char)s[j - 1]) * POLY;
}

/* One multiply: the table and the filter use the high bits, which a
 * multiply mixes from all input bits. */
static uint64_t pair_key(uint64_t pre_h, size_t pre, uint64_t suf_h, size_t suf)
{
	return (pre_h ^ (suf_h << 17 | suf_h >> 47) ^ ((uint64_t)pre << 40) ^
		((uint64_t)suf << 52)) * 0x9e3779b97f4a7c15ULL;
}

static void gap_insert(struct gv_brand_index *idx, uint64_t h, uint32_t brand,
		       size_t pre, size_t suf, size_t gap)
{
	size_t i = (h >> 20) & idx->gap_mask;
	while (idx->gap[i].brand != GV_GAP_EMPTY)
		i = (i + 1) & idx->gap_mask;
	idx->gap[i] = (struct gap_entry){ .h = h, .brand = brand,
		.pre = (uint8_t)pre, .suf = (uint8_t)suf, .gap = (uint8_t)gap };
	uint32_t bit = (uint32_t)(h >> 44) & (GV_BLOOM_BITS - 1);
	idx->bloom[bit / 64] |= 1ULL << (bit % 64);
}

/* A brand whose key starts with a neutral keyword followed by a distinctive
 * rest (my + etherwallet, at least GV_DISTINCT_BRAND letters) is indexed by
 * that rest too: phishers drop the generic head (etherwallet.com,
 * youretherwallet.com). Core entries go after the brands and report the
 * brand they come from. */
static void add_cores(struct gv_brand_index *idx)
{
	size_t n = idx->n_brands;
	char kw[GV_KEY_MAX];
	for (size_t b = 0; b < n; b++)
		for (size_t i = 0; gv_neutral_keywords[i] != NULL; i++) {
			int kl = gv_domain_key(gv_neutral_keywords[i],
					       strlen(gv_neutral_keywords[i]), kw, sizeof(kw));
			const struct brand *br = &idx->brands[b];
			if (kl <= 0 || br->key_len < (size_t)kl + GV_DISTINCT_BRAND ||
			    memcmp(br->key, kw, (size_t)kl) != 0)
				continue;
			if (idx->n_brands == idx->cap_brands) {
				idx->cap_brands *= 2;
				idx->brands = gv_realloc(idx->brands,
					gv_mul_size(idx->cap_brands, sizeof(*idx->brands)));
				br = &idx->brands[b];
			}
			struct brand *c = &idx->brands[idx->n_brands++];
			*c = (struct brand){
				.domain = gv_strdup(br->domain),
				.registrable = gv_strdup(br->registrable),
				.name = gv_strdup(br->name),
				.suffix = gv_strdup(br->suffix),
				.key = gv_strndup(br->key + kl, br->key_len - (size_t)kl),
				.key_len = br->key_len - (size_t)kl,
				.max_gap = br->max_gap,
				.core = (unsigned)kl,
			};
			c->k_ac = c->key_len >= GV_LONG_BRAND ? 1 : 0;
			idx->n_cores++;
			break;
		}
}

void gv_brand_index_build(struct gv_brand_index *idx)
{
	if (idx->built)
		return;
	add_cores(idx);
	size_t entries = 0;
	for (size_t b = 0; b < idx->n_brands; b++)
		entries += 3 * (idx->brands[b].key_len + 1);
	size_t cap = 64;
	while (cap < entries * 2)
		cap *= 2;
	idx->gap = gv_malloc(gv_mul_size(cap, sizeof(*idx->gap)));
	for (size_t i = 0; i < cap; i++)
		idx->gap[i].brand = GV_GAP_EMPTY;
	idx->gap_mask = cap - 1;
	idx->bloom = gv_calloc(GV_BLOOM_BITS / 64, sizeof(uint64_t));
	idx->ac = gv_ac_new();

	uint64_t ph[GV_KEY_MAX + 1], sh[GV_KEY_MAX + 1];
	for (size_t b = 0; b < idx->n_brands; b++) {
		struct brand *br = &idx->brands[b];
		size_t m = br->key_len;
		if (m >= 256)
			continue; /* cannot be a label's key; keep the table small */
		pair_hashes(br->key, m, ph, sh);
		for (size_t i = 0; i <= m; i++)
			for (size_t g = 0; g <= br->max_gap && i + g <= m; g++)
				gap_insert(idx, pair_key(ph[i], i, sh[i + g], m - i - g),
					   (uint32_t)b, i, m - i - g, g);
		if (m < 3)
			continue;
		/* one of 2k+1 pieces survives k edits, even when a
		 * transposition straddles two pieces; pieces stay >= 3 bytes
		 * so they do not hit everywhere */
		size_t pieces = 2 * br->k_ac + 1, off = 0;
		if (pieces > m / 3)
			pieces = m / 3 > 0 ? m / 3 : 1;
		br->piece0 = (unsigned)(m / pieces);
		/* shortest cut truncation() looks at; 0: none (cores, short
		 * brands, a cut that would keep only a word) */
		size_t tmin = (m + 1) / 2 > GV_TRUNC_MIN ? (m + 1) / 2 : GV_TRUNC_MIN;
		if (tmin <= br->word_cut)
			tmin = br->word_cut + 1;
		br->trunc_min = br->core == 0 && m >= GV_DISTINCT_BRAND && tmin < m &&
				tmin >= br->piece0 ? (unsigned)tmin : 0;
		for (size_t p = 0; p < pieces; p++) {
			size_t plen = (m - off) / (pieces - p);
			/* value: brand, and where the piece ends in its key */
			gv_ac_add(idx->ac, br->key + off, plen,
				  (uint32_t)(b << 8 | (off + plen)));
			off += plen;
		}
	}
	gv_ac_build(idx->ac);
	for (size_t b = 0; b < idx->n_brands; b++)
		gv_strset_add(&idx->brand_keys, idx->brands[b].key, idx->brands[b].key_len);
	char key[GV_KEY_MAX];
	for (size_t i = 0; gv_keywords[i] != NULL; i++) {
		int n = gv_domain_key(gv_keywords[i], strlen(gv_keywords[i]), key,
				      sizeof(key));
		if (n > 0)
			gv_strset_add(&idx->keywords, key, (size_t)n);
	}
	for (size_t i = 0; gv_neutral_keywords[i] != NULL; i++) {
		int n = gv_domain_key(gv_neutral_keywords[i],
				      strlen(gv_neutral_keywords[i]), key, sizeof(key));
		if (n > 0)
			gv_strset_add(&idx->neutral, key, (size_t)n);
	}
	idx->built = true;
}

/* ---- matching ---- */

enum cand_kind { CAND_WHOLE, CAND_DOT, CAND_SUB, CAND_TRUNC };

struct cand {
	uint32_t brand;
	enum cand_kind kind;
	unsigned dist;
	size_t label;	/* label index (for CAND_DOT: the registrable one) */
	size_t ws, we;	/* window in the key text (CAND_SUB, CAND_TRUNC) */
};

struct query {
	const struct gv_brand_index *idx;
	const struct gv_domain_name *name;
	char text[GV_KEY_MAX];	/* keys of the labels before the suffix */
	size_t text_len;
	size_t ls[MAX_LABELS], le[MAX_LABELS]; /* label spans in text */
	size_t al[MAX_LABELS], ae[MAX_LABELS]; /* same labels in name->ascii */
	size_t n_labels;
	struct cand c[GV_DOMAINS_DEFAULT_CANDIDATES];
	size_t n_cands, max_cands;
	uint32_t tried[64]; /* (brand, label) pairs whose whole label was checked */
	size_t n_tried;
};

static bool cand_seen(const struct query *q, uint32_t brand, enum cand_kind kind,
		      size_t label)
{
	for (size_t i = 0; i < q->n_cands; i++)
		if (q->c[i].brand == brand && q->c[i].label == label &&
		    q->c[i].kind == kind)
			return true;
	return false;
}

static void cand_add(struct query *q, struct cand c)
{
	if (q->n_cands < q->max_cands)
		q->c[q->n_cands++] = c;
}

/* Gap-table look-ups of one string s (a label, or two joined). */
static void gap_lookup(struct query *q, const char *s, size_t n,
		       enum cand_kind kind, size_t label)
{
	const struct gv_brand_index *idx = q->idx;
	uint64_t ph[GV_KEY_MAX + 1], sh[GV_KEY_MAX + 1];
	if (n >= 256)
		return;
	pair_hashes(s, n, ph, sh);
	for (size_t a = 0; a <= n; a++)
		for (size_t g = 0; g <= 2 && a + g <= n; g++) {
			uint64_t h = pair_key(ph[a], a, sh[a + g], n - a - g);
			uint32_t bit = (uint32_t)(h >> 44) & (GV_BLOOM_BITS - 1);
			if ((idx->bloom[bit / 64] & (1ULL << (bit % 64))) == 0)
				continue;
			for (size_t i = (h >> 20) & idx->gap_mask;
			     idx->gap[i].brand != GV_GAP_EMPTY;
			     i = (i + 1) & idx->gap_mask) {
				const struct gap_entry *e = &idx->gap[i];
				if (e->h != h || e->pre != a || e->suf != n - a - g)
					continue;
				const struct brand *br = &idx->brands[e->brand];
				unsigned edit = e->gap > g ? e->gap : (unsigned)g;
				if (edit > br->max_gap ||
				    memcmp(br->key, s, a) != 0 ||
				    memcmp(br->key + br->key_len - e->suf,
					   s + n - e->suf, e->suf) != 0 ||
				    cand_seen(q, e->brand, kind, label))
					continue;
				/* prefix and suffix agree: the distance is
				 * that of the two gaps (at most 2 bytes each) */
				unsigned d = gv_osa_distance(br->key + a, e->gap,
							     s + a, g, 2);
				/* below GV_LONG_BRAND a distance of two counts
				 * only as a doubled keystroke (circl -> c00cl);
				 * otherwise it is mostly another word
				 * (adobe/adage) */
				if (d > 2 || (d == 2 && br->key_len < GV_LONG_BRAND &&
				    !(g == 2 && s[a] == s[a + 1])))
					continue;
				cand_add(q, (struct cand){ .brand = e->brand,
					.kind = kind, .dist = d, .label = label });
			}
		}
}

static size_t label_of(const struct query *q, size_t pos)
{
	size_t l = 0;
	while (l + 1 < q->n_labels && pos >= q->ls[l + 1])
		l++;
	return l;
}

/* First automaton hit of (brand, label)? Records it. */
static bool first_hit(struct query *q, uint32_t brand, size_t label)
{
	uint32_t key = brand << 7 | (uint32_t)label;
	for (size_t i = 0; i < q->n_tried; i++)
		if (q->tried[i] == key)
			return false;
	if (q->n_tried < GV_ARRAY_LEN(q->tried))
		q->tried[q->n_tried++] = key;
	return true;
}

static bool sub_seen(const struct query *q, uint32_t brand, size_t ws, size_t we)
{
	for (size_t i = 0; i < q->n_cands; i++)
		if (q->c[i].brand == brand && q->c[i].kind == CAND_SUB &&
		    q->c[i].ws == ws && q->c[i].we == we)
			return true;
	return false;
}

/* The brand key p (m bytes) in t[ls, le) near the start `est` an intact
 * piece implies: 0 exactly there, 1 within one edit (the start may move by
 * one), 2 neither. Instead of a dynamic programme: a window W within one
 * edit of P has common prefix + common suffix covering all of P but the
 * edit, and mismatches usually end both scans after a byte or two. */
static unsigned near_match(const char *p, size_t m, const char *t, size_t ls,
			   size_t le, size_t est, size_t *ws_r, size_t *we_r)
{
	if (est >= ls && est + m <= le && memcmp(t + est, p, m) == 0) {
		*ws_r = est;
		*we_r = est + m;
		return 0;
	}
	for (size_t s = est > ls ? est - 1 : ls; s <= est + 1 && s < le; s++) {
		size_t pre = 0;
		while (pre < m && s + pre < le && t[s + pre] == p[pre])
			pre++;
		for (size_t L = m - 1; L <= m + 1; L++) {
			if (s + L > le || L == 0)
				continue;
			const char *w = t + s;
			size_t suf = 0, lim = L < m ? L : m;
			while (suf < lim && w[L - 1 - suf] == p[m - 1 - suf])
				suf++;
			size_t pr = pre < L ? pre : L;
			bool ok = L == m + 1 ? pr + suf >= m : pr + suf >= m - 1;
			if (!ok && L == m && pr + suf + 2 == m && pre + 1 < m &&
			    w[pre] == p[pre + 1] && w[pre + 1] == p[pre])
				ok = true; /* adjacent transposition */
			if (ok) {
				*ws_r = s;
				*we_r = s + L;
				return 1;
			}
		}
	}
	return 2;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

enum kw_class { KW_NONE, KW_NEUTRAL, KW_STRONG };
static enum kw_class all_keywords(const struct query *q, size_t from, size_t to);

/* Truncation: the brand's first p letters (p >= br->trunc_min: half the
 * key and GV_TRUNC_MIN at least, more than br->word_cut, not all of it)
 * starting at text offset s, optionally plural, either with nothing but
 * phishing keywords on its sides and one of them strong (ether-claim,
 * giftethers for ethereum), or as a whole hyphen token next to anything,
 * then cut by GV_TRUNC_TOKEN_CUT letters at most (get-ether). A cut alone
 * or glued to other words is too weak (ethernity, tether). The longest
 * cut that qualifies wins. */
static void truncation(struct query *q, uint32_t b, size_t l, size_t s)
{
	const struct brand *br = &q->idx->brands[b];
	size_t m = br->key_len, ls = q->ls[l], le = q->le[l];
	const char *t = q->text;
	size_t lcp = br->trunc_min, min = br->trunc_min;
	while (lcp < m && s + lcp < le && t[s + lcp] == br->key[lcp])
		lcp++;
	enum kw_class left = s > ls ? all_keywords(q, ls, s) : KW_NONE;
	bool ltok = s == ls || t[s - 1] == '-';
	if (s > ls && left == KW_NONE && !ltok)
		return;
	for (size_t p = lcp < m ? lcp : m - 1; p >= min; p--) {
		size_t r = s + p;
		if (r < le && t[r] == 's' && br->key[p] != 's')
			r++;
		/* a cut that leaves a keyword (service for servicenow),
		 * another protected brand (amazon for amazonaws) or a name
		 * before digits (annunci69) is that word or name */
		if (is_digit(br->key[p]) || gv_strset_has(&q->idx->keywords, br->key, p) ||
		    gv_strset_has(&q->idx->brand_keys, br->key, p))
			continue;
		enum kw_class right = r < le ? all_keywords(q, r, le) : KW_NONE;
		bool tok = ltok && (r == le || t[r] == '-') && (s > ls || r < le) &&
			   p + GV_TRUNC_TOKEN_CUT >= m;
		if (!tok && ((s > ls && left == KW_NONE) || (r < le && right == KW_NONE)))
			continue;
		if (!tok && left != KW_STRONG && right != KW_STRONG)
			continue;
		for (size_t i = 0; i < q->n_cands; i++)
			if (q->c[i].brand == b && q->c[i].kind == CAND_TRUNC &&
			    q->c[i].ws == s)
				return;
		cand_add(q, (struct cand){ .brand = b, .kind = CAND_TRUNC,
			.dist = (unsigned)(m - p), .label = l, .ws = s, .we = s + p });
		return;
	}
}

/* Distance of a whole label or hyphen token w (n bytes) from the brand,
 * at most br->k_ac (more: k_ac + 1). Four edits count only with the
 * brand's first and last two letters in place (myethereumwalket, not
 * bankofmarin or ledgerwallet). */
static unsigned far_edits(const struct brand *br, const char *w, size_t n)
{
	unsigned d = gv_osa_distance(br->key, br->key_len, w, n, br->k_ac);
	if (d == 4 && (n < 2 || memcmp(w, br->key, 2) != 0 ||
		       memcmp(w + n - 2, br->key + br->key_len - 2, 2) != 0))
		d = br->k_ac + 1;
	return d;
}

/* Automaton hit: brand value >> 8, whose key piece ending at key offset
 * value & 0xff ends at text offset `end`. Verified around the hit only:
 * the whole label (non-adjacent edits), the brand exactly at the implied
 * place, or within one edit in a window of m +- 1 there. */
static bool ac_hit(void *ctx, uint32_t value, size_t end)
{
	struct query *q = ctx;
	uint32_t b = value >> 8;
	size_t pend = value & 0xff;
	const struct brand *br = &q->idx->brands[b];
	size_t l = label_of(q, end - 1), m = br->key_len;
	size_t ls = q->ls[l], le = q->le[l], llen = le - ls;
	bool first = first_hit(q, b, l);
	/* the whole label once per (brand, label); the token and the place
	 * the piece implies at every hit: an earlier piece of the brand may
	 * hit elsewhere in the label (the "llet" of wallet-myetherwallet),
	 * and a label within k edits may also hold the brand intact next to
	 * a keyword (wwwmyetherwallet), which scores on its own */
	if (first && (llen > m ? llen - m : m - llen) <= br->k_ac) {
		unsigned d = far_edits(br, q->text + ls, llen);
		if (d <= br->k_ac) {
			cand_add(q, (struct cand){ .brand = b, .kind = CAND_WHOLE,
				.dist = d, .label = l });
		}
	}
	/* the hyphen-separated token holding the hit, as a whole
	 * (vintage-myethereswallet): same edits as a whole label */
	size_t ts = end - 1, te = end;
	while (ts > ls && q->text[ts - 1] != '-')
		ts--;
	while (te < le && q->text[te] != '-')
		te++;
	if ((ts > ls || te < le) && (te - ts > m ? te - ts - m : m - (te - ts)) <= br->k_ac &&
	    !sub_seen(q, b, ts, te)) {
		unsigned d = far_edits(br, q->text + ts, te - ts);
		if (d <= br->k_ac) {
			cand_add(q, (struct cand){ .brand = b, .kind = CAND_SUB,
				.dist = d, .label = l, .ws = ts, .we = te });
			return true;
		}
	}
	if (end < pend)
		return true;
	/* the first piece, followed by enough of the brand for a cut */
	if (pend == br->piece0 && br->trunc_min > 0 && end - pend + br->trunc_min <= le &&
	    memcmp(q->text + end, br->key + pend, br->trunc_min - pend) == 0)
		truncation(q, b, l, end - pend);
	size_t ws, we;
	unsigned d = near_match(br->key, m, q->text, ls, le, end - pend, &ws, &we);
	if ((d == 0 || (d == 1 && m >= 8)) && !sub_seen(q, b, ws, we))
		cand_add(q, (struct cand){ .brand = b, .kind = CAND_SUB,
			.dist = d, .label = l, .ws = ws, .we = we });
	return true;
}

/* Splits the label part of the name (before the suffix) into labels and
 * their keys. 1 ok, -1 cannot key (bad input). */
static int build_text(struct query *q)
{
	const struct gv_domain_name *n = q->name;
	size_t part_end = n->suffix_off == n->ascii_len && n->registrable_off == n->ascii_len
				  ? n->ascii_len
				  : n->suffix_off - 1;
	/* count ascii labels in the part, then walk unicode labels alike */
	size_t n_lab = 1;
	for (size_t i = 0; i < part_end; i++)
		n_lab += n->ascii[i] == '.';
	if (n_lab > MAX_LABELS)
		return -1;
	const char *u = n->unicode;
	size_t upos = 0, apos = 0;
	q->text_len = 0;
	q->n_labels = 0;
	for (size_t k = 0; k < n_lab; k++) {
		const char *ud = memchr(u + upos, '.', n->unicode_len - upos);
		size_t uend = ud != NULL ? (size_t)(ud - u) : n->unicode_len;
		const char *ad = memchr(n->ascii + apos, '.', n->ascii_len - apos);
		size_t aend = ad != NULL ? (size_t)(ad - n->ascii) : n->ascii_len;
		if (q->text_len + (k > 0) >= sizeof(q->text))
			return -1;
		if (k > 0)
			q->text[q->text_len++] = '.';
		int kl = gv_domain_key(u + upos, uend - upos, q->text + q->text_len,
				       sizeof(q->text) - q->text_len);
		if (kl < 0)
			return -1;
		q->ls[k] = q->text_len;
		q->le[k] = q->text_len + (size_t)kl;
		q->al[k] = apos;
		q->ae[k] = aend;
		q->text_len += (size_t)kl;
		q->n_labels++;
		upos = uend + 1;
		apos = aend + 1;
	}
	return 1;
}

/* ---- scoring ---- */

static bool is_boundary(char c)
{
	return c == '-' || (c >= '2' && c <= '9');
}

/* One keyword or its plural (wallets, tokens, bonuses): KW_NONE when
 * w[0, n) is none. */
static enum kw_class keyword(const struct gv_brand_index *idx, const char *w, size_t n)
{
	size_t k = n;
	if (!gv_strset_has(&idx->keywords, w, k) && n > 3 && w[n - 1] == 's') {
		k = n - 1;
		if (!gv_strset_has(&idx->keywords, w, k) && n > 4 && w[n - 2] == 'e' &&
		    w[n - 3] == 's')
			k = n - 2;
	}
	if (!gv_strset_has(&idx->keywords, w, k))
		return KW_NONE;
	return gv_strset_has(&idx->neutral, w, k) ? KW_NEUTRAL : KW_STRONG;
}

/* Longest built-in keyword with its plural ending ("verifications"). */
#define KW_MAX 14

/* A token of keywords written together (mywallet, claimbonus): the best
 * class of any split of w[0, n) into keywords, KW_NONE when there is none. */
static enum kw_class keyword_run(const struct gv_brand_index *idx, const char *w, size_t n)
{
	enum kw_class one = keyword(idx, w, n);
	if (one != KW_NONE || n > 64)
		return one;
	/* best[i]: best class of a split of w[0, i) (KW_NONE: none) */
	enum kw_class best[65];
	best[0] = KW_NEUTRAL;
	for (size_t i = 1; i <= n; i++) {
		best[i] = KW_NONE;
		for (size_t j = i > KW_MAX ? i - KW_MAX : 0; j + 2 <= i; j++) {
			if (best[j] == KW_NONE)
				continue;
			enum kw_class c = keyword(idx, w + j, i - j);
			if (c == KW_NONE)
				continue;
			if (best[j] == KW_STRONG)
				c = KW_STRONG;
			if (c > best[i])
				best[i] = c;
		}
	}
	return best[n];
}

/* text[from, to) as phishing keywords separated by hyphens or digits
 * ("account-verify", "recovery2022") or written together ("mywallet"):
 * KW_STRONG when all are keywords and one asks for credentials or money,
 * KW_NEUTRAL when all are neutral keywords (app, online, www), KW_NONE
 * otherwise or when empty. */
static enum kw_class all_keywords(const struct query *q, size_t from, size_t to)
{
	const char *t = q->text;
	bool any = false, strong = false;
	while (from < to) {
		size_t e = from;
		while (e < to && t[e] != '-' && !is_digit(t[e]))
			e++;
		if (e > from) {
			enum kw_class c = keyword_run(q->idx, t + from, e - from);
			if (c == KW_NONE)
				return KW_NONE;
			any = true;
			strong = strong || c == KW_STRONG;
		}
		from = e + 1;
	}
	return !any ? KW_NONE : strong ? KW_STRONG : KW_NEUTRAL;
}

/* A side of a brand inside a label is harmless to accept when it is empty,
 * separated by a hyphen or digit, a phishing keyword, "www" or the brand's
 * own suffix (paypalcom). */
static bool side_ok(const struct query *q, const struct brand *br,
		    size_t from, size_t to, bool left)
{
	const char *t = q->text;
	if (from == to)
		return true;
	if (left ? is_boundary(t[to - 1]) : is_boundary(t[from]))
		return true;
	size_t n = to - from;
	if ((n == 3 && memcmp(t + from, "www", 3) == 0) ||
	    (n == strlen(br->suffix) && memcmp(t + from, br->suffix, n) == 0))
		return true;
	return all_keywords(q, from, to) != KW_NONE;
}

static unsigned score_sub(const struct query *q, const struct cand *c,
			  const struct brand *br, enum gv_domain_technique *t_r)
{
	size_t m = br->key_len, ls = q->ls[c->label], le = q->le[c->label];
	const char *t = q->text;
	if (m < 4)
		return 0;
	bool lok = side_ok(q, br, ls, c->ws, true);
	bool rok = side_ok(q, br, c->we, le, false);
	/* A short brand inside a longer label is often just a word (mail,
	 * free, live): 4 letters need a phishing keyword next to it, up to
	 * GV_DISTINCT_BRAND both sides must be clean, longer brands one side; a
	 * near miss (distance 1) always needs both. */
	enum kw_class kl = c->ws > ls ? all_keywords(q, ls, c->ws) : KW_NONE;
	enum kw_class kr = c->we < le ? all_keywords(q, c->we, le) : KW_NONE;
	if (m == 4 && kl != KW_STRONG && kr != KW_STRONG)
		return 0;
	if (m == 4 && !(lok && rok))
		return 0;
	bool one_side = m >= GV_VERY_LONG_BRAND || (m >= GV_DISTINCT_BRAND && c->dist == 0);
	if (one_side ? !(lok || rok) : !(lok && rok))
		return 0;
	/* next to arbitrary words: reported for distinctive (long) brands
	 * only, see gv_domains_limits.min_score */
	/* a near miss that is a whole hyphen token (metsamask-home) counts
	 * like the brand itself */
	bool token = (c->ws == ls || t[c->ws - 1] == '-') &&
		     (c->we == le || t[c->we] == '-');
	unsigned plain = m >= GV_VERY_LONG_BRAND || (m >= GV_DISTINCT_BRAND && token) ? 70
			 : (m >= GV_DISTINCT_BRAND ? 70 : 60) - 10 * c->dist;
	/* phishing keywords on every side, one of them not neutral */
	bool kw = (c->ws == ls || kl != KW_NONE) && (c->we == le || kr != KW_NONE) &&
		  (kl == KW_STRONG || kr == KW_STRONG || c->dist > 0);
	/* a keyword never lowers the score the brand has without it
	 * (app-myetherwaliet: two edits, 65 with the keyword, 70 as a token) */
	unsigned kws = 85 - 10 * c->dist > plain ? 85 - 10 * c->dist : plain;
	if (c->label + 1 < q->n_labels) {
		*t_r = GV_TECH_BRAND_IN_SUBDOMAIN;
		return kw ? (80 - 10 * c->dist > plain ? 80 - 10 * c->dist : plain) : plain;
	}
	size_t rn = le - c->we;
	if (c->ws == ls && rn > 0 && rn <= 2 && t[le - 1] == 's' &&
	    (rn == 1 || t[c->we] == 'e')) {
		*t_r = GV_TECH_PLURAL;
		return 85 - 10 * c->dist;
	}
	size_t h = c->we < le && t[c->we] == '-' ? 1 : 0;
	if (c->ws == ls && rn - h == strlen(br->suffix) &&
	    memcmp(t + c->we + h, br->suffix, rn - h) == 0) {
		*t_r = GV_TECH_VARIOUS;
		return 80 - 10 * c->dist;
	}
	if (kw) {
		*t_r = GV_TECH_DICTIONARY;
		return kws;
	}
	*t_r = GV_TECH_BRAND_IN_LABEL;
	return plain;
}

/* Letters that pass for one another in lowercase (i, l, j; u, v). */
static bool similar_letter(char a, char b)
{
	static const char *const groups[] = { "ijl", "uv" };
	for (size_t g = 0; g < GV_ARRAY_LEN(groups); g++)
		if (strchr(groups[g], a) != NULL && strchr(groups[g], b) != NULL)
			return true;
	return a == b;
}

/* A typo of a "head + common word" brand (us + bank) that keeps the word
 * and changes only the head (isbank, sbank, hicloud) is another name of
 * the same shape, not this brand; unless the new head looks like the old
 * one (lcloud). */
static bool other_head(const struct brand *br, const char *k, size_t klen)
{
	size_t wl = br->key_len - br->head;
	if (br->head == 0 || klen < wl || klen > wl + br->head + 1 ||
	    memcmp(k + klen - wl, br->key + br->head, wl) != 0)
		return false;
	if (klen - wl != br->head)
		return true;
	for (size_t i = 0; i < br->head; i++)
		if (!similar_letter(k[i], br->key[i]))
			return true;
	return false;
}

static unsigned score_whole(const struct query *q, const struct cand *c,
			    const struct brand *br, enum gv_domain_technique *t_r)
{
	const struct gv_domain_name *n = q->name;
	size_t l = c->label;
	const char *al = n->ascii + q->al[l];
	size_t alen = q->ae[l] - q->al[l];
	bool idn = alen >= 4 && memcmp(al, "xn--", 4) == 0;

	if (br->core > 0) {
		/* the brand without its generic head: one edit at most */
		if (c->dist > 1)
			return 0;
		*t_r = l + 1 < q->n_labels ? GV_TECH_BRAND_IN_SUBDOMAIN : GV_TECH_OMISSION;
		return (l + 1 < q->n_labels ? 75 : 80) - 10 * c->dist;
	}
	if (l + 1 < q->n_labels) {
		if (c->dist > 0 && br->key_len < 6)
			return 0;
		*t_r = GV_TECH_BRAND_IN_SUBDOMAIN;
		/* followed by the brand's own suffix (myetherwalet.com.host.net):
		 * the name spells the brand's domain to the left of the real one */
		size_t sl = strcspn(br->suffix, ".");
		bool spelled = q->ae[l + 1] - q->al[l + 1] == sl &&
			       memcmp(n->ascii + q->al[l + 1], br->suffix, sl) == 0;
		unsigned s = 85 - 10 * c->dist + (spelled && c->dist > 0 ? 10 : 0);
		return s > 85 ? 85 : s;
	}
	if (c->dist == 0) {
		if (strlen(br->name) == alen && memcmp(br->name, al, alen) == 0) {
			*t_r = GV_TECH_TLD_SWAP;
			return 75;
		}
		*t_r = idn ? GV_TECH_IDN_HOMOGLYPH : GV_TECH_HOMOGLYPH;
		return 95;
	}
	if (other_head(br, q->text + q->ls[l], q->le[l] - q->ls[l])) {
		*t_r = GV_TECH_EDIT_DISTANCE;
		return 60;
	}
	if (idn) {
		*t_r = GV_TECH_IDN_HOMOGLYPH;
	} else {
		*t_r = gv_classify_typo(br->name, strlen(br->name), al, alen);
		if (*t_r == GV_TECH_EDIT_DISTANCE || *t_r == GV_TECH_HOMOGLYPH)
			*t_r = gv_classify_typo(br->key, br->key_len,
						q->text + q->ls[l],
						q->le[l] - q->ls[l]);
		if (*t_r == GV_TECH_HOMOGLYPH)
			*t_r = GV_TECH_EDIT_DISTANCE;
	}
	return c->dist == 1 ? 90 : c->dist == 2 ? 75 : 70;
}

static int pick_best(const struct query *q, struct gv_brand_match *m_r)
{
	unsigned best = 0;
	const struct cand *bc = NULL;
	enum gv_domain_technique bt = GV_TECH_NONE;
	for (size_t i = 0; i < q->n_cands; i++) {
		const struct cand *c = &q->c[i];
		const struct brand *br = &q->idx->brands[c->brand];
		enum gv_domain_technique t = GV_TECH_NONE;
		unsigned s;
		if (c->kind == CAND_SUB) {
			s = score_sub(q, c, br, &t);
		} else if (c->kind == CAND_TRUNC) {
			t = GV_TECH_TRUNCATION;
			s = 70;
		} else if (c->kind == CAND_DOT) {
			t = GV_TECH_SUBDOMAIN;
			s = br->core > 0 ? 0 : 85;
		} else {
			s = score_whole(q, c, br, &t);
		}
		/* a truncation names the brand only when nothing else does */
		if (s > best || (s == best && s > 0 && bc->kind == CAND_TRUNC &&
				 c->kind != CAND_TRUNC)) {
			best = s;
			bc = c;
			bt = t;
		}
	}
	if (bc == NULL || best < q->idx->limits.min_score)
		return 0;
	const struct gv_domain_name *n = q->name;
	m_r->brand = q->idx->brands[bc->brand].domain;
	m_r->technique = bt;
	m_r->score = best;
	m_r->distance = bc->dist;
	memcpy(m_r->registrable, n->ascii + n->registrable_off,
	       n->ascii_len - n->registrable_off + 1);
	if (n->registrable_off == n->ascii_len)
		memcpy(m_r->registrable, n->ascii, n->ascii_len + 1);
	return 1;
}

/* Candidate search over the first n_labels labels of the text built by
 * build_text; all_pairs also tries every adjacent pair for the dot
 * insertion (the first pass does not know the registrable label yet). */
static void find_candidates(struct query *q, size_t n_labels, bool all_pairs)
{
	const struct gv_brand_index *idx = q->idx;
	q->n_cands = 0;
	q->n_tried = 0;
	for (size_t l = 0; l < n_labels; l++)
		gap_lookup(q, q->text + q->ls[l], q->le[l] - q->ls[l], CAND_WHOLE, l);
	for (size_t l = all_pairs ? 1 : n_labels - 1; l < n_labels && l > 0; l++)
		gap_lookup(q, q->text + q->ls[l - 1], q->le[l] - q->ls[l - 1],
			   CAND_DOT, l);
	gv_ac_scan(idx->ac, q->text, q->le[n_labels - 1], ac_hit, q);
}

int gv_brand_index_match(const struct gv_brand_index *idx, const char *domain,
			 size_t len, struct gv_brand_match *m_r)
{
	struct gv_domain_name name;
	struct query q;
	const char *error;

	if (!idx->built)
		gv_brand_index_build((struct gv_brand_index *)idx);
	if (gv_domain_normalize_nosuffix(domain, len, &idx->limits, &name, &error) < 0)
		return -1;
	q.idx = idx;
	q.name = &name;
	q.max_cands = idx->limits.max_candidates;
	/* First pass over every label, suffix included: a superset of what
	 * the real pass can find. Most names end here, without the public
	 * suffix look-up. */
	if (build_text(&q) < 0)
		return -1;
	/* the last of several labels is always in the public suffix (or the
	 * name is a suffix itself and never reported) */
	find_candidates(&q, q.n_labels > 1 ? q.n_labels - 1 : 1, true);
	if (q.n_cands == 0)
		return 0;
	gv_domain_find_suffix(&name);
	const char *reg = name.ascii + name.registrable_off;
	size_t reg_len = name.ascii_len - name.registrable_off;
	/* a public suffix of several labels (github.io, krakow.pl) is not
	 * registrable by anyone, unless only a wildcard rule makes it one
	 * (circl.bd); one label under no suffix is still looked at (feeds
	 * and links carry such names) */
	if (reg_len == 0 && memchr(name.ascii, '.', name.ascii_len) != NULL) {
		if (!gv_domain_wildcard_suffix(&name))
			return 0;
		reg = name.ascii;
		reg_len = name.ascii_len;
	}
	if (reg_len == 0 && gv_domain_listed_suffix(&name))
		return 0;
	if (reg_len > 0 && gv_strset_has(&idx->owned, reg, reg_len))
		return 0;
	/* allow-listed: the name or a parent down to the registrable one */
	for (size_t off = 0; idx->allowed.n > 0 && off <= name.registrable_off;) {
		if (gv_strset_has(&idx->allowed, name.ascii + off, name.ascii_len - off))
			return 0;
		const char *dot = memchr(name.ascii + off, '.', name.ascii_len - off);
		if (dot == NULL)
			break;
		off = (size_t)(dot - name.ascii) + 1;
	}
	if (reg_len > 0 && gv_strset_has(&idx->owned_any, reg,
					 name.suffix_off - name.registrable_off - 1))
		return 0;
	if (build_text(&q) < 0)
		return -1;
	find_candidates(&q, q.n_labels, false);
	return pick_best(&q, m_r);
}
