/* The alert side of record.h: alerts kept in the store, and the time an
 * alert about a message carries. */
#include <gmime/gmime.h>
#include <stdio.h>
#include <string.h>

#include "record/record.h"

static const char *evidence(const struct gv_alert *al,
			    const char *const *keys)
{
	for (; *keys; keys++)
		for (size_t i = 0; i < al->n_evidence; i++)
			if (strcmp(al->evidence[i].key, *keys) == 0)
				return al->evidence[i].value;
	return NULL;
}

/* respond's store hook: the alert as the intel store keeps it. */
static int store_alert(void *ctx, const struct gv_alert *al, const char *id,
		       const char *json)
{
	static const char *const ip_keys[] = { "rip", "client_ip", "ip",
					       NULL };
	static const char *const domain_keys[] = { "registrable", "domain",
						   NULL };
	struct gv_intel_alert ia = {
		.key = id,
		.detector = al->source,
		.kind = gv_alert_kind_name(al->kind),
		.severity = (int)al->severity,
		.time = al->time,
		.user = al->subject_user,
		.ip = evidence(al, ip_keys),
		.domain = evidence(al, domain_keys),
		.title = al->title,
		.summary = al->summary,
		.details = json,
	};
	const char *err;
	if (gv_intel_record_alert(ctx, &ia, &err) < 0) {
		gv_log(GV_LOG_WARN, "event=alert_not_stored id=%s error=\"%s\"",
		       id, err);
		return -1;
	}
	return 0;
}

void gv_record_alerts(struct gv_alerts *alerts, struct gv_intel_recorder *rec)
{
	if (rec)
		gv_alerts_set_store(alerts, store_alert, rec);
}

int64_t gv_record_message_time(const struct gv_mail_message *m, int64_t now,
			       int64_t max_age)
{
	if (m->date == NULL || *m->date == '\0')
		return now;
	GDateTime *dt = g_mime_utils_header_decode_date(m->date);
	if (dt == NULL)
		return now;
	int64_t t = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return t <= now + 86400 && t >= now - max_age ? t : now;
}
