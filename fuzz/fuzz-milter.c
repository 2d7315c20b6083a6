/* libFuzzer target: the milter's own text handling (SMTP address
 * arguments, header reassembly under a size cap, log values and reply
 * text), the frames between the worker and its scanner processes, the
 * crash digest, and the splitting of milter protocol packets. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "milter/milter-private.h"
#include "milter/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gv_milter_frame f;
	if (gv_milter_frame_parse(data, size, 64, 1 << 20, &f) == 1) {
		for (size_t i = 0; i < f.n; i++)
			gv_assert(strlen(f.field[i]) <= f.len[i]);
		f.data = NULL; /* the fuzzer's buffer */
		gv_milter_frame_free(&f);
	}
	(void)gv_milter_digest(data, size, NULL, 1);
	/* the MTA's packets as the server splits them */
	for (size_t off = 0; off < size;) {
		char cmd;
		const unsigned char *d;
		size_t dl;
		long n = gv_milter_packet(data + off, size - off, &cmd, &d, &dl);
		if (n <= 0)
			break;
		gv_assert(d + dl <= data + size);
		off += (size_t)n;
	}
	if (size < 2)
		return 0;
	/* first byte: buffer cap; rest: "name\0value" */
	size_t cap = (size_t)data[0] * 4 + 1; /* gv_buf needs max > 0 */
	char *s = gv_malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	const char *value = s + strlen(s); /* after the first NUL, or "" */
	if (value < s + size - 1)
		value++;
	struct gv_pool *pool = gv_pool_new(4096);
	char *a = gv_milter_addr(pool, s);
	gv_assert(strlen(a) <= strlen(s));
	char *lv = gv_milter_logval(pool, value, 1000);
	gv_assert(strchr(lv, '\n') == NULL && strchr(lv, ' ') == NULL ? true : lv[0] == '"');
	char *t = gv_milter_safe_text(pool, s, 300);
	for (const char *p = t; *p; p++)
		gv_assert(*p >= 0x20 && *p < 0x7f && *p != '%');
	struct gv_buf b;
	gv_buf_init(&b, cap);
	gv_milter_append_header(&b, s, value, data[0] & 1);
	gv_assert(b.len <= cap);
	gv_buf_free(&b);
	gv_pool_free(&pool);
	gv_free(s);
	return 0;
}
