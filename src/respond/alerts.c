/*
 * struct gv_alerts: defaults, de-duplication, rate limits and emit.
 *
 * De-duplication uses the alert's own time (not the wall clock), so a
 * replayed input is judged the same way as the first time. Rate limits
 * protect people, not machines: max_per_minute caps team mail and
 * max_per_user_hour caps mail to one affected user; the webhook and syslog
 * receive every accepted alert, so a SIEM sees everything.
 */
#include "respond/respond-private.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static const char *own(struct gv_alerts *a, const char *s, const char *def)
{
	if (s == NULL || s[0] == '\0')
		return def;
	gv_assert(a->n_owned < GV_ARRAY_LEN(a->owned));
	return a->owned[a->n_owned++] = gv_strdup(s);
}

struct gv_alerts *gv_alerts_new(const struct gv_alerts_config *cfg)
{
	struct gv_alerts *a = gv_calloc(1, sizeof(*a));
	struct gv_alerts_config c = { 0 };
	if (cfg != NULL)
		c = *cfg;
	c.spool_dir = own(a, c.spool_dir, "/var/lib/geneva/alerts");
	c.webhook_url = own(a, c.webhook_url, NULL);
	c.syslog_ident = own(a, c.syslog_ident, "geneva");
	c.mail_command = own(a, c.mail_command, "/usr/sbin/sendmail -t -i");
	c.mail_from = own(a, c.mail_from, "geneva@localhost");
	c.security_team = own(a, c.security_team, NULL);
	c.user_domain = own(a, c.user_domain, NULL);
	c.contact = own(a, c.contact, "your security team");
	if (!c.dedup_seconds)
		c.dedup_seconds = 3600;
	if (!c.max_per_minute)
		c.max_per_minute = 60;
	if (!c.max_per_user_hour)
		c.max_per_user_hour = 10;
	if (!c.retry_base_ms)
		c.retry_base_ms = 1000;
	if (!c.retry_max_ms)
		c.retry_max_ms = 3600000;
	if (!c.retry_max_age)
		c.retry_max_age = 604800;
	if (!c.webhook_timeout_ms)
		c.webhook_timeout_ms = 5000;
	/* 0 = default (medium); -1 = explicitly "info" */
	c.team_min_severity = !c.team_min_severity ? GV_SEV_MEDIUM :
			      c.team_min_severity < 0 ? 0 : c.team_min_severity;
	c.user_min_severity = !c.user_min_severity ? GV_SEV_MEDIUM :
			      c.user_min_severity < 0 ? 0 : c.user_min_severity;
	a->cfg = c;
	a->outbox = path_join(c.spool_dir, "outbox");
	a->sent = path_join(c.spool_dir, "sent");
	a->dead = path_join(c.spool_dir, "dead");
	if (c.syslog >= 0)
		openlog(c.syslog_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
	return a;
}

void gv_alerts_free(struct gv_alerts **ap)
{
	struct gv_alerts *a = *ap;
	if (a == NULL)
		return;
	sink_webhook(a, NULL, NULL); /* releases the curl handle */
	for (size_t i = 0; i < a->n_owned; i++)
		gv_free(a->owned[i]);
	gv_free(a->outbox);
	gv_free(a->sent);
	gv_free(a->dead);
	gv_free(a->dedup);
	gv_free(a->rates);
	gv_free(a);
	*ap = NULL;
}

void gv_alerts_set_store(struct gv_alerts *a, gv_alert_store_fn *fn, void *ctx)
{
	a->store = fn;
	a->store_ctx = ctx;
}

void gv_alerts_get_stats(const struct gv_alerts *a, struct gv_alerts_stats *r)
{
	*r = a->st;
}

const char *gv_alerts_last_id(const struct gv_alerts *a)
{
	return a->last_id;
}

/* true when key was seen within dedup_seconds of t; records t otherwise */
static bool dedup_hit(struct gv_alerts *a, const char *key, int64_t t)
{
	uint64_t h = gv_hash64(key, strlen(key), 1);
	int64_t win = a->cfg.dedup_seconds;
	size_t keep = 0;
	bool hit = false, found = false;
	for (size_t i = 0; i < a->n_dedup; i++) {
		struct dedup_entry *e = &a->dedup[i];
		if (e->hash == h) {
			found = true;
			int64_t d = t - e->time;
			if (d < win && d > -win)
				hit = true;
			else
				e->time = t;
		}
		/* forget entries far outside any window (bounded table) */
		if (e->hash == h || t - e->time < 2 * win)
			a->dedup[keep++] = *e;
	}
	a->n_dedup = keep;
	if (!found) {
		if (a->n_dedup == a->cap_dedup) {
			a->cap_dedup = a->cap_dedup ? a->cap_dedup * 2 : 64;
			a->dedup = gv_realloc(a->dedup, gv_mul_size(a->cap_dedup,
						sizeof(*a->dedup)));
		}
		a->dedup[a->n_dedup++] = (struct dedup_entry){ h, t };
	}
	return hit;
}

/* Undoes the record of a key whose alert could not be queued, so that
 * the caller's retry is not taken for a duplicate. */
static void dedup_forget(struct gv_alerts *a, const char *key)
{
	uint64_t h = gv_hash64(key, strlen(key), 1);
	for (size_t i = 0; i < a->n_dedup; i++)
		if (a->dedup[i].hash == h)
			a->dedup[i] = a->dedup[--a->n_dedup];
}

static bool team_rate_ok(struct gv_alerts *a, int64_t now)
{
	if (now / 60 != a->minute) {
		a->minute = now / 60;
		a->minute_count = 0;
	}
	return ++a->minute_count <= a->cfg.max_per_minute;
}

static bool user_rate_ok(struct gv_alerts *a, const char *user, int64_t now)
{
	uint64_t h = gv_hash64(user, strlen(user), 2);
	int64_t hour = now / 3600;
	for (size_t i = 0; i < a->n_rates; i++) {
		struct user_rate *r = &a->rates[i];
		if (r->hash != h)
			continue;
		if (r->hour != hour) {
			r->hour = hour;
			r->count = 0;
		}
		return ++r->count <= a->cfg.max_per_user_hour;
	}
	if (a->n_rates == a->cap_rates) {
		/* drop counters of past hours before growing */
		size_t keep = 0;
		for (size_t i = 0; i < a->n_rates; i++)
			if (a->rates[i].hour == hour)
				a->rates[keep++] = a->rates[i];
		a->n_rates = keep;
		if (a->n_rates == a->cap_rates) {
			a->cap_rates = a->cap_rates ? a->cap_rates * 2 : 64;
			a->rates = gv_realloc(a->rates, gv_mul_size(a->cap_rates,
						sizeof(*a->rates)));
		}
	}
	a->rates[a->n_rates++] = (struct user_rate){ h, hour, 1 };
	return true;
}

/* Queues one mail sink; 1 queued, 0 known, -1 error, 2 skipped. */
static int queue_mail(struct gv_alerts *a, const struct gv_alert *al,
		      const char *id, bool user, const char **error_r)
{
	const char *sink = user ? "user" : "team";
	char rcpt[320];
	if (user) {
		if (!mail_user_addr(a, al, rcpt, sizeof(rcpt)))
			return 2;
	} else {
		snprintf(rcpt, sizeof(rcpt), "%s", a->cfg.security_team);
	}
	if (outbox_known(a, id, sink))
		return 0;
	int64_t now = wall_ms() / 1000;
	if (user ? !user_rate_ok(a, rcpt, now) : !team_rate_ok(a, now)) {
		a->st.rate_limited++;
		gv_log(GV_LOG_WARN, "alert: id=%s sink=%s rcpt=%s rate limited",
		       id, sink, rcpt);
		return 2;
	}
	char *msg = mail_render(a, al, id, rcpt, user);
	int r = outbox_enqueue(a, id, sink, rcpt, msg, error_r);
	gv_free(msg);
	return r;
}

int gv_alert_emit(struct gv_alerts *a, const struct gv_alert *alert,
		  const char **error_r)
{
	struct gv_alert al = *alert;
	if (al.time == 0)
		al.time = wall_ms() / 1000;
	if ((int)al.severity < a->cfg.min_severity) {
		a->st.below_severity++;
		return 0;
	}
	char key[1024];
	alert_effective_key(&al, key, sizeof(key));
	alert_make_id(key, al.time, a->last_id);
	const char *id = a->last_id;
	if (dedup_hit(a, key, al.time) || outbox_known(a, id, "syslog")) {
		a->st.duplicates++;
		gv_log(GV_LOG_INFO, "alert: id=%s duplicate of key=%s", id, key);
		return 0;
	}
	if (outbox_dirs(a, error_r) < 0) {
		dedup_forget(a, key);
		return -1;
	}
	char *json = gv_alert_to_json(&al, id);
	int r = 1;
	if (a->cfg.webhook_url && (int)al.severity >= a->cfg.webhook_min_severity)
		r = outbox_enqueue(a, id, "webhook", "", json, error_r);
	/* notices go to users; one team mail per user would be noise */
	if (r >= 0 && a->cfg.security_team && al.kind != GV_ALERT_NOTICE &&
	    (int)al.severity >= a->cfg.team_min_severity)
		r = queue_mail(a, &al, id, false, error_r);
	if (r >= 0 && a->cfg.notify_user >= 0 && al.user_notice &&
	    (int)al.severity >= a->cfg.user_min_severity)
		r = queue_mail(a, &al, id, true, error_r);
	if (r < 0) {
		dedup_forget(a, key);
		gv_free(json);
		return -1;
	}
	if (a->cfg.syslog >= 0 &&
	    (int)al.severity >= a->cfg.syslog_min_severity)
		sink_syslog(a, &al, id);
	/* marks the id as emitted even without durable sinks (replays) */
	outbox_mark_sent(a, id, "syslog");
	a->st.emitted++;
	if (a->store && a->store(a->store_ctx, &al, id, json) < 0)
		gv_log(GV_LOG_WARN, "alert: id=%s store hook failed", id);
	gv_free(json);
	if (!a->cfg.queue_only)
		gv_alerts_flush(a, 0);
	return 1;
}
