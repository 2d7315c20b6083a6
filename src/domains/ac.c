/*
 * Aho-Corasick automaton over bytes, used by the brand index to find brand
 * keys (or pieces of them) inside labels in one pass, whatever the number of
 * brands.
 *
 * The automaton is a dense transition table over byte classes: the bytes
 * that occur in some pattern each get a class, every other byte shares
 * class 0 (which always leads back to the root). With ~40 classes and a few
 * thousand states the table stays in the low megabytes and a scan is one
 * table load per input byte. Outputs of a state include those of its
 * suffix-link chain, merged at build time, so the scan never walks links.
 */
#include "domains/domains-private.h"

#include <string.h>

struct ac_pattern {
	uint32_t state;
	uint32_t value;
};

struct gv_ac {
	/* build-time trie: sparse edges */
	uint32_t *edge_head;	/* per state: first edge index + 1, 0 = none */
	struct ac_edge {
		uint32_t next_edge; /* +1, 0 = none */
		uint32_t to;
		unsigned char byte;
	} *edges;
	size_t n_states, cap_states, n_edges, cap_edges;
	struct ac_pattern *pats;
	size_t n_pats, cap_pats;
	/* built automaton */
	unsigned char cls[256];
	unsigned n_cls;
	uint32_t *delta;   /* n_states * n_cls */
	uint32_t *out_off; /* n_states + 1: outputs of s are out[out_off[s]..] */
	uint32_t *out;
	bool built;
};

struct gv_ac *gv_ac_new(void)
{
	struct gv_ac *ac = gv_calloc(1, sizeof(*ac));
	ac->cap_states = 64;
	ac->edge_head = gv_calloc(ac->cap_states, sizeof(uint32_t));
	ac->n_states = 1; /* root */
	return ac;
}

void gv_ac_free(struct gv_ac **acp)
{
	struct gv_ac *ac = *acp;
	if (ac == NULL)
		return;
	gv_free(ac->edge_head);
	gv_free(ac->edges);
	gv_free(ac->pats);
	gv_free(ac->delta);
	gv_free(ac->out_off);
	gv_free(ac->out);
	gv_free(ac);
	*acp = NULL;
}

static uint32_t trie_child(const struct gv_ac *ac, uint32_t s, unsigned char b)
{
	for (uint32_t e = ac->edge_head[s]; e != 0; e = ac->edges[e - 1].next_edge)
		if (ac->edges[e - 1].byte == b)
			return ac->edges[e - 1].to;
	return 0;
}

static uint32_t trie_add_child(struct gv_ac *ac, uint32_t s, unsigned char b)
{
	if (ac->n_states == ac->cap_states) {
		ac->cap_states *= 2;
		ac->edge_head = gv_realloc(ac->edge_head,
			gv_mul_size(ac->cap_states, sizeof(uint32_t)));
	}
	if (ac->n_edges == ac->cap_edges) {
		ac->cap_edges = ac->cap_edges == 0 ? 64 : ac->cap_edges * 2;
		ac->edges = gv_realloc(ac->edges,
			gv_mul_size(ac->cap_edges, sizeof(*ac->edges)));
	}
	uint32_t to = (uint32_t)ac->n_states++;
	ac->edge_head[to] = 0;
	ac->edges[ac->n_edges] = (struct ac_edge){
		.next_edge = ac->edge_head[s], .to = to, .byte = b };
	ac->edge_head[s] = (uint32_t)++ac->n_edges;
	return to;
}

void gv_ac_add(struct gv_ac *ac, const char *pat, size_t len, uint32_t value)
{
	gv_assert(!ac->built && len > 0);
	uint32_t s = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char b = (unsigned char)pat[i];
		uint32_t c = trie_child(ac, s, b);
		s = c != 0 ? c : trie_add_child(ac, s, b);
		if (ac->cls[b] == 0)
			ac->cls[b] = (unsigned char)++ac->n_cls;
	}
	if (ac->n_pats == ac->cap_pats) {
		ac->cap_pats = ac->cap_pats == 0 ? 64 : ac->cap_pats * 2;
		ac->pats = gv_realloc(ac->pats,
			gv_mul_size(ac->cap_pats, sizeof(*ac->pats)));
	}
	ac->pats[ac->n_pats++] = (struct ac_pattern){ .state = s, .value = value };
}

/* Builds delta (goto completed with failure transitions, in BFS order) and
 * the merged output lists. */
void gv_ac_build(struct gv_ac *ac)
{
	gv_assert(!ac->built);
	gv_assert(ac->n_cls < 255);
	size_t n = ac->n_states, nc = (size_t)ac->n_cls + 1;
	uint32_t *fail = gv_calloc(n, sizeof(uint32_t));
	uint32_t *queue = gv_malloc(gv_mul_size(n, sizeof(uint32_t)));
	ac->delta = gv_calloc(gv_mul_size(n, nc), sizeof(uint32_t));
	size_t qh = 0, qt = 0;

	for (uint32_t e = ac->edge_head[0]; e != 0; e = ac->edges[e - 1].next_edge) {
		const struct ac_edge *ed = &ac->edges[e - 1];
		ac->delta[ac->cls[ed->byte]] = ed->to;
		queue[qt++] = ed->to;
	}
	while (qh < qt) {
		uint32_t s = queue[qh++];
		/* default: the failure state's transitions */
		memcpy(&ac->delta[s * nc], &ac->delta[fail[s] * nc],
		       nc * sizeof(uint32_t));
		ac->delta[s * nc] = 0; /* class 0 always resets */
		for (uint32_t e = ac->edge_head[s]; e != 0;
		     e = ac->edges[e - 1].next_edge) {
			const struct ac_edge *ed = &ac->edges[e - 1];
			unsigned c = ac->cls[ed->byte];
			fail[ed->to] = ac->delta[fail[s] * nc + c];
			ac->delta[s * nc + c] = ed->to;
			queue[qt++] = ed->to;
		}
	}
	/* own pattern counts, then merged along failure links in BFS order
	 * (a state's failure target is always earlier in the queue). */
	uint32_t *own = gv_calloc(n + 1, sizeof(uint32_t));
	for (size_t i = 0; i < ac->n_pats; i++)
		own[ac->pats[i].state]++;
	uint32_t *total = gv_calloc(n, sizeof(uint32_t));
	total[0] = own[0];
	for (size_t i = 0; i < qt; i++)
		total[queue[i]] = own[queue[i]] + total[fail[queue[i]]];
	ac->out_off = gv_calloc(n + 1, sizeof(uint32_t));
	for (size_t s = 0; s < n; s++)
		ac->out_off[s + 1] = ac->out_off[s] + total[s];
	ac->out = gv_calloc(ac->out_off[n] + 1, sizeof(uint32_t));
	uint32_t *fill = gv_calloc(n, sizeof(uint32_t));
	for (size_t i = 0; i < ac->n_pats; i++) {
		uint32_t s = ac->pats[i].state;
		ac->out[ac->out_off[s] + fill[s]++] = ac->pats[i].value;
	}
	for (size_t i = 0; i < qt; i++) {
		uint32_t s = queue[i], f = fail[s];
		for (uint32_t k = 0; k < total[f]; k++)
			ac->out[ac->out_off[s] + fill[s]++] = ac->out[ac->out_off[f] + k];
	}
	gv_free(fill);
	gv_free(total);
	gv_free(own);
	gv_free(queue);
	gv_free(fail);
	ac->built = true;
}

void gv_ac_scan(const struct gv_ac *ac, const char *text, size_t len,
		bool (*fn)(void *ctx, uint32_t value, size_t end), void *ctx)
{
	gv_assert(ac->built);
	size_t nc = (size_t)ac->n_cls + 1;
	uint32_t s = 0;
	for (size_t i = 0; i < len; i++) {
		s = ac->delta[s * nc + ac->cls[(unsigned char)text[i]]];
		for (uint32_t k = ac->out_off[s]; k < ac->out_off[s + 1]; k++)
			if (!fn(ctx, ac->out[k], i + 1))
				return;
	}
}
