/*
 * The message part of a Dovecot log line: login, logout counters, mail_log
 * copy lines, imap_id_log client ids and imap_command_finished JSON events.
 * Values are slices of the line. The JSON reader is a bounded walker (depth
 * limit, every index checked against end) that picks the few "fields" the
 * detector needs; it is hand-written because a general JSON library costs
 * several microseconds per 900-byte event and this runs for every line.
 */
#include "watch/watch-private.h"

#include <string.h>

static bool has_prefix(const char *p, const char *end, const char *lit)
{
	size_t n = strlen(lit);
	return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0;
}

static bool str_is(struct gv_str s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len == n && memcmp(s.ptr, lit, n) == 0;
}

static uint64_t to_u64(struct gv_str s, bool *ok)
{
	uint64_t v = 0;
	if (s.len == 0 || s.len > 19) {
		*ok = false;
		return 0;
	}
	for (size_t i = 0; i < s.len; i++) {
		if (s.ptr[i] < '0' || s.ptr[i] > '9') {
			*ok = false;
			return 0;
		}
		v = v * 10 + (uint64_t)(s.ptr[i] - '0');
	}
	return v;
}

/*
 * "key=value, key=<value>, word, …" as written by Dovecot's login and
 * mail_log lines. Calls back per key=value; a <…> value ends at the last
 * '>' before the next ", " so user names may contain '>' or ','.
 */
struct kv_iter {
	const char *p, *end;
	char sep; /* ',' for login/mail_log lists, ' ' for logout counters */
};

static bool kv_next(struct kv_iter *it, struct gv_str *key, struct gv_str *val)
{
	while (it->p < it->end) {
		const char *p = it->p;
		while (p < it->end && (*p == ' ' || *p == it->sep))
			p++;
		if (p >= it->end)
			break;
		const char *k = p;
		while (p < it->end && *p != '=' && *p != it->sep && *p != ' ')
			p++;
		if (p >= it->end || *p != '=') {
			/* bare word: skip to the next separator */
			const char *s = memchr(p, it->sep, (size_t)(it->end - p));
			it->p = s ? s + 1 : it->end;
			continue;
		}
		*key = (struct gv_str){ k, (size_t)(p - k) };
		p++;
		const char *v = p, *ve;
		if (p < it->end && *p == '<') {
			v = p + 1;
			const char *gt = NULL;
			for (const char *s = v; s < it->end; s++) {
				if (*s != '>')
					continue;
				gt = s;
				if (s + 1 == it->end || s[1] == it->sep)
					break;
			}
			if (gt == NULL)
				return false; /* unterminated <…> */
			ve = gt;
			p = gt + 1;
		} else {
			const char *s = memchr(p, it->sep, (size_t)(it->end - p));
			ve = s ? s : it->end;
			p = ve;
		}
		*val = (struct gv_str){ v, (size_t)(ve - v) };
		it->p = p;
		return true;
	}
	it->p = it->end;
	return false;
}

static int parse_login(const char *p, const char *end, struct gv_watch_event *ev)
{
	struct kv_iter it = { p, end, ',' };
	struct gv_str k, v;
	while (kv_next(&it, &k, &v)) {
		if (str_is(k, "user"))
			ev->user = v;
		else if (str_is(k, "rip"))
			ev->rip = v;
		else if (str_is(k, "session"))
			ev->session = v;
		else if (str_is(k, "mpid"))
			ev->pid = v;
	}
	if (it.p != end || ev->user.len == 0)
		return -1;
	ev->type = GV_WEV_LOGIN;
	return 1;
}

/* "Disconnected: Logged out in=… body_count=N body_bytes=N" (IMAP) or
 * "… top=0/0, retr=N/B, del=0/300, size=S" (POP3). */
static int parse_logout(const char *p, const char *end, struct gv_watch_event *ev)
{
	struct kv_iter it = { p, end, ' ' };
	struct gv_str k, v;
	bool any = false;
	while (kv_next(&it, &k, &v)) {
		bool ok = true;
		if (v.len && v.ptr[v.len - 1] == ',')
			v.len--;
		if (str_is(k, "body_count"))
			ev->body_count = to_u64(v, &ok);
		else if (str_is(k, "body_bytes"))
			ev->body_bytes = to_u64(v, &ok);
		else if (str_is(k, "hdr_count"))
			ev->hdr_count = to_u64(v, &ok);
		else if (str_is(k, "hdr_bytes"))
			ev->hdr_bytes = to_u64(v, &ok);
		else if (str_is(k, "out"))
			ev->bytes_out = to_u64(v, &ok);
		else if (str_is(k, "retr")) {
			const char *sl = memchr(v.ptr, '/', v.len);
			if (sl == NULL)
				return -1;
			struct gv_str c = { v.ptr, (size_t)(sl - v.ptr) };
			struct gv_str b = { sl + 1, v.len - c.len - 1 };
			ev->body_count = to_u64(c, &ok);
			if (ok)
				ev->body_bytes = to_u64(b, &ok);
		} else
			continue;
		if (!ok)
			return -1;
		any = true;
	}
	(void)any; /* a logout without counters still ends the session */
	ev->type = GV_WEV_LOGOUT;
	return 1;
}

/* mail_log: "copy from INBOX: box=Archive, uid=1, …, size=13847, …" */
static int parse_copy(const char *p, const char *end, struct gv_watch_event *ev)
{
	const char *c = NULL;
	for (const char *s = p; s + 1 < end; s++)
		if (s[0] == ':' && s[1] == ' ') {
			c = s;
			break;
		}
	if (c == NULL)
		return -1;
	ev->box_from = (struct gv_str){ p, (size_t)(c - p) };
	struct kv_iter it = { c + 2, end, ',' };
	struct gv_str k, v;
	while (kv_next(&it, &k, &v)) {
		bool ok = true;
		if (str_is(k, "box"))
			ev->box_to = v;
		else if (str_is(k, "size") || (str_is(k, "vsize") && !ev->size))
			ev->size = to_u64(v, &ok);
		if (!ok)
			return -1;
		/* later fields (from=, subject=) are attacker-written text */
		if (str_is(k, "size") || str_is(k, "vsize"))
			break;
	}
	ev->type = GV_WEV_COPY;
	return 1;
}

/* imap_id_log: "ID sent: name=Thunderbird, version=115.3" */
static int parse_client(const char *p, const char *end, struct gv_watch_event *ev)
{
	struct kv_iter it = { p, end, ',' };
	struct gv_str k, v, name = { 0 }, ver = { 0 };
	while (kv_next(&it, &k, &v)) {
		if (str_is(k, "name"))
			name = v;
		else if (str_is(k, "version"))
			ver = v;
	}
	if (name.len == 0)
		return 0;
	/* "name version" into scratch; clipped to its size */
	size_t n = name.len + (ver.len ? 1 + ver.len : 0);
	if (n > sizeof(ev->scratch) - 1)
		n = sizeof(ev->scratch) - 1;
	size_t a = name.len < n ? name.len : n;
	memcpy(ev->scratch, name.ptr, a);
	if (ver.len && a < n) {
		ev->scratch[a] = ' ';
		memcpy(ev->scratch + a + 1, ver.ptr, n - a - 1);
	}
	ev->scratch_used = n;
	ev->client = (struct gv_str){ ev->scratch, n };
	ev->type = GV_WEV_CLIENT;
	return 1;
}

int gv_watch_parse_message(const char *msg, const char *end,
			   const struct gv_watch_limits *lim,
			   struct gv_watch_event *ev)
{
	struct gv_str svc = ev->service;
	if (msg < end && *msg == '{')
		return gv_watch_parse_json(msg, end, lim, ev);
	if (svc.len > 6 && memcmp(svc.ptr + svc.len - 6, "-login", 6) == 0) {
		if (has_prefix(msg, end, "Login: "))
			return parse_login(msg + 7, end, ev);
		return 0;
	}
	if (ev->user.len == 0)
		return 0;
	if (has_prefix(msg, end, "Disconnected") ||
	    has_prefix(msg, end, "Connection closed") ||
	    has_prefix(msg, end, "Logged out"))
		return parse_logout(msg, end, ev);
	if (has_prefix(msg, end, "copy from "))
		return parse_copy(msg + 10, end, ev);
	if (has_prefix(msg, end, "ID sent: "))
		return parse_client(msg + 9, end, ev);
	return 0;
}
