/*
 * IMAP argument helpers: sequence sets ("1:*", "281:300", "1,3,7:9") and
 * FETCH item classification. Counts are capped so hostile sets such as
 * "1:4294967295,1:4294967295,…" cannot overflow.
 */
#include "watch/watch-private.h"

#include <string.h>

#define SEQ_MAX UINT64_C(4294967295)

static bool seq_num(const char **p, const char *end, uint64_t *n, bool *star)
{
	*star = false;
	if (*p < end && **p == '*') {
		(*p)++;
		*star = true;
		return true;
	}
	uint64_t v = 0;
	const char *s = *p;
	while (*p < end && **p >= '0' && **p <= '9' && *p - s < 10) {
		v = v * 10 + (uint64_t)(**p - '0');
		(*p)++;
	}
	if (*p == s || v == 0 || v > SEQ_MAX)
		return false;
	*n = v;
	return true;
}

size_t gv_watch_seqset(const char *args, size_t len, uint64_t size,
		       struct seqset_info *r)
{
	memset(r, 0, sizeof(*r));
	if (args == NULL || len == 0)
		return 0;
	const char *p = args, *end = args + len;
	bool unknown = false;
	for (;;) {
		uint64_t a = 0, b = 0;
		bool sa, sb;
		if (!seq_num(&p, end, &a, &sa))
			return 0;
		b = a;
		sb = sa;
		if (p < end && *p == ':') {
			p++;
			if (!seq_num(&p, end, &b, &sb))
				return 0;
		}
		if (sa && sb) {
			/* "*" or "*:*": the last message only */
			r->star = true;
			if (size)
				r->count += 1;
			else
				unknown = true;
		} else if (sa || sb) {
			uint64_t lo = sa ? b : a;
			r->star = true;
			if (lo == 1)
				r->whole = true;
			if (lo > r->max_num)
				r->max_num = lo;
			if (size == 0)
				unknown = true;
			else if (lo <= size)
				r->count += size - lo + 1;
		} else {
			uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
			r->count += hi - lo + 1;
			if (hi > r->max_num)
				r->max_num = hi;
		}
		if (r->count > SEQ_MAX)
			r->count = SEQ_MAX;
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		break;
	}
	if (p < end && *p != ' ')
		return 0;
	if (unknown)
		r->count = 0;
	return (size_t)(p - args);
}

/* BODY[...] / BODY.PEEK[...] / BINARY[...]: a body unless the section is
 * HEADER…, MIME or a part's header. RFC822 alone or RFC822.TEXT: body. */
bool gv_watch_fetch_is_body(const char *items, size_t len)
{
	static const char *secs[] = { "BODY[", "BODY.PEEK[", "BINARY[",
				      "BINARY.PEEK[" };
	if (items == NULL || len == 0)
		return false;
	for (size_t i = 0; i < GV_ARRAY_LEN(secs); i++) {
		const char *p = items, *end = items + len;
		size_t n = strlen(secs[i]);
		const char *hit;
		while ((hit = gv_memcasemem(p, (size_t)(end - p), secs[i], n))) {
			const char *s = hit + n;
			/* skip a part number "1.2." */
			while (s < end && ((*s >= '0' && *s <= '9') || *s == '.'))
				s++;
			if (!gv_mem_has_prefix_ci(s, (size_t)(end - s), "HEADER") &&
			    !gv_mem_has_prefix_ci(s, (size_t)(end - s), "MIME"))
				return true;
			p = hit + n;
		}
	}
	const char *p = items, *end = items + len, *hit;
	while ((hit = gv_memcasemem(p, (size_t)(end - p), "RFC822", 6))) {
		const char *s = hit + 6;
		if (s >= end || *s != '.' ||
		    gv_mem_has_prefix_ci(s, (size_t)(end - s), ".TEXT"))
			return true;
		p = s;
	}
	return false;
}
