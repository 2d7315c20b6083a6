#include <gmime/gmime.h>
#include <stdio.h>
#include <time.h>

#include "cli/alert-glue.h"
#include "cli/cli.h"


int gv_cli_alerts_open(const char *config, const char *spool,
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
	return 0;
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
