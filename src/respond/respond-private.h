/* Internals shared by the alert files of src/respond; not an interface. */
#ifndef GV_RESPOND_PRIVATE_H
#define GV_RESPOND_PRIVATE_H

#include "respond/respond.h"
#include "util/util.h"

#define ALERT_ID_LEN 32

struct dedup_entry {
	uint64_t hash;
	int64_t time;
};

struct user_rate {
	uint64_t hash;
	int64_t hour;
	uint32_t count;
};

struct gv_alerts {
	struct gv_alerts_config cfg; /* defaults applied, strings owned */
	char *owned[16];
	size_t n_owned;
	char *outbox, *sent, *dead;
	bool dirs_ok;
	struct dedup_entry *dedup;
	size_t n_dedup, cap_dedup;
	struct user_rate *rates;
	size_t n_rates, cap_rates;
	int64_t minute;
	uint32_t minute_count;
	gv_alert_store_fn *store;
	void *store_ctx;
	struct gv_alerts_stats st;
	char last_id[ALERT_ID_LEN + 1];
	void *curl; /* CURL *, created on first webhook delivery */
};

/* alert.c */
void alert_effective_key(const struct gv_alert *a, char *out, size_t cap);
void alert_make_id(const char *key, int64_t t, char out[ALERT_ID_LEN + 1]);
void alert_time_str(int64_t t, char *out, size_t cap);
/* gv_strdup of s with bytes outside valid UTF-8 replaced by '?' */
char *alert_utf8_fix(const char *s);

/* outbox.c */
int outbox_dirs(struct gv_alerts *a, const char **error_r);
/* 1 queued, 0 already queued or sent (same id and sink), -1 error */
int outbox_enqueue(struct gv_alerts *a, const char *id, const char *sink,
		   const char *rcpt, const char *payload, const char **error_r);
bool outbox_known(struct gv_alerts *a, const char *id, const char *sink);
int outbox_mark_sent(struct gv_alerts *a, const char *id, const char *sink);
int64_t wall_ms(void);
char *path_join(const char *dir, const char *name);

/* sinks.c: 1 delivered, -1 failed (reason logged) */
int sink_webhook(struct gv_alerts *a, const char *id, const char *json);
int sink_mail(struct gv_alerts *a, const char *id, const char *rcpt,
	      const char *message);
void sink_syslog(struct gv_alerts *a, const struct gv_alert *al,
		 const char *id);
/* RFC 5322 text for the team (user == false) or the affected user. */
char *mail_render(struct gv_alerts *a, const struct gv_alert *al,
		  const char *id, const char *rcpt, bool user);
/* Address for the affected user, or false when none can be made safely. */
bool mail_user_addr(struct gv_alerts *a, const struct gv_alert *al,
		    char *out, size_t cap);

#endif
