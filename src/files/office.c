/*
 * office.c — Office checks that are not VBA: Excel 4.0 (XLM) macro sheets in
 * BIFF8 workbooks and OOXML packages, PowerPoint embedded objects (zlib in
 * ExOleObjStg records), DDE fields, and OOXML relationships that fetch
 * templates or objects from the network (remote template injection).
 *
 * Facts from [MS-XLS] 2.4.28 (BoundSheet8: lbPlyPos, hsState, dt), [MS-PPT]
 * 2.3.1 (record header) and 2.10.34 (ExOleObjStg, compressed when
 * recInstance is 1), and ECMA-376 part 2 (relationships, TargetMode).
 */
#include <string.h>
#include <strings.h>

#include "files/files-private.h"


static void biff_sheets(struct gvf_walk *w, const struct gvf_item *it,
			const unsigned char *d, size_t len)
{
	size_t pos = 0;

	while (pos + 4 <= len) {
		uint16_t type = gvf_le16(d + pos), size = gvf_le16(d + pos + 2);

		pos += 4;
		if ((size_t)size > len - pos)
			return;
		if (type == 0x000A)	/* EOF of the globals substream */
			return;
		if (type == 0x0085 && size >= 6 && d[pos + 5] == 0x01) {
			unsigned state = d[pos + 4] & 3;

			gvf_findingf(w, it->path, state == 2 ?
				     "office.xlm_macrosheet_hidden" :
				     "office.xlm_macrosheet",
				     state == 2 ? 80 : 60,
				     "Excel 4.0 macro sheet%s",
				     state == 2 ? " (very hidden)" :
				     state == 1 ? " (hidden)" : "");
		}
		pos += size;
	}
}

static void ppt_objects(struct gvf_walk *w, const struct gvf_item *it,
			const unsigned char *d, size_t len)
{
	size_t pos = 0, n = 0;

	while (pos + 8 <= len && !gvf_should_stop(w, it->path)) {
		uint16_t verinst = gvf_le16(d + pos), type = gvf_le16(d + pos + 2);
		uint32_t rlen = gvf_le32(d + pos + 4);

		pos += 8;
		if ((verinst & 0xF) == 0xF)	/* container: step inside */
			continue;
		if (rlen > len - pos)
			return;
		if (type == 0x1011 && (verinst >> 4) == 1 && rlen > 4) {
			struct gv_buf out;

			gv_buf_init(&out, gvf_child_budget(w));
			if (gvf_inflate(d + pos + 4, rlen - 4, true, &out) == 0)
				gvf_limit(w, it->path, GVF_LIMIT_FILE_SIZE,
					  "embedded object larger than the limit");
			if (out.len > 0 && gvf_account(w, it->path, out.len))
				gvf_child(w, it, gv_psprintf(w->pool, "object-%zu", n++),
					  out.data, out.len, rlen - 4);
			gv_buf_free(&out);
		} else if (type == 0x1011 && rlen > 0) {
			gvf_child(w, it, gv_psprintf(w->pool, "object-%zu", n++),
				  d + pos, rlen, 0);
		}
		pos += rlen;
	}
}

/* DDE in 8-bit and UTF-16LE text. */
static bool has_dde(const unsigned char *d, size_t len)
{
	static const char u16[] = "D\0D\0E\0A\0U\0T\0O\0";

	return gvf_contains_ci(d, len, "DDEAUTO") ||
	       memmem(d, len, u16, sizeof(u16) - 1) != NULL ||
	       gvf_contains_ci(d, len, " DDE \"");
}

void gvf_office_stream(struct gvf_walk *w, const struct gvf_item *it,
		       const char *name, const unsigned char *d, size_t len)
{
	if (strcasecmp(name, "Workbook") == 0 || strcasecmp(name, "Book") == 0)
		biff_sheets(w, it, d, len);
	else if (strcmp(name, "PowerPoint Document") == 0)
		ppt_objects(w, it, d, len);
	else if (strcmp(name, "WordDocument") == 0 && has_dde(d, len))
		gvf_finding(w, it->path, "office.dde", 60,
			    "DDE field that starts a program");
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), l = strlen(suffix);

	return n >= l && strcasecmp(s + n - l, suffix) == 0;
}

/* Value of attribute attr inside [p, end) (no entity decoding). */
static const char *attr(struct gvf_walk *w, const char *p, const char *end,
			const char *name)
{
	const char *a = gv_memcasemem(p, (size_t)(end - p), name, strlen(name));
	const char *q, *e;

	if (a == NULL || (q = a + strlen(name)) >= end || *q != '=' || q + 1 >= end)
		return NULL;
	q++;
	if (*q != '"' && *q != '\'')
		return NULL;
	e = memchr(q + 1, *q, (size_t)(end - q - 1));
	return e != NULL ? gv_pstrndup(w->pool, q + 1, (size_t)(e - q - 1)) : NULL;
}

static void rels(struct gvf_walk *w, const struct gvf_item *it)
{
	const char *p = (const char *)it->data, *end = p + it->len;

	while ((p = gv_memcasemem(p, (size_t)(end - p), "<Relationship ", 14)) != NULL) {
		const char *e = memchr(p, '>', (size_t)(end - p));
		const char *type, *target, *mode;

		if (e == NULL)
			return;
		type = attr(w, p, e, "Type");
		target = attr(w, p, e, "Target");
		mode = attr(w, p, e, "TargetMode");
		p = e;
		if (mode == NULL || strcasecmp(mode, "External") != 0 ||
		    type == NULL || target == NULL)
			continue;
		if (ends_with(type, "/attachedTemplate") ||
		    ends_with(type, "/subDocument") || ends_with(type, "/frame"))
			gvf_findingf(w, it->path, "office.remote_template", 70,
				     "document loads a template from %s", target);
		else if (ends_with(type, "/oleObject"))
			gvf_findingf(w, it->path, "office.external_object", 70,
				     "document loads an object from %s", target);
		else if (ends_with(type, "/hyperlink"))
			gvf_findingf(w, it->path, "office.external_link", 5,
				     "document links to %s", target);
	}
}

void gvf_ooxml_part(struct gvf_walk *w, const struct gvf_item *it)
{
	const char *path = it->path;

	if (gv_memcasemem(path, strlen(path), "/xl/macrosheets/", 16) != NULL ||
	    strncasecmp(path, "xl/macrosheets/", 15) == 0) {
		gvf_finding(w, path, "office.xlm_macrosheet", 60,
			    "Excel 4.0 macro sheet in the workbook");
		return;
	}
	if (ends_with(path, ".rels")) {
		rels(w, it);
		return;
	}
	if ((ends_with(path, "word/document.xml") ||
	     ends_with(path, "xl/externalLinks/externalLink1.xml")) &&
	    (gvf_contains_ci(it->data, it->len, "DDEAUTO") ||
	     gvf_contains_ci(it->data, it->len, "ddeService") ||
	     gvf_contains_ci(it->data, it->len, ">DDE ")))
		gvf_finding(w, path, "office.dde", 60,
			    "DDE field or link that starts a program");
}
