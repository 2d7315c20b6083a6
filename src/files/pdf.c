/*
 * pdf.c — PDF checks: names that run code or carry files (/JavaScript, /JS,
 * /OpenAction, /AA, /Launch, /EmbeddedFile, /RichMedia, /XFA), also when
 * hidden with #xx escapes in names or inside compressed object streams.
 * FlateDecode streams are inflated (bounded) and scanned again; embedded
 * files and streams that hold a file worth unpacking become child items.
 *
 * Not a full PDF parser on purpose: malicious PDFs are often malformed so
 * that strict parsers give up. Streams are found by their keywords.
 */
#include <string.h>

#include "files/files-private.h"

#define PDF_MAX_STREAMS 4096
#define PDF_DICT_BACK 2048

enum pdf_flag {
	PDF_JS = 1 << 0, PDF_OPENACTION = 1 << 1, PDF_AA = 1 << 2,
	PDF_LAUNCH = 1 << 3, PDF_EMBEDDED = 1 << 4, PDF_RICHMEDIA = 1 << 5,
	PDF_XFA = 1 << 6, PDF_ENCRYPT = 1 << 7, PDF_OBFUSCATED = 1 << 8,
};

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool name_char(unsigned char c)
{
	return c > 0x20 && c < 0x7F && strchr("/()<>[]{}%", c) == NULL;
}

/* Scans for PDF names, decoding #xx escapes, and sets flags. */
static unsigned scan_names(const unsigned char *d, size_t len)
{
	static const struct {
		const char *name;
		unsigned flag;
	} names[] = {
		{ "JavaScript", PDF_JS }, { "JS", PDF_JS },
		{ "OpenAction", PDF_OPENACTION }, { "AA", PDF_AA },
		{ "Launch", PDF_LAUNCH }, { "EmbeddedFile", PDF_EMBEDDED },
		{ "EmbeddedFiles", PDF_EMBEDDED }, { "RichMedia", PDF_RICHMEDIA },
		{ "XFA", PDF_XFA }, { "Encrypt", PDF_ENCRYPT },
	};
	unsigned flags = 0;
	const unsigned char *p = d, *end = d + len;

	while ((p = memchr(p, '/', (size_t)(end - p))) != NULL) {
		char name[32];
		size_t n = 0;
		bool escaped = false;

		p++;
		while (p < end && name_char(*p) && n < sizeof(name) - 1) {
			if (*p == '#' && end - p >= 3 && hexval(p[1]) >= 0 &&
			    hexval(p[2]) >= 0) {
				name[n++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
				p += 3;
				escaped = true;
				continue;
			}
			name[n++] = (char)*p++;
		}
		name[n] = '\0';
		for (size_t i = 0; i < GV_ARRAY_LEN(names); i++)
			if (strcmp(name, names[i].name) == 0) {
				flags |= names[i].flag;
				if (escaped)
					flags |= PDF_OBFUSCATED;
			}
	}
	return flags;
}

static bool worth_unpacking(const unsigned char *d, size_t len)
{
	static const char *const sigs[] = { "MZ", "PK\x03\x04", "%PDF",
		"{\\rt", "\xD0\xCF\x11\xE0", "7z\xBC\xAF", "Rar!", "\x7F" "ELF",
		NULL };

	for (size_t i = 0; sigs[i] != NULL; i++)
		if (len >= strlen(sigs[i]) && memcmp(d, sigs[i], strlen(sigs[i])) == 0)
			return true;
	return false;
}

/* Finds the next stream; sets the dictionary text before it and the data
 * range. Returns a pointer past the stream, or NULL when there is none. */
static const unsigned char *next_stream(const unsigned char *p,
					const unsigned char *end,
					const unsigned char *start,
					const unsigned char **dict_r,
					size_t *dict_len_r,
					const unsigned char **data_r,
					size_t *data_len_r)
{
	const unsigned char *s, *e, *dict;

	for (;;) {
		s = memmem(p, (size_t)(end - p), "stream", 6);
		if (s == NULL)
			return NULL;
		/* Not "endstream", and followed by an end of line. */
		if ((s - start >= 3 && memcmp(s - 3, "end", 3) == 0) ||
		    s + 6 >= end || (s[6] != '\r' && s[6] != '\n')) {
			p = s + 6;
			continue;
		}
		break;
	}
	dict = s - start > PDF_DICT_BACK ? s - PDF_DICT_BACK : start;
	*dict_r = dict;
	*dict_len_r = (size_t)(s - dict);
	s += 6;
	if (*s == '\r')
		s++;
	if (s < end && *s == '\n')
		s++;
	e = memmem(s, (size_t)(end - s), "endstream", 9);
	if (e == NULL)
		e = end;
	*data_r = s;
	*data_len_r = (size_t)(e - s);
	/* The end of line before "endstream" is not part of the data. */
	if (*data_len_r > 0 && s[*data_len_r - 1] == '\n')
		(*data_len_r)--;
	if (*data_len_r > 0 && s[*data_len_r - 1] == '\r')
		(*data_len_r)--;
	return e;
}

/* Only the dictionary of this object: from the last "obj" before stream. */
static void trim_dict(const unsigned char **d, size_t *len)
{
	for (size_t i = *len; i >= 3; i--)
		if (memcmp(*d + i - 3, "obj", 3) == 0) {
			*d += i;
			*len -= i;
			return;
		}
}

enum pdf_filter { PF_FLATE, PF_AHX, PF_A85 };
#define PDF_MAX_FILTERS 4

/* The /Filter of a stream dictionary: a name or an array of names, applied
 * in order. Returns how many (0 = none), -1 when one is not supported
 * (LZW, RunLength, DCT, crypt...: the stream is then left as it is). */
static int parse_filters(const unsigned char *d, size_t len,
			 enum pdf_filter *out)
{
	static const struct {
		const char *name;
		enum pdf_filter f;
	} known[] = {
		{ "FlateDecode", PF_FLATE }, { "Fl", PF_FLATE },
		{ "ASCIIHexDecode", PF_AHX }, { "AHx", PF_AHX },
		{ "ASCII85Decode", PF_A85 }, { "A85", PF_A85 },
	};
	const unsigned char *p = memmem(d, len, "/Filter", 7), *end = d + len;
	bool array;
	int n = 0;

	if (p == NULL)
		return 0;
	p += 7;
	while (p < end && (*p == ' ' || *p == '\r' || *p == '\n' || *p == '\t'))
		p++;
	array = p < end && *p == '[';
	if (array)
		p++;
	while (p < end && n < PDF_MAX_FILTERS) {
		const unsigned char *q;
		size_t i;

		while (p < end && (*p == ' ' || *p == '\r' || *p == '\n' || *p == '\t'))
			p++;
		if (p >= end || *p != '/')
			break;
		q = ++p;
		while (p < end && name_char(*p))
			p++;
		for (i = 0; i < GV_ARRAY_LEN(known); i++)
			if (strlen(known[i].name) == (size_t)(p - q) &&
			    memcmp(known[i].name, q, (size_t)(p - q)) == 0)
				break;
		if (i == GV_ARRAY_LEN(known))
			return -1;
		out[n++] = known[i].f;
		if (!array)
			break;
	}
	return n;
}

/* 1 ok, 0 cut at out->max. */
static int ahx_decode(const unsigned char *in, size_t len, struct gv_buf *out)
{
	int hi = -1;

	for (size_t i = 0; i < len && in[i] != '>'; i++) {
		int v = hexval(in[i]);

		if (v < 0)
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			if (gv_buf_putc(out, (unsigned char)(hi * 16 + v)) < 0)
				return 0;
			hi = -1;
		}
	}
	if (hi >= 0 && gv_buf_putc(out, (unsigned char)(hi * 16)) < 0)
		return 0;
	return 1;
}

static int a85_decode(const unsigned char *in, size_t len, struct gv_buf *out)
{
	uint32_t acc = 0;
	int n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = in[i];

		if (c == '~')
			break;
		if (c == 'z' && n == 0) {
			if (gv_buf_append(out, "\0\0\0\0", 4) < 0)
				return 0;
			continue;
		}
		if (c < '!' || c > 'u')
			continue;
		acc = acc * 85 + (uint32_t)(c - '!');
		if (++n == 5) {
			unsigned char b[4] = { (unsigned char)(acc >> 24),
					       (unsigned char)(acc >> 16),
					       (unsigned char)(acc >> 8),
					       (unsigned char)acc };

			if (gv_buf_append(out, b, 4) < 0)
				return 0;
			acc = 0;
			n = 0;
		}
	}
	if (n > 1) {
		/* A final group of n characters is padded with 'u' and gives
		 * n - 1 bytes (wrapping arithmetic is what the format does). */
		for (int k = n; k < 5; k++)
			acc = acc * 85 + 84;
		for (int k = 0; k < n - 1; k++)
			if (gv_buf_putc(out, (unsigned char)(acc >> (24 - 8 * k))) < 0)
				return 0;
	}
	return 1;
}

/* Runs the filter chain over one stream into *out (initialised here).
 * 1 ok, 0 output cut at the budget, -1 a filter failed (out keeps what
 * was decoded). */
static int decode_stream(struct gvf_walk *w, const enum pdf_filter *f, int nf,
			 const unsigned char *d, size_t len, struct gv_buf *out)
{
	struct gv_buf tmp = { 0 };
	int r = 1;

	gv_buf_init(out, gvf_child_budget(w));
	for (int i = 0; i < nf && r > 0; i++) {
		if (i > 0) {
			/* The previous output is this filter's input. */
			gv_buf_free(&tmp);
			tmp = *out;
			gv_buf_init(out, gvf_child_budget(w));
			d = tmp.data;
			len = tmp.len;
		}
		r = f[i] == PF_FLATE ? gvf_inflate(d, len, true, out) :
		    f[i] == PF_AHX ? ahx_decode(d, len, out) : a85_decode(d, len, out);
	}
	gv_buf_free(&tmp);
	return r;
}

static unsigned streams(struct gvf_walk *w, const struct gvf_item *it)
{
	const unsigned char *p = it->data, *end = it->data + it->len;
	const unsigned char *dict, *sd;
	size_t dlen, slen, n = 0;
	unsigned flags = 0;

	while (n < PDF_MAX_STREAMS && !gvf_should_stop(w, it->path) &&
	       (p = next_stream(p, end, it->data, &dict, &dlen, &sd, &slen)) != NULL) {
		enum pdf_filter f[PDF_MAX_FILTERS];
		struct gv_buf out;
		bool embedded;
		int nf;

		n++;
		trim_dict(&dict, &dlen);
		embedded = memmem(dict, dlen, "/EmbeddedFile", 13) != NULL;
		nf = parse_filters(dict, dlen, f);
		if (nf <= 0) {
			if (embedded || worth_unpacking(sd, slen))
				gvf_child(w, it, gv_psprintf(w->pool, "stream-%zu", n),
					  sd, slen, 0);
			continue;
		}
		if (decode_stream(w, f, nf, sd, slen, &out) == 0)
			gvf_limit(w, it->path, GVF_LIMIT_FILE_SIZE,
				  "PDF stream larger than the limit");
		if (out.len > 0 && gvf_account(w, it->path, out.len)) {
			flags |= scan_names(out.data, out.len);
			if (embedded || worth_unpacking(out.data, out.len) ||
			    memmem(dict, dlen, "/JS", 3) != NULL)
				gvf_child(w, it, gv_psprintf(w->pool, "stream-%zu", n),
					  out.data, out.len, slen);
		}
		gv_buf_free(&out);
	}
	return flags;
}

int gvf_pdf(struct gvf_walk *w, const struct gvf_item *it)
{
	unsigned f = scan_names(it->data, it->len);

	f |= streams(w, it);
	if (f & PDF_JS)
		gvf_finding(w, it->path, (f & (PDF_OPENACTION | PDF_AA)) ?
			    "pdf.autorun_javascript" : "pdf.javascript",
			    (f & (PDF_OPENACTION | PDF_AA)) ? 70 : 50,
			    (f & (PDF_OPENACTION | PDF_AA)) ?
			    "JavaScript run when the document opens" :
			    "PDF carries JavaScript");
	if (f & PDF_LAUNCH)
		gvf_finding(w, it->path, "pdf.launch", 70,
			    "/Launch action starts a program");
	if (f & PDF_EMBEDDED)
		gvf_finding(w, it->path, "pdf.embedded_file", 30,
			    "PDF carries an embedded file");
	if (f & PDF_RICHMEDIA)
		gvf_finding(w, it->path, "pdf.richmedia", 30,
			    "PDF carries Flash/RichMedia content");
	if (f & PDF_XFA)
		gvf_finding(w, it->path, "pdf.xfa", 20, "PDF carries an XFA form");
	if (f & PDF_OBFUSCATED)
		gvf_finding(w, it->path, "pdf.obfuscated_name", 50,
			    "active PDF names written with #xx escapes");
	if ((f & PDF_OPENACTION) && !(f & PDF_JS))
		gvf_finding(w, it->path, "pdf.openaction", 10,
			    "PDF runs an action when opened");
	return 1;
}
