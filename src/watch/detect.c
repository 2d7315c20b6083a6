/*
 * Detector. A finding is raised the moment a session's totals cross the
 * line, not at logout, so an alert leaves within one poll of the log line
 * that proves the bulk access. Rule (per session and kind):
 *
 *   messages >= min_messages, and
 *   share of the mailbox >= share_threshold (a "1:*" set is the whole
 *   mailbox), or, with the mailbox size unknown, messages >= bulk_messages,
 *   and the user's baseline does not explain it (a known IP and client
 *   whose sessions usually move this much: <= baseline_factor x mean).
 *
 * Each session raises at most one finding per kind; a per-user window adds
 * up sessions so that many small sessions are caught too (one finding per
 * window, none when a session finding was already raised in it).
 * Severity: medium from the threshold, high from 90 % or "1:*", +1 for a
 * new IP, +1 for a new client, +1 for an unusual hour; capped at 4.
 */
#include "watch/watch-private.h"

#include <stdio.h>
#include <string.h>

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static struct wbox *box_find(struct wuser *u, const char *name, size_t len,
			     bool create)
{
	char tmp[WATCH_BOX_LEN];
	watch_copy_str(tmp, sizeof(tmp), name, len);
	struct wbox *free_slot = NULL;
	for (size_t i = 0; i < WATCH_MAX_BOXES; i++) {
		if (u->boxes[i].name[0] == '\0') {
			if (free_slot == NULL)
				free_slot = &u->boxes[i];
		} else if (strcmp(u->boxes[i].name, tmp) == 0) {
			return &u->boxes[i];
		}
	}
	if (!create || len == 0)
		return NULL;
	if (free_slot == NULL) /* full: reuse the smallest entry */
		for (size_t i = 0; i < WATCH_MAX_BOXES; i++)
			if (!free_slot || u->boxes[i].size < free_slot->size)
				free_slot = &u->boxes[i];
	memcpy(free_slot->name, tmp, sizeof(tmp));
	free_slot->size = 0;
	return free_slot;
}

static void box_learn(struct gv_watch *w, struct wuser *u, const char *name,
		      size_t len, uint64_t size)
{
	struct wbox *b = box_find(u, name, len, true);
	if (b != NULL && size > b->size) {
		b->size = size;
		w->dirty = true;
	}
	if (size > u->total_size)
		u->total_size = size;
}

static uint64_t box_size(struct gv_watch *w, struct wuser *u, const char *name)
{
	uint64_t n = 0;
	if (name && name[0]) {
		struct wbox *b = box_find(u, name, strlen(name), false);
		if (b)
			n = b->size;
	} else {
		n = u->total_size;
	}
	return max_u64(n, w->cfg.mailbox_messages);
}

static bool unusual_hour(const struct gv_watch *w, const struct wuser *u,
			 int64_t t)
{
	int h = (int)((t >= 0 ? t / 3600 : 0) % 24);
	uint64_t total = 0;
	for (int i = 0; i < 24; i++)
		total += u->hours[i];
	if (total >= 20) {
		uint64_t near = u->hours[h] + u->hours[(h + 1) % 24] +
				u->hours[(h + 23) % 24];
		return near * 50 < total; /* under 2 % of the user's sessions */
	}
	return h < w->cfg.work_hour_start || h >= w->cfg.work_hour_end;
}

/* Starts a new accumulation window when the current one is over. */
static void window_roll(struct gv_watch *w, struct wuser *u, int64_t t)
{
	if (u->win_start == 0 ||
	    t - u->win_start >= (int64_t)w->cfg.window_seconds) {
		u->win_start = t;
		u->win_msgs = 0;
		u->win_alerted = false;
	}
}

static void emit(struct gv_watch *w, struct wsession *s,
		 enum gv_watch_finding_kind kind, int64_t t, uint64_t msgs,
		 uint64_t bytes, double share, bool whole, uint64_t size)
{
	struct wuser *u = s->user;
	struct gv_watch_finding f = { 0 };
	char key[256];
	f.kind = kind;
	f.user = u->k.key;
	f.session = s->k.key;
	f.rip = s->rip;
	f.client = s->client;
	f.mailbox = s->multi_box ? "" : s->mailbox;
	f.service = s->service;
	f.time = t;
	f.session_start = s->start;
	f.messages = msgs;
	f.bytes = bytes;
	f.share = share;
	f.whole_mailbox = whole;
	f.mailbox_messages = size;
	f.usual_messages = u->sessions ? (uint64_t)(u->mean_msgs + 0.5) : 0;
	f.new_ip = u->sessions > 0 && s->rip[0] &&
		   !watch_user_knows_ip(u, s->rip);
	f.new_client = u->sessions > 0 && s->client[0] &&
		       !watch_user_knows_client(u, s->client);
	f.unusual_hour = unusual_hour(w, u, t);
	int sev = whole || share >= 0.9 ? 3 : 2;
	sev += f.new_ip + f.new_client + f.unusual_hour;
	f.severity = sev > 4 ? 4 : sev;
	static const char *names[] = { "download", "copy", "window" };
	if (kind == GV_WATCH_WINDOW)
		snprintf(key, sizeof(key), "watch:window:%s:%lld", u->k.key,
			 (long long)u->win_start);
	else
		snprintf(key, sizeof(key), "watch:%s:%s:%s", names[kind],
			 u->k.key, s->k.key);
	f.dedup_key = key;
	window_roll(w, u, t);
	u->win_alerted = true;
	w->st.findings++;
	w->dirty = true;
	if (w->fn)
		w->fn(w->fn_ctx, &f);
}

/* Is (msgs, share) bulk for this user? */
static bool is_bulk(struct gv_watch *w, struct wsession *s, uint64_t msgs,
		    uint64_t bytes, double share, bool whole)
{
	const struct gv_watch_config *c = &w->cfg;
	if (msgs == 0)
		return whole && bytes >= c->min_bytes;
	if (msgs < c->min_messages)
		return false;
	if (share >= 0 ? share < c->share_threshold : msgs < c->bulk_messages)
		return false;
	struct wuser *u = s->user;
	if (u->sessions >= 5 && s->rip[0] && watch_user_knows_ip(u, s->rip) &&
	    (!s->client[0] || watch_user_knows_client(u, s->client)) &&
	    (double)msgs <= c->baseline_factor * u->mean_msgs)
		return false;
	return true;
}

static void evaluate(struct gv_watch *w, struct wsession *s,
		     enum gv_watch_finding_kind kind, int64_t t)
{
	uint64_t msgs, bytes;
	bool whole;
	if (kind == GV_WATCH_DOWNLOAD) {
		msgs = max_u64(s->fetch_msgs, s->body_count);
		bytes = max_u64(s->fetch_bytes, s->body_bytes);
		whole = s->fetch_whole;
	} else {
		msgs = max_u64(s->copy_cmd, s->copy_log);
		bytes = s->copy_bytes;
		whole = s->copy_whole;
	}
	struct wuser *u = s->user;
	uint64_t total = max_u64(s->fetch_msgs, s->body_count) +
			 max_u64(s->copy_cmd, s->copy_log);
	/* the user's window gets what this session added since last time */
	if (total > s->counted) {
		uint64_t add = total - s->counted;
		s->counted = total;
		window_roll(w, u, t);
		u->win_msgs += add;
		watch_user_day(u, t, add);
	}
	uint64_t size = box_size(w, u, s->multi_box ? NULL : s->mailbox);
	double share = whole ? 1.0 : size ? (double)msgs / (double)size : -1;
	if (share > 1)
		share = 1;
	if (!(s->alerted & (1u << kind)) &&
	    is_bulk(w, s, msgs, bytes, share, whole)) {
		s->alerted |= 1u << kind;
		emit(w, s, kind, t, msgs, bytes, share, whole, size);
		return;
	}
	/* window: many sessions together */
	if (u->win_alerted || u->win_msgs < w->cfg.min_messages)
		return;
	size = box_size(w, u, NULL);
	double wshare = size ? (double)u->win_msgs / (double)size : -1;
	bool usual = u->days >= 3 &&
		     (double)u->win_msgs <= w->cfg.baseline_factor * u->mean_day;
	if (!usual && (wshare >= 0 ? wshare >= w->cfg.share_threshold :
				     u->win_msgs >= w->cfg.bulk_messages))
		emit(w, s, GV_WATCH_WINDOW, t, u->win_msgs, 0,
		     wshare > 1 ? 1 : wshare, false, size);
}

static bool ignored_box(struct gv_watch *w, struct gv_str box)
{
	if (box.len >= 2 && box.ptr[0] == '"' && box.ptr[box.len - 1] == '"') {
		box.ptr++;
		box.len -= 2;
	}
	for (size_t i = 0; i < w->n_ignore; i++)
		if (gv_str_eq_ci(box, w->ignore[i]))
			return true;
	return false;
}

static void set_mailbox(struct wsession *s, struct gv_str box)
{
	char tmp[WATCH_BOX_LEN];
	if (box.len == 0)
		return;
	watch_copy_str(tmp, sizeof(tmp), box.ptr, box.len);
	if (s->mailbox[0] && strcmp(tmp, s->mailbox) != 0)
		s->multi_box = true;
	memcpy(s->mailbox, tmp, sizeof(tmp));
}

/* COPYUID's source set in "OK [COPYUID <validity> <src> <dst>] …". */
static uint64_t copyuid_count(struct gv_str reply)
{
	if (reply.len == 0)
		return 0;
	const char *p = gv_memcasemem(reply.ptr, reply.len, "[COPYUID ", 9);
	if (p == NULL)
		return 0;
	const char *end = reply.ptr + reply.len;
	p += 9;
	const char *sp = memchr(p, ' ', (size_t)(end - p));
	if (sp == NULL)
		return 0;
	struct seqset_info si;
	if (gv_watch_seqset(sp + 1, (size_t)(end - sp - 1), 0, &si) == 0)
		return 0;
	return si.count;
}

static void on_command(struct gv_watch *w, struct wsession *s,
		       const struct gv_watch_event *ev)
{
	struct gv_str n = ev->cmd_name;
	bool uid = gv_mem_has_prefix_ci(n.ptr, n.len, "UID ");
	if (uid) {
		n.ptr += 4;
		n.len -= 4;
	}
	if (ev->reply_state.len && !gv_str_eq_ci(ev->reply_state, "OK"))
		return;
	set_mailbox(s, ev->mailbox);
	bool fetch = gv_str_eq_ci(n, "FETCH");
	bool copy = gv_str_eq_ci(n, "COPY") || gv_str_eq_ci(n, "MOVE");
	if (!fetch && !copy)
		return;
	struct wuser *u = s->user;
	uint64_t size = box_size(w, u, s->mailbox);
	struct seqset_info si;
	size_t used = gv_watch_seqset(ev->cmd_args.ptr, ev->cmd_args.len,
				      uid ? 0 : size, &si);
	if (used == 0)
		return;
	if (!uid && si.max_num)
		box_learn(w, u, s->mailbox, strlen(s->mailbox), si.max_num);
	struct gv_str rest = { ev->cmd_args.ptr + used, ev->cmd_args.len - used };
	while (rest.len && rest.ptr[0] == ' ') {
		rest.ptr++;
		rest.len--;
	}
	if (uid && si.whole && size)
		si.count = size;
	if (fetch) {
		if (!gv_watch_fetch_is_body(rest.ptr, rest.len))
			return;
		s->fetch_msgs += si.count;
		s->fetch_bytes += ev->bytes_out;
		s->fetch_whole = s->fetch_whole || si.whole;
		evaluate(w, s, GV_WATCH_DOWNLOAD, ev->time);
		return;
	}
	if (ignored_box(w, rest))
		return;
	uint64_t c = copyuid_count(ev->reply);
	if (c)
		si.count = c;
	if (si.whole && si.count)
		box_learn(w, u, s->mailbox, strlen(s->mailbox), si.count);
	s->copy_cmd += si.count;
	s->copy_whole = s->copy_whole || si.whole;
	evaluate(w, s, GV_WATCH_COPY, ev->time);
}

static struct wsession *find_session(struct gv_watch *w,
				     const struct gv_watch_event *ev,
				     bool create)
{
	char key[160];
	size_t len;
	if (ev->session.len)
		len = (size_t)snprintf(key, sizeof(key), "%.*s",
				       (int)(ev->session.len > 150 ? 150 :
					     ev->session.len),
				       ev->session.ptr);
	else if (ev->pid.len && ev->pid.len < 32)
		len = (size_t)snprintf(key, sizeof(key), "pid:%.*s",
				       (int)ev->pid.len, ev->pid.ptr);
	else
		return NULL;
	struct wsession *s = wtable_get(&w->sessions, key, len,
					wtable_hash(key, len));
	if (s != NULL || !create || ev->user.len == 0)
		return s;
	struct wuser *u = watch_user_get(w, ev->user.ptr, ev->user.len, true);
	if (u == NULL) { /* max_users reached: counted, not silent */
		w->st.sessions_dropped++;
		return NULL;
	}
	s = watch_session_new(w, key, len, u);
	if (s == NULL)
		return NULL;
	s->start = ev->time;
	watch_copy_str(s->rip, sizeof(s->rip), ev->rip.ptr, ev->rip.len);
	struct gv_str svc = ev->service;
	if (svc.len > 6 && memcmp(svc.ptr + svc.len - 6, "-login", 6) == 0)
		svc.len -= 6;
	if (svc.len == 5 && memcmp(svc.ptr, "stats", 5) == 0)
		svc = (struct gv_str){ "imap", 4 };
	watch_copy_str(s->service, sizeof(s->service), svc.ptr, svc.len);
	return s;
}

void watch_handle_event(struct gv_watch *w, const struct gv_watch_event *ev)
{
	struct wsession *s = find_session(w, ev, true);
	if (s == NULL)
		return;
	s->last = ev->time;
	s->user->last_seen = ev->time;
	w->dirty = true;
	switch (ev->type) {
	case GV_WEV_LOGIN:
		if (ev->rip.len)
			watch_copy_str(s->rip, sizeof(s->rip), ev->rip.ptr,
				       ev->rip.len);
		break;
	case GV_WEV_CLIENT:
		watch_copy_str(s->client, sizeof(s->client), ev->client.ptr,
			       ev->client.len);
		break;
	case GV_WEV_COMMAND:
		s->cmd_events = true;
		on_command(w, s, ev);
		break;
	case GV_WEV_COPY:
		if (ignored_box(w, ev->box_to))
			break;
		set_mailbox(s, ev->box_from);
		s->copy_log++;
		s->copy_bytes += ev->size;
		/* With command events on, the COPY/MOVE event that ends the
		 * command carries the full count: judge then, not at the
		 * first half of the copy lines. Logout judges in any case. */
		if (!s->cmd_events)
			evaluate(w, s, GV_WATCH_COPY, ev->time);
		break;
	case GV_WEV_LOGOUT:
		s->body_count = ev->body_count;
		s->body_bytes = ev->body_bytes;
		evaluate(w, s, GV_WATCH_DOWNLOAD, ev->time);
		evaluate(w, s, GV_WATCH_COPY, ev->time);
		watch_session_end(w, s, true);
		break;
	default:
		break;
	}
}

/* Forgets sessions idle for session_timeout (lost logout lines). */
void watch_sweep(struct gv_watch *w, int64_t now)
{
	for (size_t i = 0; i < w->sessions.cap;) {
		struct wsession *s = (struct wsession *)w->sessions.slots[i];
		if (s != NULL &&
		    now - s->last > (int64_t)w->cfg.session_timeout) {
			/* deletion shifts later items into slot i: re-check */
			watch_session_end(w, s, false);
			continue;
		}
		i++;
	}
	w->last_sweep = now;
}
