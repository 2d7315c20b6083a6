/*
 * The MIME tree walk: one gv_mail_part per GMime object, pre-order, with
 * part paths (1, 1.2, 1.2.1), decoded bodies, UTF-8 text and the limits on
 * parts, depth, decoded bytes and time. Structural checks GMime does not
 * report (unclosed or reused boundaries, broken base64/QP, unknown
 * charsets) are done here.
 */
#include <stdio.h>
#include <string.h>

#include "mail/mail-private.h"

static struct gv_mail_part *new_part(struct walk *w, const char *path,
				     int depth, GMimeObject *obj)
{
	struct gv_mail_message *msg = w->msg;
	msg->parts = gv_mail_grow(w->pool, msg->parts, sizeof(*msg->parts),
				  &w->parts_cap, msg->n_parts + 1);
	struct gv_mail_part *p = &msg->parts[msg->n_parts++];
	p->path = gv_pstrdup(w->pool, path);
	p->depth = depth;
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	const char *type = ct ? g_mime_content_type_get_media_type(ct) : NULL;
	const char *sub = ct ? g_mime_content_type_get_media_subtype(ct) : NULL;
	char *t = gv_psprintf(w->pool, "%s/%s", type ? type : "text",
			      sub ? sub : "plain");
	gv_ascii_lower(t, strlen(t));
	p->content_type = t;
	p->charset = mail_pool_lower(
		w->pool, g_mime_object_get_content_type_parameter(obj, "charset"));
	p->disposition = mail_pool_lower(w->pool,
					 g_mime_object_get_disposition(obj));
	return p;
}

static bool base64_ok(const unsigned char *s, size_t len)
{
	size_t n = 0, pad = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];
		if (c == '\r' || c == '\n' || c == ' ' || c == '\t')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			     (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return false;
		n++;
	}
	return pad <= 2 && (n + pad) % 4 == 0;
}

static bool qp_ok(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '=')
			continue;
		if (i + 1 < len && (s[i + 1] == '\n' || s[i + 1] == '\r'))
			continue;
		if (i + 2 >= len || !g_ascii_isxdigit(s[i + 1]) ||
		    !g_ascii_isxdigit(s[i + 2]))
			return false;
	}
	return true;
}

static void check_encoding(struct walk *w, struct gv_mail_part *p,
			   GMimeDataWrapper *wrapper)
{
	if (p->encoding == NULL)
		return;
	bool b64 = strcmp(p->encoding, "base64") == 0;
	bool qp = strcmp(p->encoding, "quoted-printable") == 0;
	if (!b64 && !qp)
		return;
	GMimeStream *raw = g_mime_data_wrapper_get_stream(wrapper);
	if (raw == NULL || !GMIME_IS_STREAM_MEM(raw))
		return;
	GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(raw));
	if (ba == NULL)
		return;
	gint64 start = raw->bound_start, end = raw->bound_end;
	if (start < 0 || (guint)start > ba->len)
		return;
	if (end < 0 || (guint)end > ba->len)
		end = ba->len;
	const unsigned char *s = ba->data + start;
	size_t len = (size_t)(end - start);
	if (b64 && !base64_ok(s, len))
		gv_mail_add_anomaly(w->pool, w->msg, "mime.bad_base64", p->path,
				    "base64 body with invalid characters or length");
	if (qp && !qp_ok(s, len))
		gv_mail_add_anomaly(w->pool, w->msg, "mime.bad_qp", p->path,
				    "quoted-printable body with bad escapes");
}

static void decode_body(struct walk *w, struct gv_mail_part *p, GMimePart *gp)
{
	GMimeDataWrapper *wrapper = g_mime_part_get_content(gp);
	if (wrapper == NULL)
		return;
	check_encoding(w, p, wrapper);
	GMimeStream *out = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(wrapper, out);
	GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	size_t len = ba ? ba->len : 0;
	size_t room = w->lim->max_decoded_bytes - w->decoded_total;
	if (len > room) {
		gv_mail_add_anomaly(w->pool, w->msg, "limit.decoded_bytes",
				    p->path, "decoded bytes exceed %zu; part cut",
				    w->lim->max_decoded_bytes);
		len = room;
	}
	w->decoded_total += len;
	unsigned char *body = gv_palloc(w->pool, len + 1);
	if (len)
		memcpy(body, ba->data, len);
	p->body = body;
	p->body_len = len;
	g_object_unref(out);
}

static void charset_check(struct walk *w, struct gv_mail_part *p)
{
	if (p->charset == NULL || *p->charset == '\0')
		return;
	iconv_t cd = g_mime_iconv_open("UTF-8",
				       g_mime_charset_iconv_name(p->charset));
	if (cd == (iconv_t)-1)
		gv_mail_add_anomaly(w->pool, w->msg, "mime.unknown_charset",
				    p->path, "unknown charset %.60s", p->charset);
	else
		g_mime_iconv_close(cd);
}

static void text_of(struct walk *w, struct gv_mail_part *p, GMimePart *gp)
{
	charset_check(w, p);
	char *text = g_mime_text_part_get_text(GMIME_TEXT_PART(gp));
	size_t len = text ? strlen(text) : 0;
	if (len > w->lim->max_text_bytes) {
		gv_mail_add_anomaly(w->pool, w->msg, "limit.text_bytes", p->path,
				    "text of %zu bytes analysed up to %zu", len,
				    w->lim->max_text_bytes);
		len = w->lim->max_text_bytes;
		/* do not cut a UTF-8 sequence in half */
		while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
			len--;
	}
	p->text = mail_pool_utf8(w->pool, text, len);
	p->text_len = strlen(p->text);
	g_free(text);
	if (p->is_html)
		p->visible = gv_html_to_text(w->pool, p->text, p->text_len,
					     &p->visible_len);
}

static void leaf(struct walk *w, struct gv_mail_part *p, GMimePart *gp)
{
	const char *fn = g_mime_part_get_filename(gp);
	if (fn != NULL)
		p->filename = mail_pool_utf8(w->pool, fn, strlen(fn));
	GMimeContentEncoding enc = g_mime_part_get_content_encoding(gp);
	if (enc != GMIME_CONTENT_ENCODING_DEFAULT)
		p->encoding = mail_pool_lower(
			w->pool, g_mime_content_encoding_to_string(enc));
	p->is_attachment = p->filename != NULL ||
			   (p->disposition &&
			    strcmp(p->disposition, "attachment") == 0);
	bool plain = strcmp(p->content_type, "text/plain") == 0;
	p->is_html = strcmp(p->content_type, "text/html") == 0;
	p->is_text = (plain || p->is_html) && !p->is_attachment &&
		     GMIME_IS_TEXT_PART(gp);
	decode_body(w, p, gp);
	if (p->is_text)
		text_of(w, p, gp);
}

static bool boundary_checks(struct walk *w, GMimeMultipart *mp,
			    const char *path)
{
	const char *b = g_mime_multipart_get_boundary(mp);
	if (b == NULL || *b == '\0')
		return false; /* GMime warns: mime.no_boundary */
	for (size_t i = 0; i < w->n_boundaries; i++)
		if (strcmp(w->boundaries[i], b) == 0)
			gv_mail_add_anomaly(w->pool, w->msg,
					    "mime.boundary_reused", path,
					    "boundary also used by an ancestor");
	/* A multipart whose closing delimiter never appears was cut or
	 * crafted; GMime recovers silently, so look for it in the raw bytes. */
	char close[256];
	int n = snprintf(close, sizeof(close), "--%s--", b);
	if (n > 0 && (size_t)n < sizeof(close) &&
	    memmem(w->msg->raw, w->msg->raw_len, close, (size_t)n) == NULL)
		gv_mail_add_anomaly(w->pool, w->msg, "mime.no_closing_boundary",
				    path, "closing boundary missing");
	if (w->n_boundaries < GV_ARRAY_LEN(w->boundaries)) {
		w->boundaries[w->n_boundaries++] = b;
		return true;
	}
	return false;
}

void mail_walk(struct walk *w, GMimeObject *obj, const char *path, int depth)
{
	if (mail_deadline_passed(w))
		return;
	if ((size_t)depth > w->lim->max_depth) {
		if (!w->depth_limit_hit)
			gv_mail_add_anomaly(w->pool, w->msg, "limit.depth", path,
					    "MIME nesting deeper than %zu",
					    w->lim->max_depth);
		w->depth_limit_hit = true;
		return;
	}
	if (w->msg->n_parts >= w->lim->max_parts) {
		if (!w->parts_limit_hit)
			gv_mail_add_anomaly(w->pool, w->msg, "limit.parts", path,
					    "more than %zu MIME parts",
					    w->lim->max_parts);
		w->parts_limit_hit = true;
		return;
	}
	struct gv_mail_part *p = new_part(w, path, depth, obj);
	char child[512];
	if (GMIME_IS_MULTIPART(obj)) {
		p->is_multipart = true;
		bool pushed = boundary_checks(w, GMIME_MULTIPART(obj), path);
		int n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
		for (int i = 0; i < n && !w->parts_limit_hit; i++) {
			snprintf(child, sizeof(child), "%s.%d", path, i + 1);
			mail_walk(w, g_mime_multipart_get_part(GMIME_MULTIPART(obj), i),
				  child, depth + 1);
		}
		if (pushed)
			w->n_boundaries--;
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		p->is_message = true;
		GMimeMessage *inner =
			g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		GMimeObject *body = inner ? g_mime_message_get_mime_part(inner) : NULL;
		if (body != NULL) {
			snprintf(child, sizeof(child), "%s.1", path);
			mail_walk(w, body, child, depth + 1);
		}
	} else if (GMIME_IS_PART(obj)) {
		leaf(w, p, GMIME_PART(obj));
	}
}
