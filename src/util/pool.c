/* Alloc-only memory pool. One pool per scanned message owns the MIME tree,
 * decoded text and findings; it is freed as a whole when the scan ends, so
 * analyzers never free individual objects. Large requests get their own
 * block so a huge part does not waste a standard block's tail. */
#include "util/util.h"

#include <stdio.h>
#include <string.h>

#define POOL_ALIGN 16

struct pool_block {
	struct pool_block *next;
	size_t size;
	size_t used;
	unsigned char data[] __attribute__((aligned(POOL_ALIGN)));
};

struct gv_pool {
	struct pool_block *head;
	size_t block_size;
	size_t used;
};

static struct pool_block *block_new(size_t size)
{
	struct pool_block *b = gv_malloc(sizeof(*b) + size);
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

struct gv_pool *gv_pool_new(size_t block_size)
{
	struct gv_pool *pool = gv_calloc(1, sizeof(*pool));
	pool->block_size = block_size < 1024 ? 1024 : block_size;
	pool->head = block_new(pool->block_size);
	return pool;
}

void gv_pool_free(struct gv_pool **poolp)
{
	struct gv_pool *pool = *poolp;
	if (pool == NULL)
		return;
	for (struct pool_block *b = pool->head, *next; b != NULL; b = next) {
		next = b->next;
		gv_free(b);
	}
	gv_free(pool);
	*poolp = NULL;
}

void *gv_palloc(struct gv_pool *pool, size_t size)
{
	size_t need = (size + POOL_ALIGN - 1) & ~(size_t)(POOL_ALIGN - 1);
	if (need < size)
		gv_fatal("pool request overflow (%zu bytes)", size);
	struct pool_block *b = pool->head;
	if (b->size - b->used < need) {
		if (need > pool->block_size / 4) {
			/* Big request: a block of its own, kept behind the
			 * current one so the current tail stays usable. */
			struct pool_block *big = block_new(need);
			big->used = need;
			big->next = b->next;
			b->next = big;
			pool->used += need;
			memset(big->data, 0, need);
			return big->data;
		}
		b = block_new(pool->block_size);
		b->next = pool->head;
		pool->head = b;
	}
	void *p = b->data + b->used;
	b->used += need;
	pool->used += need;
	memset(p, 0, need);
	return p;
}

char *gv_pstrndup(struct gv_pool *pool, const char *s, size_t n)
{
	char *p = gv_palloc(pool, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *gv_pstrdup(struct gv_pool *pool, const char *s)
{
	return gv_pstrndup(pool, s, strlen(s));
}

char *gv_psprintf(struct gv_pool *pool, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		gv_fatal("bad format string");
	char *p = gv_palloc(pool, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

size_t gv_pool_used(const struct gv_pool *pool)
{
	return pool->used;
}
