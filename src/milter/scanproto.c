/*
 * Frames between the worker and its scanner processes (format in
 * milter-private.h). A frame is read with as few reads as it takes (one
 * for a typical message: the request/reply protocol never has a second
 * frame in flight behind the first), then checked as a whole by
 * gv_milter_frame_parse, which is also the fuzz target's entry point.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "milter/milter-private.h"

#define HDR 8u

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

int gv_milter_frame_write(int fd, size_t n, const void *const *field,
			  const size_t *len)
{
	if (n == 0 || n > GV_MILTER_FRAME_MAX_FIELDS) {
		errno = EINVAL;
		return -1;
	}
	/* header + lengths in one small buffer, then each field and its NUL */
	size_t hlen = HDR + n * 8;
	unsigned char *h = gv_malloc(hlen);
	uint32_t magic = GV_MILTER_FRAME_MAGIC, cnt = (uint32_t)n;
	memcpy(h, &magic, 4);
	memcpy(h + 4, &cnt, 4);
	for (size_t i = 0; i < n; i++) {
		uint64_t l = (uint64_t)len[i] + 1;
		memcpy(h + HDR + i * 8, &l, 8);
	}
	static const char nul = '\0';
	size_t niov = 1 + 2 * n;
	struct iovec *iov = gv_calloc(niov, sizeof(*iov));
	iov[0] = (struct iovec){ h, hlen };
	for (size_t i = 0; i < n; i++) {
		iov[1 + 2 * i] = (struct iovec){ (void *)field[i], len[i] };
		iov[2 + 2 * i] = (struct iovec){ (void *)&nul, 1 };
	}
	int rc = 1;
	struct iovec *cur = iov;
	size_t left = niov;
	while (left > 0) {
		int batch = left > 1024 ? 1024 : (int)left; /* IOV_MAX */
		ssize_t w = writev(fd, cur, batch);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = -1;
			break;
		}
		size_t done = (size_t)w;
		while (left > 0 && done >= cur->iov_len) {
			done -= cur->iov_len;
			cur++;
			left--;
		}
		if (left > 0) {
			cur->iov_base = (char *)cur->iov_base + done;
			cur->iov_len -= done;
		}
	}
	gv_free(iov);
	gv_free(h);
	return rc;
}

int gv_milter_frame_parse(const unsigned char *p, size_t len, size_t max_fields,
			  uint64_t max_bytes, struct gv_milter_frame *f)
{
	memset(f, 0, sizeof(*f));
	if (len < HDR || get32(p) != GV_MILTER_FRAME_MAGIC)
		return -1;
	uint32_t n = get32(p + 4);
	if (n == 0 || n > max_fields || n > GV_MILTER_FRAME_MAX_FIELDS ||
	    len < HDR + (size_t)n * 8)
		return -1;
	uint64_t total = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t l = get64(p + HDR + (size_t)i * 8);
		if (l == 0 || l > max_bytes || total + l > max_bytes)
			return -1;
		total += l;
	}
	if ((uint64_t)(len - HDR - (size_t)n * 8) != total)
		return -1;
	f->n = n;
	f->field = gv_calloc(n, sizeof(*f->field));
	f->len = gv_calloc(n, sizeof(*f->len));
	const unsigned char *q = p + HDR + (size_t)n * 8;
	for (uint32_t i = 0; i < n; i++) {
		size_t l = (size_t)get64(p + HDR + (size_t)i * 8);
		if (q[l - 1] != '\0') {
			gv_milter_frame_free(f);
			return -1;
		}
		f->field[i] = (const char *)q;
		f->len[i] = l - 1;
		q += l;
	}
	return 1;
}

/* Waits for fd to become readable until the deadline (0 = none). 1 ready,
 * -2 timeout, -1 error. */
static int wait_readable(int fd, uint64_t deadline)
{
	for (;;) {
		int ms = -1;
		if (deadline) {
			uint64_t now = gv_now_ms();
			if (now >= deadline)
				return -2;
			ms = (int)(deadline - now > 1000000 ? 1000000 : deadline - now);
		}
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r = poll(&pfd, 1, ms);
		if (r > 0)
			return 1;
		if (r == 0)
			return -2;
		if (errno != EINTR)
			return -1;
	}
}

int gv_milter_frame_read(int fd, size_t max_fields, uint64_t max_bytes,
			 int timeout_ms, struct gv_milter_frame *f)
{
	memset(f, 0, sizeof(*f));
	uint64_t deadline = timeout_ms >= 0 ? gv_now_ms() + (uint64_t)timeout_ms : 0;
	size_t cap = 64 * 1024, have = 0, need = HDR;
	bool sized = false;
	unsigned char *buf = gv_malloc(cap);
	int rc = -1;
	for (;;) {
		if (have >= need) {
			if (sized)
				break;
			if (get32(buf) != GV_MILTER_FRAME_MAGIC)
				goto out;
			uint32_t n = get32(buf + 4);
			if (n == 0 || n > max_fields || n > GV_MILTER_FRAME_MAX_FIELDS)
				goto out;
			size_t hlen = HDR + (size_t)n * 8;
			if (have < hlen) {
				need = hlen;
			} else {
				uint64_t total = 0;
				for (uint32_t i = 0; i < n; i++) {
					uint64_t l = get64(buf + HDR + (size_t)i * 8);
					if (l == 0 || l > max_bytes || total + l > max_bytes)
						goto out;
					total += l;
				}
				need = hlen + (size_t)total;
				sized = true;
				if (have > need) /* the peer never sends ahead */
					goto out;
				if (have == need)
					break;
			}
			if (need > cap) {
				cap = need;
				buf = gv_realloc(buf, cap);
			}
		}
		int w = wait_readable(fd, deadline);
		if (w < 0) {
			rc = w;
			goto out;
		}
		ssize_t r = read(fd, buf + have, (sized ? need : cap) - have);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0) {
			rc = r == 0 && have == 0 ? 0 : -1;
			goto out;
		}
		have += (size_t)r;
	}
	if (gv_milter_frame_parse(buf, have, max_fields, max_bytes, f) < 0)
		goto out;
	f->data = buf;
	return 1;
out:
	gv_free(buf);
	return rc;
}

void gv_milter_frame_free(struct gv_milter_frame *f)
{
	gv_free(f->field);
	gv_free(f->len);
	gv_free(f->data);
	memset(f, 0, sizeof(*f));
}
