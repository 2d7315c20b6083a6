/*
 * Feature extraction for the classifier: hashed, de-duplicated slot
 * indices. Every feature is a short string with a type prefix ("w:" word,
 * "b:" word pair, "s:" subject word, "ud:" URL domain, "r:" rule ...) hashed
 * into 2^bits slots. Trace headers (Received, Authentication-Results, the
 * receiving provider's X- headers) are deliberately left out: they describe
 * the path a message took to one mailbox, not the message, and a model that
 * learned them would learn the corpus, not the mail.
 */
#include <stdlib.h>
#include <string.h>

#include "learn/learn.h"

#define MAX_TEXT (32 * 1024)
#define MAX_TOKENS 1500

struct fx {
	struct gv_pool *pool;
	uint32_t mask;
	uint32_t *idx;
	uint32_t n, cap;
};

/* The prefix's hash seeds the value's (computed once per prefix). */
static uint64_t seed_of(const char *prefix)
{
	return gv_hash64(prefix, strlen(prefix), 0x6765);
}

static void add_seeded(struct fx *f, uint64_t seed, const char *s, size_t len)
{
	if (f->n >= GV_LEARN_MAX_FEATURES)
		return;
	f->idx[f->n++] = (uint32_t)gv_hash64(s, len, seed) & f->mask;
}

static void add(struct fx *f, const char *prefix, const char *s, size_t len)
{
	add_seeded(f, seed_of(prefix), s, len);
}

static void adds(struct fx *f, const char *prefix, const char *s)
{
	add(f, prefix, s, strlen(s));
}

static bool tok_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80 ||
	       c == '$';
}

/* Words and word pairs of folded text. */
static void words(struct fx *f, const char *text, size_t len, const char *wp,
		  const char *bp)
{
	if (len > MAX_TEXT)
		len = MAX_TEXT;
	const char *prev = NULL;
	size_t prev_len = 0, count = 0;
	uint64_t ws = seed_of(wp), bs = bp ? seed_of(bp) : 0;
	for (size_t i = 0; i < len && count < MAX_TOKENS;) {
		while (i < len && !tok_char((unsigned char)text[i]))
			i++;
		size_t s = i;
		while (i < len && tok_char((unsigned char)text[i]))
			i++;
		size_t l = i - s;
		if (l < 2 || l > 30)
			continue;
		const char *w = text + s;
		bool digits = true;
		for (size_t k = 0; k < l && digits; k++)
			digits = w[k] >= '0' && w[k] <= '9';
		if (digits) {
			/* numbers: their shape, not their value */
			w = l <= 2 ? "#2" : l <= 4 ? "#4" : "#n";
			l = 2;
		}
		add_seeded(f, ws, w, l);
		if (prev != NULL && bp != NULL) {
			char pair[64];
			size_t pl = prev_len + 1 + l;
			if (pl < sizeof(pair)) {
				memcpy(pair, prev, prev_len);
				pair[prev_len] = ' ';
				memcpy(pair + prev_len + 1, w, l);
				add_seeded(f, bs, pair, pl);
			}
		}
		prev = w;
		prev_len = l;
		count++;
	}
}

static const char *bucket(size_t n)
{
	return n == 0 ? "0" : n == 1 ? "1" : n <= 5 ? "2-5" : n <= 20 ? "6-20" : "21+";
}

static void url_features(struct fx *f, const struct gv_mail_message *m)
{
	adds(f, "un:", bucket(m->n_urls));
	for (size_t i = 0; i < m->n_urls && i < 200; i++) {
		const struct gv_mail_url *u = &m->urls[i];
		adds(f, "ud:", u->registrable);
		const char *tld = strrchr(u->host, '.');
		if (tld)
			adds(f, "ut:", tld + 1);
		if (u->flags & GV_URL_F_IP)
			adds(f, "uf:", "ip");
		if (u->flags & GV_URL_F_IDN)
			adds(f, "uf:", "idn");
		/* path tokens */
		const char *p = strstr(u->url, "://");
		p = p ? strchr(p + 3, '/') : NULL;
		if (p)
			words(f, p, strlen(p), "up:", NULL);
	}
}

static void sender_features(struct fx *f, struct gv_pool *pool,
			    const struct gv_mail_message *m)
{
	if (m->n_from == 0) {
		adds(f, "fd:", "-none-");
		return;
	}
	const struct gv_mail_addr *a = &m->from[0];
	const char *reg = gv_mail_registrable(pool, *a->domain ? a->domain : "-");
	adds(f, "fd:", reg);
	size_t folded;
	const char *dn = gv_scan_fold(pool, a->display, strlen(a->display), &folded);
	words(f, dn, strlen(dn), "fn:", NULL);
	if (folded)
		adds(f, "fn:", "-folded-");
	if (m->reply_to) {
		const char *rt = gv_mail_registrable(pool, *m->reply_to->domain
							   ? m->reply_to->domain : "-");
		adds(f, "rel:", strcmp(rt, reg) ? "rt-differs" : "rt-same");
	}
	for (size_t i = 0; i < m->n_to; i++)
		if (strcasecmp(m->to[i].addr, a->addr) == 0)
			adds(f, "rel:", "from-is-to");
	static const char *const semantic[] = { "In-Reply-To", "References",
						"List-Id", "List-Unsubscribe" };
	for (size_t i = 0; i < GV_ARRAY_LEN(semantic); i++)
		if (gv_mail_header(m, semantic[i]))
			adds(f, "h:", semantic[i]);
	const char *mailer = gv_mail_header(m, "X-Mailer");
	if (mailer == NULL)
		mailer = gv_mail_header(m, "User-Agent");
	if (mailer) {
		size_t l = strcspn(mailer, " /;(");
		add(f, "mailer:", mailer, l);
	}
}

static void structure_features(struct fx *f, const struct gv_scan_result *r)
{
	const struct gv_mail_message *m = r->msg;
	size_t html = 0, plain = 0;
	adds(f, "np:", bucket(m->n_parts));
	for (size_t i = 0; i < m->n_parts; i++) {
		const struct gv_mail_part *p = &m->parts[i];
		adds(f, "ct:", p->content_type);
		if (p->is_html)
			html += p->text_len;
		else if (p->is_text)
			plain += p->text_len;
		if (p->filename) {
			const char *dot = strrchr(p->filename, '.');
			adds(f, "ax:", dot ? dot + 1 : "-none-");
		}
	}
	adds(f, "tx:", html && !plain ? "html-only" : plain && !html ? "plain-only"
			: html ? "both" : "none");
	adds(f, "vt:", bucket(r->text_len / 200));
	for (size_t i = 0; i < r->n_files; i++)
		adds(f, "ft:", r->files[i].true_type);
}

/* LSD radix sort, four 8-bit digits: O(n) with a tiny count table,
 * where qsort's comparisons were a large share of the per-message cost. */
static void radix_sort(uint32_t *a, uint32_t n, uint32_t *tmp)
{
	for (int shift = 0; shift < 32; shift += 8) {
		uint32_t count[257] = { 0 };
		for (uint32_t i = 0; i < n; i++)
			count[((a[i] >> shift) & 0xFF) + 1]++;
		for (uint32_t i = 0; i < 256; i++)
			count[i + 1] += count[i];
		for (uint32_t i = 0; i < n; i++)
			tmp[count[(a[i] >> shift) & 0xFF]++] = a[i];
		memcpy(a, tmp, n * sizeof(uint32_t));
	}
}

void gv_learn_features(struct gv_pool *pool, const struct gv_scan_result *r,
		       unsigned bits, struct gv_learn_vec *v)
{
	if (bits < 10 || bits > 22)
		bits = 20;
	struct fx f = { .pool = pool, .mask = (1u << bits) - 1 };
	f.idx = gv_palloc(pool, GV_LEARN_MAX_FEATURES * sizeof(uint32_t));
	const struct gv_mail_message *m = r->msg;
	/* the engine folded subject and text once; words() caps the text */
	words(&f, r->subject_folded, strlen(r->subject_folded), "s:", "sb:");
	words(&f, r->text_folded, strlen(r->text_folded), "w:", "b:");
	for (size_t i = 0; i < r->n_findings; i++)
		if (strncmp(r->findings[i].rule, "learn.", 6) != 0)
			adds(&f, "r:", r->findings[i].rule);
	url_features(&f, m);
	sender_features(&f, pool, m);
	structure_features(&f, r);
	radix_sort(f.idx, f.n, gv_palloc(pool, (f.n + 1) * sizeof(uint32_t)));
	uint32_t o = 0;
	for (uint32_t i = 0; i < f.n; i++)
		if (o == 0 || f.idx[o - 1] != f.idx[i])
			f.idx[o++] = f.idx[i];
	v->idx = f.idx;
	v->n = o;
}
