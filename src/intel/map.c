/*
 * Two small open-addressing hash maps used by the store:
 *  - the entity cache, (kind, value) -> entity id, so a busy writer does not
 *    query the database for every sender and domain it has seen before;
 *  - the batch aggregator, (a, b, c) -> sums, so one transaction touches each
 *    entity / relation / rollup row once however many events mention it.
 * Both are bounded: the cache empties itself when full (ids are re-read from
 * the store), the aggregator grows (it lives for one batch only).
 */
#include "intel/intel-map.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* ---- entity cache ---- */

struct cache_slot {
	uint64_t hash; /* 0: empty */
	int64_t id;
	char *value;
	int kind;
};

struct intel_cache {
	struct cache_slot *slots;
	size_t cap, used, max;
	uint64_t seed; /* per cache, random: values come from mail */
};

struct intel_cache *intel_cache_new(size_t max_entries)
{
	struct intel_cache *c = gv_calloc(1, sizeof(*c));
	c->max = max_entries < 64 ? 64 : max_entries;
	c->cap = 1024;
	c->slots = gv_calloc(c->cap, sizeof(*c->slots));
	if (getrandom(&c->seed, sizeof(c->seed), 0) != sizeof(c->seed))
		c->seed = (uint64_t)(uintptr_t)c ^ gv_now_us();
	return c;
}

static void cache_empty(struct intel_cache *c)
{
	for (size_t i = 0; i < c->cap; i++)
		gv_free(c->slots[i].value);
	memset(c->slots, 0, c->cap * sizeof(*c->slots));
	c->used = 0;
}

void intel_cache_free(struct intel_cache **cp)
{
	struct intel_cache *c = *cp;
	if (c == NULL)
		return;
	cache_empty(c);
	gv_free(c->slots);
	gv_free(c);
	*cp = NULL;
}

void intel_cache_reset(struct intel_cache *c)
{
	cache_empty(c);
}

/* Eight bytes per step (the byte-wise gv_hash64 was a tenth of the
 * ingest's own CPU time on URLs and hashes), mixed with a random seed. */
static uint64_t cache_hash(const struct intel_cache *c, int kind,
			   const char *value)
{
	size_t len = strlen(value);
	uint64_t h = c->seed ^ ((uint64_t)kind << 56) ^
		     (len * 0x9e3779b97f4a7c15ull);
	const char *p = value;
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 29;
	}
	uint64_t w = 0;
	memcpy(&w, p, len);
	h = (h ^ w) * 0x94d049bb133111ebull;
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	return h ? h : 1;
}

int64_t intel_cache_get(struct intel_cache *c, int kind, const char *value)
{
	uint64_t h = cache_hash(c, kind, value);
	for (size_t i = h & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
		struct cache_slot *s = &c->slots[i];
		if (s->hash == 0)
			return 0;
		if (s->hash == h && s->kind == kind &&
		    strcmp(s->value, value) == 0)
			return s->id;
	}
}

static void cache_insert(struct cache_slot *slots, size_t cap,
			 struct cache_slot in)
{
	for (size_t i = in.hash & (cap - 1);; i = (i + 1) & (cap - 1))
		if (slots[i].hash == 0) {
			slots[i] = in;
			return;
		}
}

void intel_cache_put(struct intel_cache *c, int kind, const char *value,
		     int64_t id)
{
	/* A key already present is updated (cluster parents change). */
	uint64_t h = cache_hash(c, kind, value);
	for (size_t i = h & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
		struct cache_slot *s = &c->slots[i];
		if (s->hash == 0)
			break;
		if (s->hash == h && s->kind == kind &&
		    strcmp(s->value, value) == 0) {
			s->id = id;
			return;
		}
	}
	if (c->used >= c->max)
		cache_empty(c);
	if ((c->used + 1) * 2 > c->cap) {
		size_t ncap = c->cap * 2;
		struct cache_slot *ns = gv_calloc(ncap, sizeof(*ns));
		for (size_t i = 0; i < c->cap; i++)
			if (c->slots[i].hash != 0)
				cache_insert(ns, ncap, c->slots[i]);
		gv_free(c->slots);
		c->slots = ns;
		c->cap = ncap;
	}
	struct cache_slot s = { .hash = h,
				.id = id,
				.value = gv_strdup(value),
				.kind = kind };
	cache_insert(c->slots, c->cap, s);
	c->used++;
}

/* ---- batch aggregator ---- */

void intel_agg_init(struct intel_agg *a)
{
	intel_agg_init_for(a, 0);
}

/* Zeroed slots on cache-line boundaries (a slot is one line). */
static struct intel_agg_slot *slots_alloc(size_t n)
{
	void *p = NULL;
	size_t size = gv_mul_size(n, sizeof(struct intel_agg_slot));
	if (posix_memalign(&p, 64, size) != 0)
		gv_fatal("out of memory (%zu bytes)", size);
	memset(p, 0, size);
	return p;
}

void intel_agg_init_for(struct intel_agg *a, size_t expected)
{
	memset(a, 0, sizeof(*a));
	a->cap = 256;
	while (a->cap < expected * 2 && a->cap < ((size_t)1 << 28))
		a->cap *= 2;
	a->slots = slots_alloc(a->cap);
}

void intel_agg_free(struct intel_agg *a)
{
	gv_free(a->slots);
	memset(a, 0, sizeof(*a));
}

/* Keys are ids, days and types the store assigns (no mail-controlled
 * bytes): a multiply-xorshift mix, not a byte-wise string hash. */
static uint64_t agg_hash(int64_t k0, int64_t k1, int64_t k2)
{
	uint64_t h = (uint64_t)k0 * 0x9e3779b97f4a7c15ull ^
		     (uint64_t)k1 * 0xc2b2ae3d27d4eb4full ^
		     (uint64_t)k2 * 0x165667b19e3779f9ull;
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	return h;
}

static void agg_grow(struct intel_agg *a)
{
	size_t ncap = a->cap * 2;
	struct intel_agg_slot *ns = slots_alloc(ncap);
	for (size_t i = 0; i < a->cap; i++) {
		const struct intel_agg_slot *o = &a->slots[i];
		if (!intel_agg_used(o))
			continue;
		size_t j = agg_hash(o->k[0], o->k[1], o->k[2]) & (ncap - 1);
		while (intel_agg_used(&ns[j]))
			j = (j + 1) & (ncap - 1);
		ns[j] = *o;
	}
	gv_free(a->slots);
	a->slots = ns;
	a->cap = ncap;
}

void intel_agg_add(struct intel_agg *a, int64_t k0, int64_t k1, int64_t k2,
		   int64_t ts, bool malicious, double score)
{
	if ((a->used + 1) * 2 > a->cap)
		agg_grow(a);
	size_t i = agg_hash(k0, k1, k2) & (a->cap - 1);
	struct intel_agg_slot *s;
	for (;; i = (i + 1) & (a->cap - 1)) {
		s = &a->slots[i];
		if (!intel_agg_used(s)) {
			*s = (struct intel_agg_slot){ .k = { k0, k1, k2 },
						      .first = ts,
						      .last = ts,
						      .max_score = score };
			a->used++;
			break;
		}
		if (s->k[0] == k0 && s->k[1] == k1 && s->k[2] == k2)
			break;
	}
	s->count++;
	if (malicious)
		s->malicious++;
	if (ts < s->first)
		s->first = ts;
	if (ts > s->last)
		s->last = ts;
	if (score > s->max_score)
		s->max_score = score;
}

/* ---- sorting records by three integer keys ---- */

/* Byte d (0 = least significant) of key word w, with the sign bit
 * flipped so negative keys order before positive ones. */
static unsigned key_byte(const unsigned char *rec, unsigned w, unsigned d)
{
	int64_t k;
	memcpy(&k, rec + w * sizeof(int64_t), sizeof(k));
	uint64_t u = (uint64_t)k ^ (UINT64_C(1) << 63);
	return (unsigned)(u >> (8 * d)) & 0xff;
}

/* LSD radix sort, one pass per key byte, least significant first; a byte
 * that is the same in every record costs only its histogram. Ids, days
 * and types use few of their bytes, so a batch's maps sort in 6-8 passes
 * instead of qsort's ~20 indirect comparisons per record (bench). */
void intel_sort3(void *base, size_t n, size_t size)
{
	gv_assert(size >= 3 * sizeof(int64_t));
	if (n < 2)
		return;
	unsigned char *a = base, *tmp = gv_malloc(gv_mul_size(n, size));
	unsigned char *src = a, *dst = tmp;
	size_t count[256];
	for (int w = 2; w >= 0; w--) {
		for (unsigned d = 0; d < 8; d++) {
			memset(count, 0, sizeof(count));
			for (size_t i = 0; i < n; i++)
				count[key_byte(src + i * size, (unsigned)w, d)]++;
			if (count[key_byte(src, (unsigned)w, d)] == n)
				continue; /* all alike: order unchanged */
			size_t pos = 0;
			for (unsigned v = 0; v < 256; v++) {
				size_t c = count[v];
				count[v] = pos;
				pos += c;
			}
			for (size_t i = 0; i < n; i++) {
				const unsigned char *r = src + i * size;
				memcpy(dst + count[key_byte(r, (unsigned)w, d)]++ * size,
				       r, size);
			}
			unsigned char *t = src;
			src = dst;
			dst = t;
		}
	}
	if (src != a)
		memcpy(a, src, n * size);
	gv_free(tmp);
}
