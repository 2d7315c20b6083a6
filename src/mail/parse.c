/*
 * Message parsing: GMime builds the MIME tree (it copes with broken mail and
 * does charsets, RFC 2047/2231 and transfer decodings); this file copies what
 * the analyzers need into the caller's pool, applies Geneva's limits and
 * turns everything odd that GMime or our own checks notice into anomalies.
 */
#include <gmime/gmime.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "mail/mail-private.h"


static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_gmime(void)
{
	g_mime_init();
}

void gv_mail_init(void)
{
	pthread_once(&init_once, init_gmime);
}

void gv_mail_add_anomaly(struct gv_pool *pool, struct gv_mail_message *msg,
			 const char *code, const char *part, const char *fmt,
			 ...)
{
	/* Anomalies are few; a fixed ceiling keeps a hostile message from
	 * growing this list without bound (the first 256 tell the story). */
	if (msg->n_anomalies >= 256)
		return;
	if (msg->n_anomalies % 16 == 0) {
		struct gv_mail_anomaly *n = gv_palloc(
			pool, (msg->n_anomalies + 16) * sizeof(*n));
		if (msg->n_anomalies)
			memcpy(n, msg->anomalies,
			       msg->n_anomalies * sizeof(*n));
		msg->anomalies = n;
	}
	/* The same code on the same part once is enough. */
	for (size_t i = 0; i < msg->n_anomalies; i++)
		if (strcmp(msg->anomalies[i].code, code) == 0 &&
		    strcmp(msg->anomalies[i].part, part ? part : "") == 0)
			return;
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	struct gv_mail_anomaly *a = &msg->anomalies[msg->n_anomalies++];
	a->code = code;
	/* callers may pass a path on their stack: keep a copy */
	a->part = part && *part ? gv_pstrdup(pool, part) : "";
	a->detail = gv_pstrdup(pool, detail);
}

/* GMime's parser warnings: the anomaly id and what it means, for the
 * finding's detail. */
static const struct {
	GMimeParserWarning code;
	const char *id, *text;
} warnings[] = {
	{ GMIME_WARN_DUPLICATED_HEADER, "header.duplicated", "a header given twice" },
	{ GMIME_WARN_DUPLICATED_PARAMETER, "header.duplicated_param",
	  "a header parameter given twice" },
	{ GMIME_WARN_UNENCODED_8BIT_HEADER, "header.8bit", "unencoded 8-bit bytes in a header" },
	{ GMIME_WARN_INVALID_CONTENT_TYPE, "mime.bad_content_type", "an invalid Content-Type" },
	{ GMIME_WARN_INVALID_RFC2047_HEADER_VALUE, "header.bad_rfc2047", "an invalid encoded word" },
	{ GMIME_WARN_INVALID_PARAMETER, "header.bad_param", "an invalid header parameter" },
	{ GMIME_WARN_MALFORMED_MULTIPART, "mime.empty_multipart", "a multipart without parts" },
	{ GMIME_WARN_TRUNCATED_MESSAGE, "mime.truncated",
	  "the message ends before its MIME structure does" },
	{ GMIME_WARN_MALFORMED_MESSAGE, "mime.malformed", "a malformed message" },
	{ GMIME_WARN_INVALID_ADDRESS_LIST, "header.bad_address", "an invalid address list" },
	{ GMIME_CRIT_INVALID_HEADER_NAME, "header.bad_name", "an invalid header name" },
	{ GMIME_CRIT_CONFLICTING_HEADER, "header.conflicting", "conflicting headers" },
	{ GMIME_CRIT_CONFLICTING_PARAMETER, "header.conflicting_param",
	  "conflicting header parameters" },
	{ GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY, "mime.no_boundary",
	  "a multipart without a boundary" },
	{ GMIME_CRIT_NESTING_OVERFLOW, "limit.depth", "MIME nesting over the limit" },
	{ GMIME_WARN_PART_WITHOUT_CONTENT, "mime.part_without_content", "a part without content" },
	{ GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT, "mime.empty_part",
	  "a part without headers or content" },
};

static void on_warning(gint64 offset, GMimeParserWarning code,
		       const gchar *item, gpointer user_data)
{
	struct walk *w = user_data;
	char clean[96], at[40] = "";
	size_t i = 0;
	/* The item is attacker text: keep it short and printable. */
	for (; item && item[i] && i < sizeof(clean) - 1; i++)
		clean[i] = (item[i] >= 0x20 && item[i] < 0x7f) ? item[i] : '?';
	clean[i] = '\0';
	/* GMime gives -1 when it does not know where */
	if (offset >= 0)
		snprintf(at, sizeof(at), " at byte %lld", (long long)offset);
	const char *id = "mime.other", *text = "a MIME parser warning";
	for (size_t k = 0; k < GV_ARRAY_LEN(warnings); k++)
		if (warnings[k].code == code) {
			id = warnings[k].id;
			text = warnings[k].text;
		}
	gv_mail_add_anomaly(w->pool, w->msg, id, "", "%s%s%s%s", text, at,
			    i ? ": " : "", clean);
}

const char *mail_pool_lower(struct gv_pool *pool, const char *s)
{
	if (s == NULL)
		return NULL;
	char *p = gv_pstrdup(pool, s);
	gv_ascii_lower(p, strlen(p));
	return p;
}

/* Copies a GMime string into the pool as valid UTF-8. */
const char *mail_pool_utf8(struct gv_pool *pool, const char *s, size_t len)
{
	if (s == NULL)
		return "";
	if (g_utf8_validate(s, (gssize)len, NULL))
		return gv_pstrndup(pool, s, len);
	gchar *fixed = g_utf8_make_valid(s, (gssize)len);
	const char *r = gv_pstrdup(pool, fixed);
	g_free(fixed);
	return r;
}

bool mail_deadline_passed(struct walk *w)
{
	if (w->time_hit)
		return true;
	if (gv_now_us() > w->msg->deadline_us) {
		w->time_hit = true;
		gv_mail_add_anomaly(w->pool, w->msg, "limit.time", "",
				    "time budget of %llu ms spent while parsing",
				    (unsigned long long)w->lim->time_budget_ms);
	}
	return w->time_hit;
}


void mail_check_header_block(struct walk *w, const unsigned char *data,
			     size_t len, const char *part)
{
	size_t bytes = 0, fields = 0;
	bool eight_bit = false;
	for (size_t i = 0; i < len;) {
		const unsigned char *nl = memchr(data + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - data) : len;
		size_t ll = end - i;
		if (ll == 0 || (ll == 1 && data[i] == '\r'))
			break; /* end of the header block */
		if (data[i] != ' ' && data[i] != '\t')
			fields++;
		for (size_t j = i; j < end && !eight_bit; j++)
			eight_bit = data[j] >= 0x80;
		bytes += ll + 1;
		i = end + 1;
	}
	if (bytes > w->lim->max_header_bytes)
		gv_mail_add_anomaly(w->pool, w->msg, "limit.header_bytes", part,
				    "header block of %zu bytes exceeds %zu",
				    bytes, w->lim->max_header_bytes);
	if (fields > w->lim->max_headers)
		gv_mail_add_anomaly(w->pool, w->msg, "limit.headers", part,
				    "%zu header fields exceed %zu (header flood)",
				    fields, w->lim->max_headers);
	(void)eight_bit; /* GMime reports unencoded 8-bit itself */
}

static void copy_headers(struct walk *w, GMimeObject *obj)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	int n = hl ? g_mime_header_list_get_count(hl) : 0;
	if (n < 0)
		n = 0;
	size_t keep = (size_t)n < w->lim->max_headers ? (size_t)n
						       : w->lim->max_headers;
	w->msg->headers = gv_palloc(w->pool, (keep + 1) * sizeof(*w->msg->headers));
	GMimeParserOptions *opts = g_mime_parser_options_get_default();
	for (size_t i = 0; i < keep; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, (int)i);
		const char *name = g_mime_header_get_name(h);
		const char *raw = g_mime_header_get_value(h);
		char *dec = g_mime_utils_header_decode_text(opts, raw ? raw : "");
		struct gv_mail_header *mh = &w->msg->headers[w->msg->n_headers++];
		mh->name = gv_pstrdup(w->pool, name ? name : "");
		mh->value = mail_pool_utf8(w->pool, dec, dec ? strlen(dec) : 0);
		g_free(dec);
	}
}

static void set_addr(struct gv_pool *pool, struct gv_mail_addr *a,
		     const char *name, const char *addr)
{
	a->display = mail_pool_utf8(pool, name, name ? strlen(name) : 0);
	const char *at = addr ? strrchr(addr, '@') : NULL;
	if (addr == NULL) {
		a->addr = "";
		a->domain = "";
		return;
	}
	char *copy = gv_pstrdup(pool, addr);
	if (at != NULL) {
		char *d = copy + (at - addr) + 1;
		gv_ascii_lower(d, strlen(d));
		a->domain = d;
	} else {
		a->domain = "";
	}
	a->addr = copy;
}

/* Flattens an address list (groups included) into a pool array. */
static struct gv_mail_addr *copy_addrs(struct gv_pool *pool,
				       InternetAddressList *list, size_t max,
				       struct gv_mail_addr *arr, size_t *n)
{
	int count = list ? internet_address_list_length(list) : 0;
	for (int i = 0; i < count && *n < max; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			InternetAddressList *members =
				internet_address_group_get_members(
					INTERNET_ADDRESS_GROUP(ia));
			arr = copy_addrs(pool, members, max, arr, n);
			continue;
		}
		if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
			continue;
		if (arr == NULL)
			arr = gv_palloc(pool, max * sizeof(*arr));
		set_addr(pool, &arr[(*n)++], internet_address_get_name(ia),
			 internet_address_mailbox_get_addr(
				 INTERNET_ADDRESS_MAILBOX(ia)));
	}
	return arr;
}

static struct gv_mail_addr *header_addr(struct walk *w, const char *value)
{
	if (value == NULL)
		return NULL;
	InternetAddressList *l = internet_address_list_parse(
		g_mime_parser_options_get_default(), value);
	size_t n = 0;
	struct gv_mail_addr *a = copy_addrs(w->pool, l, 1, NULL, &n);
	if (l)
		g_object_unref(l);
	return n ? a : NULL;
}

/* IPv4/IPv6 literals in brackets in Received headers: the relays' view of
 * who connected, which is what intel matching wants. */
static void received_ips(struct walk *w)
{
	size_t cap = 0;
	for (size_t i = 0; i < w->msg->n_headers; i++) {
		if (strcasecmp(w->msg->headers[i].name, "Received") != 0)
			continue;
		const char *v = w->msg->headers[i].value;
		for (const char *p = strchr(v, '['); p; p = strchr(p + 1, '[')) {
			const char *e = strchr(p, ']');
			if (e == NULL || e - p > 50 || e - p < 8)
				continue;
			const char *s = p + 1;
			if (strncasecmp(s, "IPv6:", 5) == 0)
				s += 5;
			size_t l = (size_t)(e - s);
			bool ok = true;
			for (size_t k = 0; k < l && ok; k++)
				ok = strchr("0123456789abcdefABCDEF.:", s[k]) != NULL;
			if (!ok || w->msg->n_received_ips >= 32)
				continue;
			w->msg->received_ips = gv_mail_grow(
				w->pool, w->msg->received_ips,
				sizeof(char *), &cap, w->msg->n_received_ips + 1);
			w->msg->received_ips[w->msg->n_received_ips++] =
				gv_pstrndup(w->pool, s, l);
		}
	}
}

static void copy_envelope(struct walk *w, GMimeMessage *m)
{
	struct gv_mail_message *msg = w->msg;
	const char *subj = g_mime_message_get_subject(m);
	msg->subject = mail_pool_utf8(w->pool, subj, subj ? strlen(subj) : 0);
	const char *mid = g_mime_message_get_message_id(m);
	msg->message_id = mid ? gv_pstrdup(w->pool, mid) : "";
	const char *date = gv_mail_header(msg, "Date");
	msg->date = date ? date : "";
	msg->from = copy_addrs(w->pool, g_mime_message_get_from(m), 8, NULL,
			       &msg->n_from);
	size_t n = 0;
	msg->reply_to = copy_addrs(w->pool, g_mime_message_get_reply_to(m), 1,
				   NULL, &n);
	n = 0;
	msg->sender = copy_addrs(w->pool, g_mime_message_get_sender(m), 1,
				 NULL, &n);
	msg->return_path = header_addr(w, gv_mail_header(msg, "Return-Path"));
	struct gv_mail_addr *to = copy_addrs(w->pool, g_mime_message_get_to(m),
					     256, NULL, &msg->n_to);
	size_t n_to = msg->n_to;
	to = copy_addrs(w->pool, g_mime_message_get_cc(m), 256, to, &n_to);
	msg->to = to;
	msg->n_to = n_to;
	received_ips(w);
}

const char *gv_mail_header(const struct gv_mail_message *msg, const char *name)
{
	for (size_t i = 0; i < msg->n_headers; i++)
		if (strcasecmp(msg->headers[i].name, name) == 0)
			return msg->headers[i].value;
	return NULL;
}

size_t gv_mail_header_count(const struct gv_mail_message *msg, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < msg->n_headers; i++)
		n += strcasecmp(msg->headers[i].name, name) == 0;
	return n;
}

/* Fallback when GMime returns no message at all: one opaque text part so
 * analyzers still see the bytes (and the verdict is never "nothing"). */
static void opaque_message(struct walk *w, const unsigned char *data,
			   size_t len)
{
	struct gv_mail_message *msg = w->msg;
	msg->parts = gv_palloc(w->pool, sizeof(*msg->parts));
	msg->n_parts = 1;
	struct gv_mail_part *p = &msg->parts[0];
	p->path = "1";
	p->content_type = "text/plain";
	p->is_text = true;
	p->body = data;
	p->body_len = len;
	size_t tl = len < w->lim->max_text_bytes ? len : w->lim->max_text_bytes;
	p->text = mail_pool_utf8(w->pool, (const char *)data, tl);
	p->text_len = strlen(p->text);
	msg->subject = "";
	msg->message_id = "";
	msg->date = "";
	gv_mail_add_anomaly(w->pool, msg, "mime.unparsable", "",
			    "not parsable as a message (%zu bytes)", len);
}

int gv_mail_parse(struct gv_pool *pool, const unsigned char *data, size_t len,
		  const struct gv_mail_limits *limits,
		  struct gv_mail_message **msg_r, const char **error_r)
{
	gv_mail_init();
	struct gv_mail_limits lim = limits ? *limits : (struct gv_mail_limits){ 0 };
	gv_mail_limits_apply_defaults(&lim);
	struct walk w = { .pool = pool, .lim = &lim };
	w.msg = gv_palloc(pool, sizeof(*w.msg));
	w.msg->deadline_us = lim.deadline_us ? lim.deadline_us
					     : gv_now_us() + lim.time_budget_ms * 1000;
	w.msg->raw = data;
	w.msg->raw_len = len;
	if (len > lim.max_message_bytes) {
		gv_mail_add_anomaly(pool, w.msg, "limit.message_bytes", "",
				    "message of %zu bytes cut at %zu", len,
				    lim.max_message_bytes);
		len = lim.max_message_bytes;
	}
	mail_check_header_block(&w, data, len, "");

	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(
		(const char *)data, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	GMimeParserOptions *opts = g_mime_parser_options_new();
	g_mime_parser_options_set_warning_callback(opts, on_warning, &w);
	GMimeMessage *m = g_mime_parser_construct_message(parser, opts);
	if (m == NULL) {
		opaque_message(&w, data, len);
		mail_collect_urls(&w);
	} else {
		copy_headers(&w, GMIME_OBJECT(m));
		copy_envelope(&w, m);
		GMimeObject *body = g_mime_message_get_mime_part(m);
		if (body != NULL)
			mail_walk(&w, body, "1", 0);
		mail_collect_urls(&w);
		if (w.msg->n_parts == 0)
			gv_mail_add_anomaly(pool, w.msg, "mime.no_body", "",
					    "message has no body part");
		g_object_unref(m);
	}
	g_mime_parser_options_free(opts);
	g_object_unref(parser);
	g_object_unref(stream);
	(void)error_r;
	*msg_r = w.msg;
	return 1;
}
