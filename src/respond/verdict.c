/*
 * Alerts for scan verdicts: the message detector's use of the one alert
 * model. A verdict at or above alerts.messages raises a "message" alert;
 * an indicator hit (intel.* findings) raises an "indicator" alert naming
 * the feed, campaign or actor. Mail to the targeted user is never sent
 * from here: a quarantined message already did not reach them.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "respond/respond-private.h"
#include "scan/scan.h"

#define MAX_REASONS 5

/* The same bytes to the same first recipient are the same message: a folder
 * scanned twice, or a message retried by its sender, alerts once. */
static void message_digest(const struct gv_scan_result *r, const char *rcpt,
			   char out[33])
{
	unsigned char d[16];
	crypto_generichash_state h;
	crypto_generichash_init(&h, NULL, 0, sizeof(d));
	crypto_generichash_update(&h, r->msg->raw, r->msg->raw_len);
	if (rcpt)
		crypto_generichash_update(&h, (const unsigned char *)rcpt,
					  strlen(rcpt));
	crypto_generichash_final(&h, d, sizeof(d));
	sodium_bin2hex(out, 33, d, sizeof(d));
}

static enum gv_severity message_severity(const struct gv_scan_result *r)
{
	for (size_t i = 0; i < r->n_findings; i++) {
		const char *rule = r->findings[i].rule;
		if (strncmp(rule, "clamav.", 7) == 0 ||
		    strncmp(rule, "yara.", 5) == 0)
			return GV_SEV_HIGH; /* malware reached the gate */
	}
	switch (r->action) {
	case GV_ACTION_REJECT:
		return GV_SEV_HIGH;
	case GV_ACTION_QUARANTINE:
		return GV_SEV_MEDIUM;
	default:
		return GV_SEV_LOW;
	}
}

/* Evidence common to both alert kinds. Pointers go into buf (or r). */
static void add_message_evidence(struct gv_alert *al,
				 const struct gv_scan_result *r,
				 const struct gv_scan_envelope *env,
				 const char *rcpt, char *score, size_t cap)
{
	const struct gv_mail_message *m = r->msg;
	snprintf(score, cap, "%d", r->score);
	gv_alert_add(al, "action", gv_action_name(r->action));
	gv_alert_add(al, "score", score);
	if (m->from && m->from->addr && *m->from->addr)
		gv_alert_add(al, "from", m->from->addr);
	if (env && env->mail_from && *env->mail_from)
		gv_alert_add(al, "envelope_from", env->mail_from);
	if (rcpt)
		gv_alert_add(al, "rcpt", rcpt);
	if (env && env->client_ip)
		gv_alert_add(al, "client_ip", env->client_ip);
	if (m->subject && *m->subject)
		gv_alert_add(al, "subject", m->subject);
	if (m->message_id && *m->message_id)
		gv_alert_add(al, "message_id", m->message_id);
	if (r->partial)
		gv_alert_add(al, "partial", "a limit cut the analysis short");
}

/* The fields both alert kinds set the same way. */
static void start_alert(struct gv_alert *al, enum gv_alert_kind kind,
			enum gv_severity sev, const char *source,
			const char *key, const char *title, const char *summary,
			const char *rcpt, int64_t when)
{
	gv_alert_init(al, kind, sev, source);
	al->dedup_key = key;
	al->title = title;
	al->summary = summary;
	al->subject_user = rcpt;
	al->time = when;
}

int gv_alerts_verdict(struct gv_alerts *a, const struct gv_scan_result *r,
		      const struct gv_scan_envelope *env, const char *source,
		      int64_t when, const char **error_r)
{
	const struct gv_mail_message *m = r->msg;
	const char *rcpt = env && env->n_rcpt > 0 ? env->rcpt_to[0] :
			   m->n_to > 0		   ? m->to[0].addr :
						     NULL;
	char digest[33], score[16], key[128], title[320];
	const char *subject = m->subject && *m->subject ? m->subject :
							  "(no subject)";
	const char *from = m->from && m->from->addr && *m->from->addr ?
				   m->from->addr :
				   "(no sender)";
	int accepted = 0;

	/* Indicator hits: one alert per message naming what matched. */
	const struct gv_finding *hit = NULL;
	for (size_t i = 0; i < r->n_findings && hit == NULL; i++)
		if (strcmp(r->findings[i].analyzer, "intel") == 0)
			hit = &r->findings[i];
	int min = a->cfg.message_min_action;
	bool message = min >= 0 &&
		       (int)r->action >= (min ? min : GV_ACTION_QUARANTINE);
	bool indicator = hit && a->cfg.indicator_alerts >= 0;
	if (!message && !indicator)
		return 0; /* most mail: no digest, nothing to do */
	message_digest(r, rcpt, digest);
	if (indicator) {
		struct gv_alert al;
		snprintf(key, sizeof(key), "%s:indicator:%s", source, digest);
		snprintf(title, sizeof(title),
			 "Threat-intel indicator in a message to %s: %.200s",
			 rcpt ? rcpt : "(unknown recipient)", hit->evidence);
		start_alert(&al, GV_ALERT_INDICATOR, GV_SEV_HIGH, source, key,
			    title, "A scanned message contains a value that an "
				   "imported threat-intel feed lists as "
				   "malicious.", rcpt, when);
		gv_alert_add(&al, "indicator", hit->evidence);
		add_message_evidence(&al, r, env, rcpt, score, sizeof(score));
		int e = gv_alert_emit(a, &al, error_r);
		if (e < 0)
			return -1;
		accepted += e;
	}

	if (!message)
		return accepted;
	struct gv_alert al;
	snprintf(key, sizeof(key), "%s:message:%s", source, digest);
	snprintf(title, sizeof(title), "Message %s (score %d): \"%.120s\" from %.100s",
		 r->action == GV_ACTION_REJECT	   ? "rejected" :
		 r->action == GV_ACTION_QUARANTINE ? "quarantined" :
						     "tagged",
		 r->score, subject, from);
	start_alert(&al, GV_ALERT_MESSAGE, message_severity(r), source, key,
		    title, "Geneva stopped or marked a message on its way to "
			   "a user; the reasons are in the evidence.", rcpt,
		    when);
	add_message_evidence(&al, r, env, rcpt, score, sizeof(score));
	char reasons[512] = "", files[200] = "";
	for (size_t i = 0, n = 0; i < r->n_findings && n < MAX_REASONS; i++) {
		if (r->findings[i].score <= 0)
			continue;
		size_t len = strlen(reasons);
		snprintf(reasons + len, sizeof(reasons) - len, "%s%s",
			 n ? "," : "", r->findings[i].rule);
		n++;
	}
	for (size_t i = 0; i < r->n_files && i < 3; i++) {
		size_t len = strlen(files);
		snprintf(files + len, sizeof(files) - len, "%s%s",
			 i ? "," : "", r->files[i].sha256);
	}
	if (*reasons)
		gv_alert_add(&al, "reasons", reasons);
	if (*files)
		gv_alert_add(&al, "attachments_sha256", files);
	int e = gv_alert_emit(a, &al, error_r);
	if (e < 0)
		return -1;
	return accepted + e;
}
