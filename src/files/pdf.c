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

static unsigned streams(struct gvf_walk *w, const struct gvf_item *it)
{
	const unsigned char *p = it->data, *end = it->data + it->len;
	const unsigned char *dict, *sd;
	size_t dlen, slen, n = 0;
	unsigned flags = 0;

	while (n < PDF_MAX_STREAMS && !gvf_should_stop(w, it->path) &&
	       (p = next_stream(p, end, it->data, &dict, &dlen, &sd, &slen)) != NULL) {
		bool embedded, flate;
		struct gv_buf out;
		int r;

		n++;
		trim_dict(&dict, &dlen);
		embedded = memmem(dict, dlen, "/EmbeddedFile", 13) != NULL;
		flate = memmem(dict, dlen, "/FlateDecode", 12) != NULL ||
			memmem(dict, dlen, "/Fl ", 4) != NULL ||
			memmem(dict, dlen, "/Fl/", 4) != NULL;
		if (!flate) {
			if (embedded || worth_unpacking(sd, slen))
				gvf_child(w, it, gv_psprintf(w->pool, "stream-%zu", n),
					  sd, slen, 0);
			continue;
		}
		gv_buf_init(&out, gvf_child_budget(w));
		r = gvf_inflate(sd, slen, true, &out);
		if (r == 0)
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
