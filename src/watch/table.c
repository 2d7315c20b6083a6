/*
 * Open-addressing hash table (linear probing, backward-shift deletion) of
 * items that start with struct wkey. The table does not own the items.
 * Kept at most half full so probes stay short.
 */
#include "watch/watch-private.h"

#include <string.h>

uint64_t wtable_hash(const char *key, size_t len)
{
	return gv_hash64(key, len, 0x67656e65ULL);
}

void wtable_init(struct wtable *t)
{
	t->cap = 64;
	t->count = 0;
	t->slots = gv_calloc(t->cap, sizeof(*t->slots));
}

void wtable_free(struct wtable *t)
{
	gv_free(t->slots);
	t->slots = NULL;
	t->cap = t->count = 0;
}

void *wtable_get(const struct wtable *t, const char *key, size_t len,
		 uint64_t hash)
{
	size_t mask = t->cap - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		struct wkey *k = t->slots[i];
		if (k == NULL)
			return NULL;
		if (k->hash == hash && k->len == len &&
		    memcmp(k->key, key, len) == 0)
			return k;
	}
}

static void insert(struct wkey **slots, size_t cap, struct wkey *item)
{
	size_t mask = cap - 1;
	size_t i = item->hash & mask;
	while (slots[i] != NULL)
		i = (i + 1) & mask;
	slots[i] = item;
}

void wtable_put(struct wtable *t, struct wkey *item)
{
	if ((t->count + 1) * 2 > t->cap) {
		size_t ncap = gv_mul_size(t->cap, 2);
		struct wkey **ns = gv_calloc(ncap, sizeof(*ns));
		for (size_t i = 0; i < t->cap; i++)
			if (t->slots[i] != NULL)
				insert(ns, ncap, t->slots[i]);
		gv_free(t->slots);
		t->slots = ns;
		t->cap = ncap;
	}
	insert(t->slots, t->cap, item);
	t->count++;
}

void wtable_del(struct wtable *t, struct wkey *item)
{
	size_t mask = t->cap - 1;
	size_t i = item->hash & mask;
	while (t->slots[i] != item) {
		gv_assert(t->slots[i] != NULL);
		i = (i + 1) & mask;
	}
	t->slots[i] = NULL;
	t->count--;
	/* Move later members of the probe run back into the hole. */
	for (size_t j = (i + 1) & mask; t->slots[j] != NULL;
	     j = (j + 1) & mask) {
		size_t home = t->slots[j]->hash & mask;
		/* j's item may fill hole i if i lies on its probe path */
		bool movable = i <= j ? (home <= i || home > j)
				      : (home <= i && home > j);
		if (movable) {
			t->slots[i] = t->slots[j];
			t->slots[j] = NULL;
			i = j;
		}
	}
}
