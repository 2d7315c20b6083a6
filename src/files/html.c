/*
 * html.c — HTML smuggling: an HTML attachment that builds a file inside the
 * browser (a Blob from atob()/base64 data saved with msSaveOrOpenBlob or a
 * createObjectURL download link), a data: URI offered as a download, or a
 * large base64 blob in the page. data: URIs with base64 content are decoded
 * (bounded) and inspected as child items.
 */
#include <string.h>
#include <strings.h>

#include "files/files-private.h"

#define HTML_LARGE_BASE64 (64 * 1024)
#define HTML_MAX_DATA_URIS 64
#define HTML_MAX_CHECK ((size_t)16 * 1024 * 1024)

static bool b64char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

static size_t longest_base64_run(const unsigned char *d, size_t len)
{
	size_t best = 0, run = 0;

	for (size_t i = 0; i < len; i++) {
		if (b64char(d[i])) {
			if (++run > best)
				best = run;
		} else if (d[i] != '\n' && d[i] != '\r' && d[i] != '"' &&
			   d[i] != '\'' && d[i] != '+' && d[i] != ' ') {
			run = 0;
		}
	}
	return best;
}

static void data_uris(struct gvf_walk *w, const struct gvf_item *it)
{
	const unsigned char *p = it->data, *end = it->data + it->len;
	size_t n = 0;

	while (n < HTML_MAX_DATA_URIS && !gvf_should_stop(w, it->path) &&
	       (p = (const unsigned char *)gv_memcasemem(
			(const char *)p, (size_t)(end - p), "data:", 5)) != NULL) {
		const unsigned char *q = p + 5, *comma;
		const unsigned char *lim = end - q > 256 ? q + 256 : end;
		struct gv_buf out;
		const char *mime;

		p = q;
		comma = memchr(q, ',', (size_t)(lim - q));
		if (comma == NULL ||
		    gv_memcasemem((const char *)q, (size_t)(comma - q), ";base64", 7) == NULL)
			continue;
		mime = gv_pstrndup(w->pool, (const char *)q,
				   strcspn((const char *)q, ";,"));
		/* Images inline in a page are normal; anything else is a file. */
		if (strncasecmp(mime, "image/", 6) == 0 && strcasecmp(mime, "image/svg+xml") != 0)
			continue;
		gv_buf_init(&out, gvf_child_budget(w));
		p = comma + 1 + gvf_base64_decode(comma + 1, (size_t)(end - comma - 1), &out);
		if (out.len > 0 && gvf_account(w, it->path, out.len))
			gvf_child(w, it, gv_psprintf(w->pool, "data-uri-%zu", n),
				  out.data, out.len, 0);
		gv_buf_free(&out);
		n++;
	}
}

int gvf_html(struct gvf_walk *w, const struct gvf_item *it)
{
	const unsigned char *d = it->data;
	/* Smuggling pages carry their payload in the first megabytes; the
	 * keyword checks look at 16 MiB at most (data: URIs: everything). */
	size_t len = it->len > HTML_MAX_CHECK ? HTML_MAX_CHECK : it->len;
	bool decode = gvf_contains_ci(d, len, "atob(") ||
		      gvf_contains_ci(d, len, "base64ToArrayBuffer") ||
		      gvf_contains_ci(d, len, "Uint8Array");
	bool blob = gvf_contains_ci(d, len, "new Blob") ||
		    gvf_contains_ci(d, len, "msSaveOrOpenBlob") ||
		    gvf_contains_ci(d, len, "msSaveBlob") ||
		    gvf_contains_ci(d, len, "createObjectURL");
	bool download = gvf_contains_ci(d, len, ".download") ||
			gvf_contains_ci(d, len, " download") ||
			gvf_contains_ci(d, len, "msSaveOrOpenBlob");
	size_t run;
	/* Checks for pages only; other text (a saved message, a log) may
	 * carry base64 for good reasons. data: URIs are decoded in both. */
	size_t head = len < 4096 ? len : 4096;
	/* A saved message carries base64 attachments and HTML parts for good
	 * reasons: it is a page only by its type or name. */
	bool mail = gvf_contains_ci(d, head, "\nContent-Type:") ||
		    gvf_contains_ci(d, head, "\nMIME-Version:");
	bool page = strcmp(it->true_type, "text/html") == 0 ||
		    gvf_name_has_ext(it->name, (const char *const[]){
			    "htm", "html", "xhtml", "shtml", "svg", "js", "hta", NULL }) ||
		    (!mail && (gvf_contains_ci(d, head, "<html") ||
			       gvf_contains_ci(d, head, "<a ") ||
			       gvf_contains_ci(d, len, "<script")));

	if (!page) {
		data_uris(w, it);
		return 0;
	}
	if (decode && blob && download)
		gvf_finding(w, it->path, "html.smuggling", 70,
			    "page assembles a file in the browser (Blob from "
			    "decoded data, then saves it)");
	if (gvf_contains_ci(d, len, "download") &&
	    gvf_contains_ci(d, len, "href=\"data:") &&
	    !gvf_contains_ci(d, len, "href=\"data:image/"))
		gvf_finding(w, it->path, "html.data_download", 60,
			    "page offers a data: URI as a download");
	else if (gvf_contains_ci(d, len, "href=\"data:application/") ||
		 gvf_contains_ci(d, len, "href=data:application/"))
		gvf_finding(w, it->path, "html.data_download", 60,
			    "link to a file carried inside the page (data: URI)");
	run = longest_base64_run(d, len);
	if (run >= HTML_LARGE_BASE64)
		gvf_findingf(w, it->path, "html.large_base64", 30,
			     "%zu bytes of base64 inside the page", run);
	data_uris(w, it);
	return 1;
}
