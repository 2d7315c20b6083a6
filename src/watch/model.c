/*
 * Sessions and per-user baselines. Events from the parser update the
 * session they belong to (joined on the session id, else the process id);
 * detect.c decides whether the session's totals are a finding. A session
 * that ends without a finding teaches its user's baseline: mean messages
 * and bytes per session, messages per day, known IPs and clients, and the
 * hours the user is usually active. Sessions that raised a finding teach
 * nothing, so an attacker cannot train the baseline with the attack.
 */
#include "watch/watch-private.h"

#include <string.h>

#define EWMA_ALPHA 0.2

void watch_copy_str(char *dst, size_t cap, const char *src, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	if (len > 0) /* src may be NULL for an absent (empty) field */
		memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Exact copy (a hostile name may hold NUL bytes: strndup would stop
 * there and the table compares len bytes). */
static char *key_dup(const char *s, size_t len)
{
	char *k = gv_malloc(len + 1);
	if (len > 0)
		memcpy(k, s, len);
	k[len] = '\0';
	return k;
}

struct wuser *watch_user_get(struct gv_watch *w, const char *name, size_t len,
			     bool create)
{
	uint64_t h = wtable_hash(name, len);
	struct wuser *u = wtable_get(&w->users, name, len, h);
	if (u != NULL || !create)
		return u;
	if (w->users.count >= w->cfg.limits.max_users)
		return NULL;
	u = gv_calloc(1, sizeof(*u));
	u->k.key = key_dup(name, len);
	u->k.len = len;
	u->k.hash = h;
	u->day = -1;
	wtable_put(&w->users, &u->k);
	w->dirty = true;
	return u;
}

struct wsession *watch_session_new(struct gv_watch *w, const char *key,
				   size_t len, struct wuser *u)
{
	if (w->sessions.count >= w->cfg.limits.max_sessions) {
		w->st.sessions_dropped++;
		return NULL;
	}
	struct wsession *s = gv_calloc(1, sizeof(*s));
	s->k.key = key_dup(key, len);
	s->k.len = len;
	s->k.hash = wtable_hash(key, len);
	s->user = u;
	wtable_put(&w->sessions, &s->k);
	w->dirty = true;
	return s;
}

static bool list_has(const char *list, size_t n, size_t stride, const char *v)
{
	for (size_t i = 0; i < n; i++)
		if (list[i * stride] && strcmp(list + i * stride, v) == 0)
			return true;
	return false;
}

bool watch_user_knows_ip(const struct wuser *u, const char *ip)
{
	return list_has(&u->ips[0][0], WATCH_MAX_IPS, WATCH_IP_LEN, ip);
}

bool watch_user_knows_client(const struct wuser *u, const char *c)
{
	return list_has(&u->clients[0][0], WATCH_MAX_CLIENTS, WATCH_CLIENT_LEN,
			c);
}

/* Day accounting: the mean of messages per day moves when a day closes. */
void watch_user_day(struct wuser *u, int64_t t, uint64_t add)
{
	int64_t day = t >= 0 ? t / 86400 : 0;
	if (u->day != day) {
		if (u->day >= 0) {
			u->mean_day = u->days == 0 ? (double)u->day_msgs :
				(1 - EWMA_ALPHA) * u->mean_day +
				EWMA_ALPHA * (double)u->day_msgs;
			u->days++;
		}
		u->day = day;
		u->day_msgs = 0;
	}
	u->day_msgs += add;
}

static void learn(struct gv_watch *w, struct wsession *s)
{
	struct wuser *u = s->user;
	uint64_t msgs = s->fetch_msgs > s->body_count ? s->fetch_msgs :
							 s->body_count;
	uint64_t c = s->copy_cmd > s->copy_log ? s->copy_cmd : s->copy_log;
	msgs += c;
	uint64_t bytes = s->fetch_bytes > s->body_bytes ? s->fetch_bytes :
							   s->body_bytes;
	if (u->sessions == 0) {
		u->mean_msgs = (double)msgs;
		u->mean_bytes = (double)bytes;
	} else {
		u->mean_msgs = (1 - EWMA_ALPHA) * u->mean_msgs +
			       EWMA_ALPHA * (double)msgs;
		u->mean_bytes = (1 - EWMA_ALPHA) * u->mean_bytes +
				EWMA_ALPHA * (double)bytes;
	}
	u->sessions++;
	if (s->rip[0] && !watch_user_knows_ip(u, s->rip)) {
		memcpy(u->ips[u->ip_next], s->rip, WATCH_IP_LEN);
		u->ip_next = (u->ip_next + 1) % WATCH_MAX_IPS;
	}
	if (s->client[0] && !watch_user_knows_client(u, s->client)) {
		memcpy(u->clients[u->client_next], s->client,
		       WATCH_CLIENT_LEN);
		u->client_next = (u->client_next + 1) % WATCH_MAX_CLIENTS;
	}
	int64_t t = s->start ? s->start : s->last;
	u->hours[(t >= 0 ? t / 3600 : 0) % 24]++;
	(void)w;
}

/*
 * A session that raised a finding still teaches when it came from a known
 * IP and client (volume alone made it bulk: the user's own device doing a
 * large sync keeps alerting only until the baseline knows it), or when the
 * user has no history at all (bootstrap). From a new device it teaches
 * nothing, so an attacker cannot make the attack look usual.
 */
void watch_session_end(struct gv_watch *w, struct wsession *s, bool do_learn)
{
	struct wuser *u = s->user;
	bool known = s->rip[0] && watch_user_knows_ip(u, s->rip) &&
		     (!s->client[0] || watch_user_knows_client(u, s->client));
	if (do_learn && (s->alerted == 0 || known || u->sessions == 0))
		learn(w, s);
	wtable_del(&w->sessions, &s->k);
	gv_free(s->k.key);
	gv_free(s);
	w->dirty = true;
}
