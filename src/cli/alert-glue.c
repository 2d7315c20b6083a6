#include <gmime/gmime.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/alert-glue.h"
#include "cli/cli.h"


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
		fprintf(stderr, "geneva: intel: alert %s: %s\n", id, err);
		return -1;
	}
	return 0;
}

int gv_cli_alerts_open(const char *config, const char *spool,
		       struct gv_intel_recorder *rec,
		       struct gv_alerts **alerts_r)
{
	const char *path = gv_cli_config_path(config);
	struct gv_alerts_config ac = { 0 };
	void *storage = NULL;
	const char *err = NULL;
	if (path && gv_alerts_config_load(path, &ac, &storage, &err) < 0) {
		fprintf(stderr, "geneva: %s: %s\n", path, err);
		return -1;
	}
	if (spool)
		ac.spool_dir = spool;
	/* gv_alerts_new copies cfg and its strings */
	*alerts_r = gv_alerts_new(&ac);
	gv_alerts_config_free(&storage);
	gv_cli_alerts_attach(*alerts_r, rec);
	return 0;
}

void gv_cli_alerts_attach(struct gv_alerts *alerts,
			  struct gv_intel_recorder *rec)
{
	if (rec)
		gv_alerts_set_store(alerts, store_alert, rec);
}

void gv_cli_alerts_close(struct gv_alerts **alerts)
{
	if (*alerts == NULL)
		return;
	int pending = gv_alerts_flush(*alerts, 0);
	if (pending > 0)
		fprintf(stderr, "geneva: %d alert deliveries pending in the "
				"outbox (retried by the next run)\n", pending);
	gv_alerts_free(alerts);
}

int64_t gv_cli_message_time(const struct gv_mail_message *m)
{
	int64_t now = (int64_t)time(NULL);
	if (m->date == NULL || *m->date == '\0')
		return now;
	GDateTime *dt = g_mime_utils_header_decode_date(m->date);
	if (dt == NULL)
		return now;
	int64_t t = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return t >= 631152000 && t <= now + 86400 ? t : now;
}
