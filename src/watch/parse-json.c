/*
 * Bounded JSON walker for Dovecot event-exporter lines:
 *   {"event":"imap_command_finished", …, "fields":{"user":"alice",
 *    "session":"…","cmd_name":"UID FETCH","cmd_args":"1:* (BODY.PEEK[])",
 *    "bytes_out":6642714, …}}
 * It validates the whole object (strings, numbers, literals, nesting up to
 * limits->json_depth) and captures a fixed set of "fields" members. Escaped
 * strings are decoded into ev->scratch; everything else is a slice of the
 * line. Returns 1 for an imap_command_finished event, 0 for another event,
 * -1 for malformed JSON.
 */
#include "watch/watch-private.h"

#include <string.h>

struct jctx {
	const char *p, *end;
	size_t max_depth;
	struct gv_watch_event *ev;
	bool is_cmd;
};

static void j_ws(struct jctx *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
				 *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static unsigned hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned)(c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (unsigned)(c - 'A' + 10);
	return 16;
}

/* At '"': sets *raw to the content between the quotes and *esc when it
 * holds backslash escapes. Checks escapes are well formed. */
static bool j_string(struct jctx *j, struct gv_str *raw, bool *esc)
{
	if (j->p >= j->end || *j->p != '"')
		return false;
	const char *s = ++j->p;
	*esc = false;
	for (;;) {
		const char *q = s;
		while (q < j->end && *q != '"' && *q != '\\' &&
		       (unsigned char)*q >= 0x20)
			q++;
		if (q >= j->end || (unsigned char)*q < 0x20)
			return false;
		if (*q == '"') {
			*raw = (struct gv_str){ j->p, (size_t)(q - j->p) };
			j->p = q + 1;
			return true;
		}
		*esc = true;
		if (q + 1 >= j->end)
			return false;
		char c = q[1];
		if (c == 'u') {
			if (j->end - q < 6)
				return false;
			for (int i = 2; i < 6; i++)
				if (hexval(q[i]) > 15)
					return false;
			s = q + 6;
		} else if (strchr("\"\\/bfnrt", c) != NULL && c != '\0') {
			s = q + 2;
		} else {
			return false;
		}
	}
}

static size_t put_utf8(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Decodes an already validated escaped string into scratch. When scratch
 * is full the raw (escaped) text is kept: a clipped name would compare
 * equal to a different user. */
static struct gv_str j_unescape(struct gv_watch_event *ev, struct gv_str raw)
{
	size_t room = sizeof(ev->scratch) - ev->scratch_used;
	if (raw.len + 4 > room)
		return raw;
	char *out = ev->scratch + ev->scratch_used, *o = out;
	const char *p = raw.ptr, *end = raw.ptr + raw.len;
	while (p < end) {
		if (*p != '\\') {
			*o++ = *p++;
			continue;
		}
		char c = p[1];
		p += 2;
		switch (c) {
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			unsigned cp = hexval(p[0]) << 12 | hexval(p[1]) << 8 |
				      hexval(p[2]) << 4 | hexval(p[3]);
			p += 4;
			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd; /* lone or paired surrogate */
			if (cp == 0)
				cp = 0xfffd; /* keep strings NUL-free */
			o += put_utf8(o, cp);
			break;
		}
		default: *o++ = c; break;
		}
	}
	/* \uXXXX (6 bytes) decodes to <= 3 bytes: o never passes out+raw.len */
	ev->scratch_used += (size_t)(o - out);
	return (struct gv_str){ out, (size_t)(o - out) };
}

static bool j_value(struct jctx *j, size_t depth, int obj_kind,
		    struct gv_str *sval, bool *is_str);

static bool j_number(struct jctx *j, struct gv_str *out)
{
	const char *s = j->p;
	if (j->p < j->end && *j->p == '-')
		j->p++;
	const char *d = j->p;
	while (j->p < j->end && ((*j->p >= '0' && *j->p <= '9') ||
				 *j->p == '.' || *j->p == 'e' ||
				 *j->p == 'E' || *j->p == '+' || *j->p == '-'))
		j->p++;
	if (j->p == d)
		return false;
	*out = (struct gv_str){ s, (size_t)(j->p - s) };
	return true;
}

static bool j_literal(struct jctx *j)
{
	static const char *lits[] = { "true", "false", "null" };
	for (size_t i = 0; i < GV_ARRAY_LEN(lits); i++) {
		size_t n = strlen(lits[i]);
		if ((size_t)(j->end - j->p) >= n &&
		    memcmp(j->p, lits[i], n) == 0) {
			j->p += n;
			return true;
		}
	}
	return false;
}

static bool key_is(struct gv_str k, const char *lit)
{
	size_t n = strlen(lit);
	return k.len == n && memcmp(k.ptr, lit, n) == 0;
}

/* Stores a member of "fields" the detector uses. */
static void capture_field(struct gv_watch_event *ev, struct gv_str k,
			  struct gv_str v, bool is_str)
{
	if (!is_str) {
		if (key_is(k, "bytes_out")) {
			uint64_t n = 0;
			for (size_t i = 0; i < v.len && i < 19; i++) {
				if (v.ptr[i] < '0' || v.ptr[i] > '9')
					return;
				n = n * 10 + (uint64_t)(v.ptr[i] - '0');
			}
			ev->bytes_out = n;
		}
		return;
	}
	if (key_is(k, "user"))
		ev->user = v;
	else if (key_is(k, "session"))
		ev->session = v;
	else if (key_is(k, "remote_ip"))
		ev->rip = v;
	else if (key_is(k, "cmd_name"))
		ev->cmd_name = v;
	else if (key_is(k, "cmd_args"))
		ev->cmd_args = v;
	else if (key_is(k, "tagged_reply_state"))
		ev->reply_state = v;
	else if (key_is(k, "tagged_reply"))
		ev->reply = v;
	else if (key_is(k, "mailbox"))
		ev->mailbox = v;
}

/* obj_kind: 0 top level, 1 the "fields" object, 2 or 3 anything else. */
static bool j_object(struct jctx *j, size_t depth, int obj_kind)
{
	if (depth > j->max_depth)
		return false;
	j->p++; /* '{' */
	j_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return true;
	}
	for (;;) {
		struct gv_str k, v = { 0 };
		bool esc, is_str = false;
		j_ws(j);
		if (!j_string(j, &k, &esc))
			return false;
		j_ws(j);
		if (j->p >= j->end || *j->p != ':')
			return false;
		j->p++;
		j_ws(j);
		/* 1: the "fields" object; 3: a member of it (decoded) */
		int child = obj_kind == 0 && key_is(k, "fields") ? 1 :
			    obj_kind == 1 ? 3 : 2;
		if (!j_value(j, depth + 1, child, &v, &is_str))
			return false;
		if (obj_kind == 0 && is_str && key_is(k, "event"))
			j->is_cmd = key_is(v, "imap_command_finished");
		else if (obj_kind == 1)
			capture_field(j->ev, k, v, is_str);
		j_ws(j);
		if (j->p >= j->end)
			return false;
		if (*j->p == '}') {
			j->p++;
			return true;
		}
		if (*j->p != ',')
			return false;
		j->p++;
	}
}

static bool j_array(struct jctx *j, size_t depth)
{
	if (depth > j->max_depth)
		return false;
	j->p++; /* '[' */
	j_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return true;
	}
	for (;;) {
		struct gv_str v;
		bool is_str;
		j_ws(j);
		if (!j_value(j, depth + 1, 2, &v, &is_str))
			return false;
		j_ws(j);
		if (j->p >= j->end)
			return false;
		if (*j->p == ']') {
			j->p++;
			return true;
		}
		if (*j->p != ',')
			return false;
		j->p++;
	}
}

static bool j_value(struct jctx *j, size_t depth, int obj_kind,
		    struct gv_str *sval, bool *is_str)
{
	*is_str = false;
	if (j->p >= j->end)
		return false;
	switch (*j->p) {
	case '{':
		return j_object(j, depth, obj_kind);
	case '[':
		return j_array(j, depth);
	case '"': {
		bool esc;
		if (!j_string(j, sval, &esc))
			return false;
		if (esc && obj_kind == 3)
			*sval = j_unescape(j->ev, *sval);
		*is_str = true;
		return true;
	}
	default:
		if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))
			return j_number(j, sval);
		return j_literal(j);
	}
}

int gv_watch_parse_json(const char *p, const char *end,
			const struct gv_watch_limits *lim,
			struct gv_watch_event *ev)
{
	struct jctx j = { p, end, lim->json_depth, ev, false };
	struct gv_str v;
	bool is_str;
	if (!j_value(&j, 1, 0, &v, &is_str))
		return -1;
	j_ws(&j);
	if (j.p != end)
		return -1;
	if (!j.is_cmd)
		return 0;
	if (ev->cmd_name.len == 0)
		return -1;
	/* "fields" may also carry a user; the line prefix is the fallback */
	ev->type = GV_WEV_COMMAND;
	return 1;
}
