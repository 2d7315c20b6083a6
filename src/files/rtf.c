/*
 * rtf.c — RTF embedded objects: every \objdata group is hex-decoded
 * (bounded), read as an OLE1 object ([MS-OLEDS] 2.2.4 ObjectHeader +
 * EmbeddedObject: version, format id, class name, topic, item, native data)
 * and its native data becomes a child item (an OLE2 file, or the file inside
 * an OLE "Package"). Flags Equation Editor objects (CVE-2017-11882 family),
 * objects that update themselves on open (\objupdate) and packages.
 */
#include <string.h>
#include <strings.h>

#include "files/files-private.h"

#define RTF_MAX_OBJECTS 64

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes hex digits from p until the group ends; skips whitespace and
 * control words inside (an old trick to break naive decoders). */
static void hex_decode(const unsigned char *p, const unsigned char *end,
		       struct gv_buf *out)
{
	int hi = -1;

	while (p < end && *p != '}') {
		int v;

		if (*p == '\\') {
			/* Skip a control word such as \par or \'xx. */
			p++;
			while (p < end && ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z'))
				p++;
			continue;
		}
		if (*p == '{') {
			p++;
			continue;
		}
		if ((v = hexval(*p++)) < 0)
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			if (gv_buf_putc(out, (unsigned char)(hi * 16 + v)) < 0)
				return;
			hi = -1;
		}
	}
}

/* Length-prefixed OLE1 string: u32 length (with NUL) then bytes. */
static const unsigned char *ole1_string(const unsigned char *p,
					const unsigned char *end,
					const unsigned char **s_r, size_t *len_r)
{
	uint32_t n;

	if (end - p < 4)
		return NULL;
	n = gvf_le32(p);
	p += 4;
	if (n > (size_t)(end - p))
		return NULL;
	*s_r = p;
	*len_r = n > 0 ? n - 1 : 0;
	return p + n;
}

static void ole1_object(struct gvf_walk *w, const struct gvf_item *it,
			const unsigned char *d, size_t len, size_t idx)
{
	const unsigned char *p = d + 8, *end = d + len, *cls, *skip;
	size_t cls_len, skip_len;
	const char *cname;
	uint32_t native;

	if (len < 12 || (p = ole1_string(p, end, &cls, &cls_len)) == NULL) {
		gvf_child(w, it, gv_psprintf(w->pool, "object-%zu", idx), d, len, 0);
		return;
	}
	cname = gv_pstrndup(w->pool, (const char *)cls, strnlen((const char *)cls,
								cls_len));
	if (strncasecmp(cname, "Equation", 8) == 0)
		gvf_findingf(w, it->path, "rtf.equation_editor", 80,
			     "RTF embeds an Equation Editor object (%s)", cname);
	if ((p = ole1_string(p, end, &skip, &skip_len)) == NULL ||
	    (p = ole1_string(p, end, &skip, &skip_len)) == NULL || end - p < 4)
		return;
	native = gvf_le32(p);
	p += 4;
	if (native > (size_t)(end - p))
		native = (uint32_t)(end - p);
	if (strcasecmp(cname, "Package") == 0) {
		const unsigned char *nul, *q = p + 2, *e = p + native;
		const char *label;
		uint32_t n;

		/* u16 kind, label\0, path\0, u32, u32 len + temp path, u32
		 * size + data. */
		if (native > 2 && (nul = memchr(q, 0, (size_t)(e - q))) != NULL) {
			label = gv_pstrndup(w->pool, (const char *)q, (size_t)(nul - q));
			q = nul + 1;
			if ((nul = memchr(q, 0, (size_t)(e - q))) != NULL &&
			    (q = nul + 1 + 4) + 4 <= e &&
			    (n = gvf_le32(q)) <= (size_t)(e - q - 4) &&
			    (q += 4 + n) + 4 <= e &&
			    (n = gvf_le32(q)) <= (size_t)(e - q - 4)) {
				gvf_findingf(w, it->path, "rtf.package", 50,
					     "RTF embeds a packaged file '%s'", label);
				gvf_child(w, it, label, q + 4, n, 0);
				return;
			}
		}
	}
	gvf_child(w, it, gv_psprintf(w->pool, "object-%zu", idx), p, native, 0);
}

int gvf_rtf(struct gvf_walk *w, const struct gvf_item *it)
{
	const unsigned char *p = it->data, *end = it->data + it->len;
	size_t n = 0;

	if (gvf_memmem(it->data, it->len, "\\objupdate") != NULL)
		gvf_finding(w, it->path, "rtf.objupdate", 30,
			    "embedded object refreshes itself when opened");
	while (n < RTF_MAX_OBJECTS && !gvf_should_stop(w, it->path) &&
	       (p = memmem(p, (size_t)(end - p), "\\objdata", 8)) != NULL) {
		struct gv_buf out;

		p += 8;
		gv_buf_init(&out, gvf_child_budget(w));
		hex_decode(p, end, &out);
		if (out.len > 0 && gvf_account(w, it->path, out.len))
			ole1_object(w, it, out.data, out.len, n);
		gv_buf_free(&out);
		n++;
	}
	if (n == 0 && (gvf_memmem(it->data, it->len, "\\objemb") != NULL ||
		       gvf_memmem(it->data, it->len, "\\objclass") != NULL))
		gvf_finding(w, it->path, "rtf.object", 30,
			    "RTF declares an embedded object");
	else if (n > 0)
		gvf_findingf(w, it->path, "rtf.object", 30,
			     "RTF embeds %zu object(s)", n);
	return 1;
}
