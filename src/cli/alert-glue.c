#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/alert-glue.h"
#include "cli/cli.h"
#include "record/record.h"

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
	gv_record_alerts(alerts, rec);
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
	/* a scanned folder may be old mail: any Date since 1990 */
	int64_t now = (int64_t)time(NULL);
	return gv_record_message_time(m, now, now - 631152000);
}
