/*
 * decoders.c — old containers that libarchive does not read but that still
 * carry files by mail: base64 and uuencoded parts inside a text file (a
 * forwarded .eml or mbox saved as an attachment), BinHex 4.0, Microsoft
 * SZDD (compress.exe) and TNEF (winmail.dat). Each decoded file is a child
 * item; every decoder writes into a gv_buf bounded by the walk's budget.
 */
#include <string.h>
#include <strings.h>

#include "files/files-private.h"

#define TEXT_MAX_PARTS 64

static void emit(struct gvf_walk *w, const struct gvf_item *it,
		 const char *name, struct gv_buf *out, size_t enc_len)
{
	if (out->len >= out->max)
		gvf_limit(w, it->path, GVF_LIMIT_FILE_SIZE,
			  "decoded file larger than the limit");
	if (out->len > 0 && gvf_account(w, it->path, out->len))
		gvf_child(w, it, name, out->data, out->len, enc_len);
}

/* ---- base64 MIME parts and uuencode in text ---- */

/* filename="x" or name=x in the header block [h, e). */
static const char *header_filename(struct gvf_walk *w, const char *h, const char *e)
{
	static const char *const keys[] = { "filename=", "name=", NULL };

	for (size_t k = 0; keys[k] != NULL; k++) {
		const char *p = gv_memcasemem(h, (size_t)(e - h), keys[k], strlen(keys[k]));
		size_t n = 0;

		if (p == NULL)
			continue;
		p += strlen(keys[k]);
		if (p < e && *p == '"')
			p++;
		while (p + n < e && p[n] != '"' && p[n] != ';' && p[n] != '\r' &&
		       p[n] != '\n' && n < 255)
			n++;
		if (n > 0)
			return gv_pstrndup(w->pool, p, n);
	}
	return NULL;
}

static void mime_base64_parts(struct gvf_walk *w, const struct gvf_item *it,
			      size_t *n)
{
	const char *d = (const char *)it->data, *end = d + it->len, *p = d;

	while (*n < TEXT_MAX_PARTS && !gvf_should_stop(w, it->path) &&
	       (p = gv_memcasemem(p, (size_t)(end - p),
				  "Content-Transfer-Encoding:", 26)) != NULL) {
		const char *v = p + 26, *hstart, *body;
		struct gv_buf out;
		size_t used;

		p = v;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		if ((size_t)(end - v) < 6 || strncasecmp(v, "base64", 6) != 0)
			continue;
		/* The header block: back to the previous blank line, forward to
		 * the next one. */
		hstart = p;
		while (hstart > d && !(hstart[-1] == '\n' && hstart - 1 > d &&
				       (hstart[-2] == '\n' ||
					(hstart[-2] == '\r' && hstart - 2 > d &&
					 hstart[-3] == '\n'))) && p - hstart < 4096)
			hstart--;
		body = gv_memcasemem(v, (size_t)(end - v), "\n\n", 2);
		{
			const char *crlf = gv_memcasemem(v, (size_t)(end - v), "\r\n\r\n", 4);

			if (crlf != NULL && (body == NULL || crlf < body))
				body = crlf + 2;
		}
		if (body == NULL)
			return;
		body += 2;
		gv_buf_init(&out, gvf_child_budget(w));
		used = gvf_base64_decode((const unsigned char *)body,
					 (size_t)(end - body), &out);
		if (out.len > 0) {
			const char *name = header_filename(w, hstart, body);

			emit(w, it, name ? name : gv_psprintf(w->pool, "part-%zu", *n),
			     &out, used);
			(*n)++;
		}
		gv_buf_free(&out);
		p = body + used;
	}
}

static void uuencode_parts(struct gvf_walk *w, const struct gvf_item *it,
			   size_t *n)
{
	const char *d = (const char *)it->data, *end = d + it->len, *p = d;

	while (*n < TEXT_MAX_PARTS && !gvf_should_stop(w, it->path) &&
	       (p = gv_memcasemem(p, (size_t)(end - p), "begin ", 6)) != NULL) {
		const char *q = p + 6, *nl, *name;
		struct gv_buf out;
		size_t digits = 0;

		if (p > d && p[-1] != '\n') {
			p += 6;
			continue;
		}
		while (q < end && *q >= '0' && *q <= '7' && digits < 4) {
			q++;
			digits++;
		}
		p += 6;
		if (digits < 3 || q >= end || *q != ' ' ||
		    (nl = memchr(q, '\n', (size_t)(end - q))) == NULL)
			continue;
		name = gv_pstrndup(w->pool, q + 1, (size_t)(nl - q - 1 -
				   (nl[-1] == '\r' ? 1 : 0)));
		gv_buf_init(&out, gvf_child_budget(w));
		q = nl + 1;
		/* Each line: a length character, then 4 characters per 3 bytes. */
		while (q < end) {
			const char *le = memchr(q, '\n', (size_t)(end - q));
			size_t ll, want;
			bool full = true;

			if (le == NULL)
				le = end;
			ll = (size_t)(le - q);
			if (ll > 0 && q[ll - 1] == '\r')
				ll--;
			if (ll == 0 || (ll >= 3 && strncmp(q, "end", 3) == 0))
				break;
			want = (size_t)((q[0] - 0x20) & 0x3F);
			for (size_t i = 1; i + 3 < ll + 3 && want > 0 && full; i += 4) {
				unsigned char c[4];

				for (int k = 0; k < 4; k++)
					c[k] = i + k < ll ? (unsigned char)((q[i + k] - 0x20) & 0x3F) : 0;
				unsigned char b[3] = {
					(unsigned char)(c[0] << 2 | c[1] >> 4),
					(unsigned char)(c[1] << 4 | c[2] >> 2),
					(unsigned char)(c[2] << 6 | c[3]),
				};
				for (int k = 0; k < 3 && want > 0; k++, want--)
					if (gv_buf_putc(&out, b[k]) < 0)
						full = false;
			}
			if (!full)
				break;
			q = le + (le < end ? 1 : 0);
		}
		emit(w, it, name, &out, (size_t)(q - p));
		gv_buf_free(&out);
		(*n)++;
		p = q;
	}
}

int gvf_text_decoders(struct gvf_walk *w, const struct gvf_item *it)
{
	size_t n = 0;

	mime_base64_parts(w, it, &n);
	uuencode_parts(w, it, &n);
	return n > 0 ? 1 : 0;
}

/* ---- BinHex 4.0 ---- */

int gvf_binhex(struct gvf_walk *w, const struct gvf_item *it)
{
	static const char alphabet[] =
		"!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr";
	const unsigned char *p = gvf_memmem(it->data, it->len,
					    "(This file must be converted with BinHex");
	const unsigned char *end = it->data + it->len;
	struct gv_buf six, out;
	uint32_t acc = 0;
	int bits = 0;

	if (p == NULL || (p = memchr(p, '\n', (size_t)(end - p))) == NULL ||
	    (p = memchr(p, ':', (size_t)(end - p))) == NULL)
		return 0;
	gv_buf_init(&six, gvf_child_budget(w));
	for (p++; p < end && *p != ':'; p++) {
		const char *c;

		if (*p == '\r' || *p == '\n' || *p == ' ' || *p == '\t')
			continue;
		if (*p == '\0' || (c = strchr(alphabet, *p)) == NULL)
			break;
		acc = (acc << 6) | (uint32_t)(c - alphabet);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (gv_buf_putc(&six, (unsigned char)(acc >> bits)) < 0)
				break;
		}
	}
	/* Run-length expansion: 0x90 n repeats the previous byte n-1 times. */
	gv_buf_init(&out, gvf_child_budget(w));
	for (size_t i = 0; i < six.len; i++) {
		if (six.data[i] != 0x90 || i + 1 >= six.len) {
			if (gv_buf_putc(&out, six.data[i]) < 0)
				break;
			continue;
		}
		unsigned cnt = six.data[++i];

		if (cnt == 0) {
			if (gv_buf_putc(&out, 0x90) < 0)
				break;
		} else if (out.len > 0) {
			unsigned char prev = out.data[out.len - 1];

			for (unsigned k = 1; k < cnt; k++)
				if (gv_buf_putc(&out, prev) < 0)
					break;
		}
	}
	/* Header: name length, name, 0, type, creator, flags, data length,
	 * resource length, CRC; then the data fork. */
	if (out.len > 0 && out.len >= (size_t)out.data[0] + 22) {
		size_t nl = out.data[0], h = 1 + nl + 1 + 4 + 4 + 2;
		uint32_t dlen = gvf_be32(out.data + h);
		size_t start = h + 4 + 4 + 2;

		if (dlen > out.len - start)
			dlen = (uint32_t)(out.len - start);
		if (gvf_account(w, it->path, dlen))
			gvf_child(w, it, gv_pstrndup(w->pool, (const char *)out.data + 1, nl),
				  out.data + start, dlen, 0);
	}
	gv_buf_free(&six);
	gv_buf_free(&out);
	return 1;
}

/* ---- SZDD (MS compress.exe, LZSS with a 4096-byte window of spaces) ---- */

int gvf_szdd(struct gvf_walk *w, const struct gvf_item *it)
{
	unsigned char win[4096];
	unsigned pos = 4096 - 16;
	const unsigned char *p = it->data + 14, *end = it->data + it->len;
	struct gv_buf out;
	bool full = false;
	const char *name = it->name;
	size_t nl = strlen(name);

	if (it->len < 14)
		return 0;
	memset(win, ' ', sizeof(win));
	gv_buf_init(&out, gvf_child_budget(w));
	while (p < end && !full) {
		unsigned ctl = *p++;

		for (int bit = 0; bit < 8 && p < end && !full; bit++) {
			if (ctl & (1u << bit)) {
				win[pos] = *p;
				pos = (pos + 1) & 4095;
				full = gv_buf_putc(&out, *p++) < 0;
				continue;
			}
			if (end - p < 2)
				break;
			unsigned mp = p[0] | ((p[1] & 0xF0u) << 4);
			unsigned ml = (p[1] & 0x0Fu) + 3;

			p += 2;
			for (unsigned k = 0; k < ml && !full; k++) {
				unsigned char c = win[(mp + k) & 4095];

				win[pos] = c;
				pos = (pos + 1) & 4095;
				full = gv_buf_putc(&out, c) < 0;
			}
		}
	}
	/* "file.ex_" carries the missing last character in the header. */
	if (nl > 1 && name[nl - 1] == '_' && it->data[9] >= 0x20 && it->data[9] < 0x7F)
		name = gv_psprintf(w->pool, "%.*s%c", (int)(nl - 1), name, it->data[9]);
	else if (nl > 5 && strcasecmp(name + nl - 5, ".szdd") == 0)
		name = gv_pstrndup(w->pool, name, nl - 5);
	else
		name = "szdd-data";
	emit(w, it, name, &out, it->len);
	gv_buf_free(&out);
	return 1;
}

/* ---- TNEF (winmail.dat): attributes level u8, id u32, len u32, data,
 * checksum u16; attAttachTitle (0x00018010) names the next attAttachData
 * (0x0006800F). ---- */

int gvf_tnef(struct gvf_walk *w, const struct gvf_item *it)
{
	const unsigned char *p = it->data + 6, *end = it->data + it->len;
	const char *title = NULL;
	size_t n = 0;

	if (it->len < 6)
		return 0;
	while (end - p >= 9 && !gvf_should_stop(w, it->path)) {
		uint32_t id = gvf_le32(p + 1), len = gvf_le32(p + 5);

		p += 9;
		if (len > (size_t)(end - p))
			break;
		if (id == 0x00018010)
			title = gv_pstrndup(w->pool, (const char *)p,
					    strnlen((const char *)p, len));
		else if (id == 0x0006800F && gvf_account(w, it->path, len)) {
			gvf_child(w, it, title ? title :
				  gv_psprintf(w->pool, "attachment-%zu", n),
				  p, len, 0);
			n++;
			title = NULL;
		}
		p += len;
		if (end - p < 2)
			break;
		p += 2;
	}
	return n > 0 ? 1 : 0;
}

/* ---- OneNote: embedded files are FileDataStoreObjects ([MS-ONESTORE]
 * 2.6.13): header GUID {BDE316E7-2665-4511-A4C4-8D4D0B7A9EAC}, u64 length,
 * u32 unused, u64 reserved, then the file. Each one becomes a child. ---- */

#define ONENOTE_MAX_FILES 256

int gvf_onenote(struct gvf_walk *w, const struct gvf_item *it)
{
	static const unsigned char guid[16] = {
		0xE7, 0x16, 0xE3, 0xBD, 0x65, 0x26, 0x11, 0x45,
		0xA4, 0xC4, 0x8D, 0x4D, 0x0B, 0x7A, 0x9E, 0xAC,
	};
	const unsigned char *p = it->data, *end = it->data + it->len;
	size_t n = 0;

	while (n < ONENOTE_MAX_FILES && !gvf_should_stop(w, it->path) &&
	       (p = memmem(p, (size_t)(end - p), guid, sizeof(guid))) != NULL) {
		uint64_t flen;

		if (end - p < 36)
			break;
		flen = (uint64_t)gvf_le32(p + 16) | ((uint64_t)gvf_le32(p + 20) << 32);
		p += 36;
		if (flen > (uint64_t)(end - p))
			flen = (uint64_t)(end - p);
		if (gvf_account(w, it->path, flen))
			gvf_child(w, it, gv_psprintf(w->pool, "embedded-%zu", n),
				  p, (size_t)flen, 0);
		n++;
		p += flen;
	}
	if (n > 0)
		gvf_findingf(w, it->path, "onenote.embedded_file", 40,
			     "OneNote section embeds %zu file(s)", n);
	return n > 0 ? 1 : 0;
}
