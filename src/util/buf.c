/* Bounded growable buffer: every instance states its maximum up front (as
 * curl's dynbuf does); growing past it fails instead of eating memory. */
#include "util/util.h"

#include <stdio.h>
#include <string.h>

void gv_buf_init(struct gv_buf *buf, size_t max)
{
	gv_assert(max > 0);
	buf->data = NULL;
	buf->len = 0;
	buf->cap = 0;
	buf->max = max;
}

void gv_buf_free(struct gv_buf *buf)
{
	gv_free(buf->data);
	buf->data = NULL;
	buf->len = buf->cap = 0;
}

void gv_buf_reset(struct gv_buf *buf)
{
	buf->len = 0;
}

static int reserve(struct gv_buf *buf, size_t extra)
{
	if (extra > buf->max || buf->len > buf->max - extra)
		return -1;
	size_t need = buf->len + extra;
	if (need <= buf->cap)
		return 1;
	size_t cap = buf->cap ? buf->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > buf->max)
		cap = buf->max;
	buf->data = gv_realloc(buf->data, cap);
	buf->cap = cap;
	return 1;
}

int gv_buf_append(struct gv_buf *buf, const void *data, size_t len)
{
	if (len == 0)
		return 1;
	if (reserve(buf, len) < 0)
		return -1;
	memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	return 1;
}

int gv_buf_putc(struct gv_buf *buf, unsigned char c)
{
	if (buf->len < buf->cap) {
		buf->data[buf->len++] = c;
		return 1;
	}
	return gv_buf_append(buf, &c, 1);
}

int gv_buf_printf(struct gv_buf *buf, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(small))
		return gv_buf_append(buf, small, (size_t)n);
	if (reserve(buf, (size_t)n + 1) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf((char *)buf->data + buf->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf->len += (size_t)n;
	return 1;
}

const char *gv_buf_cstr(struct gv_buf *buf)
{
	if (reserve(buf, 1) < 0)
		return NULL;
	buf->data[buf->len] = '\0';
	return (const char *)buf->data;
}
