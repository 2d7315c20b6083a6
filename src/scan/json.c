/* JSON output of a scan result (schema: docs/scan-json.md). Built with
 * jansson so escaping of hostile strings is never hand-written. */
#include <jansson.h>
#include <string.h>

#include "scan/scan-private.h"

static const char *source_name(enum gv_url_source s)
{
	static const char *const names[] = { "?", "href", "src", "form", "meta",
					     "css", "text", "bare" };
	return (unsigned)s < GV_ARRAY_LEN(names) ? names[s] : "?";
}

static json_t *str(const char *s)
{
	/* jansson rejects invalid UTF-8; our strings are valid, but a
	 * fallback keeps one odd value from dropping the whole record */
	json_t *j = json_string(s ? s : "");
	return j ? j : json_string("?");
}

static json_t *addr(const struct gv_mail_addr *a)
{
	if (a == NULL)
		return json_null();
	return json_pack("{s:o,s:o}", "name", str(a->display), "address",
			 str(a->addr));
}

int gv_scan_result_json(const struct gv_scan_result *r, const char *source,
			struct gv_buf *out)
{
	const struct gv_mail_message *m = r->msg;
	json_t *findings = json_array(), *urls = json_array(),
	       *files = json_array(), *parts = json_array(), *to = json_array();
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct gv_finding *f = &r->findings[i];
		json_array_append_new(findings, json_pack(
			"{s:s,s:o,s:i,s:o,s:o}", "analyzer", f->analyzer,
			"rule", str(f->rule), "score", f->score, "evidence",
			str(f->evidence), "part", str(f->part)));
	}
	for (size_t i = 0; i < m->n_urls; i++) {
		const struct gv_mail_url *u = &m->urls[i];
		json_array_append_new(urls, json_pack(
			"{s:o,s:o,s:o,s:s,s:o}", "url", str(u->url), "host",
			str(u->host), "registrable", str(u->registrable),
			"source", source_name(u->source), "part", str(u->part)));
	}
	for (size_t i = 0; i < r->n_files; i++) {
		const struct gv_scan_file *f = &r->files[i];
		json_array_append_new(files, json_pack(
			"{s:o,s:o,s:o,s:I,s:s,s:s,s:i}", "part", str(f->part),
			"path", str(f->path), "type", str(f->true_type), "size",
			(json_int_t)f->size, "sha256", f->sha256, "md5", f->md5,
			"depth", f->depth));
	}
	for (size_t i = 0; i < m->n_parts; i++) {
		const struct gv_mail_part *p = &m->parts[i];
		json_t *o = json_pack("{s:o,s:o,s:I}", "path", str(p->path),
				      "type", str(p->content_type), "size",
				      (json_int_t)p->body_len);
		if (p->filename)
			json_object_set_new(o, "filename", str(p->filename));
		json_array_append_new(parts, o);
	}
	for (size_t i = 0; i < m->n_to; i++)
		json_array_append_new(to, str(m->to[i].addr));
	json_t *root = json_pack(
		"{s:i,s:o,s:o,s:o,s:o,s:o,s:o,s:{s:s,s:i,s:b},s:o,s:o,s:o,s:o,s:f}",
		"version", GV_SCAN_JSON_VERSION, "source", str(source),
		"message_id", str(m->message_id), "subject", str(m->subject),
		"from", addr(m->n_from ? &m->from[0] : NULL),
		"reply_to", addr(m->reply_to), "to", to,
		"verdict", "action", gv_action_name(r->action), "score",
		r->score, "partial", r->partial, "findings", findings, "urls",
		urls, "attachments", files, "parts", parts, "elapsed_ms",
		(double)r->elapsed_us / 1000.0);
	if (root == NULL)
		return -1;
	char *s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (s == NULL)
		return -1;
	int ret = gv_buf_append(out, s, strlen(s));
	free(s);
	return ret;
}
