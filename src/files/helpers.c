/*
 * helpers.c — byte search, base64 and zlib inflation shared by the files
 * inspectors. Every decoder writes into a gv_buf whose max bounds the output.
 */
#include <string.h>
#include <zlib.h>

#include "files/files-private.h"

const unsigned char *gvf_memmem(const unsigned char *hay, size_t len,
				const char *needle)
{
	if (len == 0)
		return NULL;
	return memmem(hay, len, needle, strlen(needle));
}

bool gvf_contains_ci(const unsigned char *hay, size_t len, const char *needle)
{
	return len > 0 &&
	       gv_memcasemem((const char *)hay, len, needle, strlen(needle)) != NULL;
}

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

size_t gvf_base64_decode(const unsigned char *in, size_t len,
			 struct gv_buf *out)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = in[i];
		int v;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			/* Padding ends the data; swallow the rest of it. */
			while (i + 1 < len && (in[i + 1] == '=' || in[i + 1] == '\r' ||
					       in[i + 1] == '\n'))
				i++;
			i++;
			break;
		}
		v = b64val(c);
		if (v < 0)
			break;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (gv_buf_putc(out, (unsigned char)(acc >> bits)) < 0)
				return i;
		}
	}
	return i;
}

int gvf_inflate(const unsigned char *data, size_t len, bool zlib_header,
		struct gv_buf *out)
{
	unsigned char chunk[16384];
	z_stream z;
	int ret, result = 1;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, zlib_header ? 15 : -15) != Z_OK)
		return -1;
	/* zlib counts input in uInt: feed at most 1 GiB per call. */
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)(len > (1u << 30) ? (1u << 30) : len);
	for (;;) {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		ret = inflate(&z, Z_NO_FLUSH);
		if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR) {
			result = -1;
			ret = Z_STREAM_END;
		}
		if (sizeof(chunk) - z.avail_out > 0 &&
		    gv_buf_append(out, chunk, sizeof(chunk) - z.avail_out) < 0) {
			/* Keep what fits, then report the cut. */
			size_t room = out->max - out->len;
			size_t got = sizeof(chunk) - z.avail_out;

			(void)gv_buf_append(out, chunk, room < got ? room : got);
			result = 0;
			break;
		}
		if (ret == Z_STREAM_END || (ret == Z_BUF_ERROR && z.avail_in == 0) ||
		    (z.avail_out != 0 && z.avail_in == 0))
			break;
	}
	inflateEnd(&z);
	return result;
}
