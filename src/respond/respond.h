/*
 * respond — alerts: one model for every detector of Geneva (message
 * verdicts, lookalike domains, mailbox exfiltration, indicator hits,
 * notices to users) and the sinks that carry them: webhook (JSON over
 * HTTP, durable outbox, retries with exponential backoff, idempotency id),
 * syslog, mail to the security team and mail to the affected user through
 * the local MTA (sendmail -t -i).
 *
 * Delivery contract: gv_alert_emit() writes one outbox file per durable
 * sink (webhook, team mail, user mail) before it returns 1, so an alert
 * that was accepted survives a crash or a receiver that is down; it is
 * retried by gv_alerts_flush() until delivered (or dead-lettered after
 * retry.max_age). The alert id is derived from (dedup_key, time): the same
 * alert emitted again — e.g. a detector replaying its log after a restart
 * — is recognised by its id and not queued or sent a second time. A
 * receiver gets the id in the JSON and in the Idempotency-Key header.
 *
 * Typical use:
 *   struct gv_alerts *a = gv_alerts_new(&cfg);          // cfg may be NULL
 *   struct gv_alert al;
 *   gv_alert_init(&al, GV_ALERT_MAILBOX, GV_SEV_HIGH, "watch");
 *   al.subject_user = "alice"; al.title = "…"; al.summary = "…";
 *   al.dedup_key = "watch:download:alice:SESSION"; al.time = t;
 *   gv_alert_add(&al, "rip", "203.0.113.7");
 *   gv_alert_emit(a, &al, &err);
 *   gv_alerts_flush(a, 0);   // deliver what is due; call again later
 *   gv_alerts_free(&a);
 */
#ifndef GV_RESPOND_H
#define GV_RESPOND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gv_alert_kind {
	GV_ALERT_MESSAGE,   /* a scanned message above the alert threshold */
	GV_ALERT_LOOKALIKE, /* a lookalike domain of a protected brand */
	GV_ALERT_MAILBOX,   /* a mailbox downloaded or copied in bulk */
	GV_ALERT_INDICATOR, /* a threat-intel indicator hit */
	GV_ALERT_NOTICE,    /* a notice to a targeted user (campaigns) */
	GV_ALERT_OTHER,
};

enum gv_severity {
	GV_SEV_INFO = 0,
	GV_SEV_LOW,
	GV_SEV_MEDIUM,
	GV_SEV_HIGH,
	GV_SEV_CRITICAL,
};

#define GV_ALERT_MAX_EVIDENCE 24

struct gv_alert_kv {
	const char *key;
	const char *value;
};

/* Every string is the caller's; gv_alert_emit() copies what it keeps. */
struct gv_alert {
	enum gv_alert_kind kind;
	enum gv_severity severity;
	const char *source;       /* detector: "watch", "scan", "domains", … */
	const char *subject_user; /* affected user (login or address), or NULL */
	const char *subject_addr; /* address for the user mail; NULL: derived
				     from subject_user + mail.user_domain */
	const char *title;        /* one line */
	const char *summary;      /* a few sentences for people */
	const char *user_notice;  /* body of the mail to the affected user;
				     NULL: no user mail for this alert */
	const char *dedup_key;    /* same key within dedup_seconds = same alert;
				     NULL: kind + subject + title */
	int64_t time;             /* Unix seconds the event happened (0: now) */
	struct gv_alert_kv evidence[GV_ALERT_MAX_EVIDENCE];
	size_t n_evidence;
};

/* Sink names, as used in outbox file names and logs. */
enum gv_alert_sink {
	GV_SINK_WEBHOOK = 1 << 0,
	GV_SINK_SYSLOG = 1 << 1,
	GV_SINK_MAIL_TEAM = 1 << 2,
	GV_SINK_MAIL_USER = 1 << 3,
};

/* 0 / NULL in any field = the documented default (docs/alerts.md). */
struct gv_alerts_config {
	const char *spool_dir;        /* NULL = /var/lib/geneva/alerts */
	uint32_t dedup_seconds;       /* 0 = 3600 */
	uint32_t max_per_minute;      /* 0 = 60, all sinks together */
	uint32_t max_per_user_hour;   /* 0 = 10 mails per affected user */
	int min_severity;             /* 0 = info: lower alerts are dropped */
	uint32_t retry_base_ms;       /* 0 = 1000: first retry delay */
	uint32_t retry_max_ms;        /* 0 = 3600000: backoff cap */
	uint32_t retry_max_age;       /* 0 = 604800 s, then dead-lettered */
	const char *webhook_url;      /* NULL/"" = no webhook */
	uint32_t webhook_timeout_ms;  /* 0 = 5000 */
	int webhook_min_severity;     /* 0 = info */
	int syslog;                   /* 0 = on, -1 = off */
	const char *syslog_ident;     /* NULL = "geneva" */
	int syslog_min_severity;      /* 0 = info */
	const char *mail_command;     /* NULL = "/usr/sbin/sendmail -t -i";
				         "{rcpt}" is replaced by the recipient */
	const char *mail_from;        /* NULL = "geneva@localhost" */
	const char *security_team;    /* NULL/"" = no team mail */
	int team_min_severity;        /* 0 = medium, -1 = info */
	int notify_user;              /* 0 = on, -1 = off */
	const char *user_domain;      /* appended to bare user names */
	int user_min_severity;        /* 0 = medium, -1 = info */
	const char *contact;          /* NULL = "your security team" */
	int message_min_action;       /* scan verdicts that alert: 0 = from
				         quarantine up, else a gv_action value
				         (1 tag, 2 quarantine, 3 reject);
				         -1 = no message alerts */
	int indicator_alerts;         /* 0 = on, -1 = off */
	bool queue_only;              /* emit writes the outbox (and syslog)
				         but delivers nothing: another process
				         flushes (the milter's scanners) */
	bool configured;              /* set by gv_alerts_config_load: the
				         file has an alerts: section */
};

struct gv_alerts;

/* Never NULL; the spool directories are created on first use. cfg and its
 * strings are copied. */
struct gv_alerts *gv_alerts_new(const struct gv_alerts_config *cfg);
void gv_alerts_free(struct gv_alerts **alerts);

void gv_alert_init(struct gv_alert *alert, enum gv_alert_kind kind,
		   enum gv_severity severity, const char *source);
/* Adds key=value evidence; beyond GV_ALERT_MAX_EVIDENCE it is dropped
 * (returns -1). Pointers must live until gv_alert_emit(). */
int gv_alert_add(struct gv_alert *alert, const char *key, const char *value);

/* Emits an alert: checks severity, de-duplication and rate limits, logs
 * to syslog, queues durable sinks in the outbox (written before return)
 * and tries them once. Returns 1 accepted, 0 suppressed (duplicate, rate
 * limit, below min_severity: the reason is logged), -1 error (spool not
 * writable; error_r). gv_alerts_last_id() then gives the alert's id
 * (32 hex digits; valid until the next emit). */
int gv_alert_emit(struct gv_alerts *alerts, const struct gv_alert *alert,
		  const char **error_r);
const char *gv_alerts_last_id(const struct gv_alerts *alerts);

/* Delivers outbox entries whose retry time has come. Waits up to
 * wait_ms for due entries (0 = one pass, no waiting). Returns the number
 * still pending, -1 when the spool cannot be read. */
int gv_alerts_flush(struct gv_alerts *alerts, uint32_t wait_ms);

/* Alert as the JSON document sinks send (schema geneva.alert/1, see
 * docs/alerts.md). The caller frees it with gv_free(). */
char *gv_alert_to_json(const struct gv_alert *alert, const char *id);

/* Hook for the intelligence store: called once per accepted alert with
 * its id and JSON (src/intel wires gv_store here when a store is
 * configured). Return -1 to log a failure; delivery goes on anyway. */
typedef int gv_alert_store_fn(void *ctx, const struct gv_alert *alert,
			      const char *id, const char *json);
void gv_alerts_set_store(struct gv_alerts *alerts, gv_alert_store_fn *fn,
			 void *ctx);

/* The message detector (geneva scan --alerts, the milter): emits a
 * "message" alert when the verdict reaches cfg.message_min_action and an
 * "indicator" alert when an intel.* finding is present. Dedup keys are
 * SOURCE:message:DIGEST / SOURCE:indicator:DIGEST, DIGEST naming the
 * message bytes and first recipient, so a rescan or an SMTP retry of the
 * same message alerts once. when: the event time (0 = now). Returns the
 * number of alerts accepted (0-2), -1 on a spool error (error_r). */
struct gv_scan_result;
struct gv_scan_envelope;
int gv_alerts_verdict(struct gv_alerts *alerts, const struct gv_scan_result *r,
		      const struct gv_scan_envelope *env, const char *source,
		      int64_t when, const char **error_r);

/* Counters for tests and `--stats`. */
struct gv_alerts_stats {
	uint64_t emitted, duplicates, rate_limited, below_severity;
	uint64_t delivered, attempts_failed, dead;
};
void gv_alerts_get_stats(const struct gv_alerts *alerts,
			 struct gv_alerts_stats *stats_r);

const char *gv_severity_name(enum gv_severity severity);
/* "info", "low", … -> severity; -1 unknown. */
int gv_severity_parse(const char *name);
const char *gv_alert_kind_name(enum gv_alert_kind kind);

/* Loads the `alerts:` section of a Geneva YAML file (other sections are
 * ignored). Strings live in the returned storage: free with
 * gv_alerts_config_free(). 1 ok, 0 no such file (defaults), -1 error. */
int gv_alerts_config_load(const char *path, struct gv_alerts_config *cfg_r,
			  void **storage_r, const char **error_r);
void gv_alerts_config_free(void **storage);

#endif
