/*
 * Pure helpers of the milter: address arguments, header and reply text,
 * log values, message reassembly, packet splitting. No I/O here, so they are unit
 * tested directly (test-milter.c).
 */
#include <stdio.h>
#include <string.h>

#include "milter/milter.h"
#include "milter/proto.h"

char *gv_milter_addr(struct gv_pool *pool, const char *arg)
{
	if (arg == NULL)
		return gv_pstrdup(pool, "");
	while (*arg == ' ' || *arg == '\t')
		arg++;
	if (*arg == '<') {
		const char *end = strchr(arg + 1, '>');
		size_t n = end ? (size_t)(end - arg - 1) : strlen(arg + 1);
		return gv_pstrndup(pool, arg + 1, n);
	}
	return gv_pstrndup(pool, arg, strcspn(arg, " \t"));
}

static bool printable(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

char *gv_milter_safe_text(struct gv_pool *pool, const char *s, size_t max)
{
	size_t n = s ? strnlen(s, max) : 0;
	char *out = gv_palloc(pool, n + 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = printable(c) && c != '%' ? (char)c : '?';
	}
	out[n] = '\0';
	return out;
}

char *gv_milter_reasons(struct gv_pool *pool, const struct gv_scan_result *r,
			size_t max_reasons, size_t max_len)
{
	struct gv_buf b;
	gv_buf_init(&b, max_len + 1);
	size_t shown = 0;
	for (size_t i = 0; r && i < r->n_findings && shown < max_reasons; i++) {
		const struct gv_finding *f = &r->findings[i];
		if (f->score <= 0)
			continue;
		char item[200];
		snprintf(item, sizeof(item), "%s%s(%d)", shown ? ", " : "",
			 f->rule ? f->rule : "?", f->score);
		if (b.len + strlen(item) > max_len)
			break;
		gv_buf_append(&b, item, strlen(item));
		shown++;
	}
	const char *s = gv_buf_cstr(&b);
	char *out = gv_milter_safe_text(pool, s ? s : "", max_len);
	gv_buf_free(&b);
	return out;
}

char *gv_milter_logval(struct gv_pool *pool, const char *s, size_t max)
{
	size_t n = s ? strnlen(s, max) : 0;
	bool plain = n > 0;
	for (size_t i = 0; i < n && plain; i++) {
		unsigned char c = (unsigned char)s[i];
		plain = printable(c) && c != ' ' && c != '"' && c != '\\' && c != '=';
	}
	if (plain)
		return gv_pstrndup(pool, s, n);
	char *out = gv_palloc(pool, n * 4 + 3), *o = out;
	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (printable(c)) {
			*o++ = (char)c;
		} else {
			static const char hex[] = "0123456789abcdef";
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

int gv_milter_append_header(struct gv_buf *msg, const char *name,
			    const char *value, bool leadspc)
{
	if (gv_buf_append(msg, name, strlen(name)) < 0 || gv_buf_putc(msg, ':') < 0)
		return -1;
	if (!leadspc && gv_buf_putc(msg, ' ') < 0)
		return -1;
	for (const char *p = value ? value : ""; *p; p++) {
		if (*p == '\n' && (p == value || p[-1] != '\r') &&
		    gv_buf_putc(msg, '\r') < 0)
			return -1;
		if (gv_buf_putc(msg, (unsigned char)*p) < 0)
			return -1;
	}
	return gv_buf_append(msg, "\r\n", 2);
}

uint64_t gv_milter_digest(const unsigned char *msg, size_t len, const char *from,
			  uint64_t seed)
{
	/* header fields one at a time (a field = its line and the folded
	 * lines after it); Received fields are left out: the MTA adds one
	 * with its queue id and the time to every attempt */
	uint64_t h = seed;
	size_t p = 0;
	while (p < len) {
		size_t end = p;
		for (;;) {
			const unsigned char *nl = memchr(msg + end, '\n', len - end);
			end = nl ? (size_t)(nl - msg) + 1 : len;
			if (end >= len || (msg[end] != ' ' && msg[end] != '\t'))
				break;
		}
		bool blank = msg[p] == '\n' || (msg[p] == '\r' && p + 1 < len && msg[p + 1] == '\n');
		if (blank)
			break;
		if (!gv_mem_has_prefix_ci((const char *)msg + p, end - p, "received:"))
			h = gv_hash64(msg + p, end - p, h);
		p = end;
	}
	h = gv_hash64(msg + p, len - p, h); /* the blank line and the body */
	return gv_hash64(from ? from : "", from ? strlen(from) : 0, h);
}

long gv_milter_packet(const unsigned char *buf, size_t len, char *cmd_r,
		      const unsigned char **data_r, size_t *len_r)
{
	if (len < 4)
		return 0;
	uint32_t n = ((uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3]);
	if (n == 0 || n > GV_MILTER_MAX_PACKET)
		return -1;
	if (len - 4 < n)
		return 0;
	*cmd_r = (char)buf[4];
	*data_r = buf + 5;
	*len_r = n - 1;
	return (long)n + 4;
}
