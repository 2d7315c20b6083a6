/*
 * CLI glue for alerts (internal to src/cli): opening the alert sinks of the
 * config's `alerts:` section for a one-shot command, and the time an alert
 * about a scanned message carries.
 */
#ifndef GV_CLI_ALERT_GLUE_H
#define GV_CLI_ALERT_GLUE_H

#include <stdint.h>

#include "intel/intel.h"
#include "respond/respond.h"
#include "scan/scan.h"

/* Loads `alerts:` from config (the default config when NULL, built-in
 * defaults when there is none); spool overrides alerts.spool_dir when not
 * NULL. With rec (may be NULL), every accepted alert is also kept in the
 * intelligence store through that recorder, keyed by its alert id. On
 * error prints "geneva: CONFIG: reason" and returns -1. Free the result
 * with gv_cli_alerts_close() (before stopping rec), which first tries the
 * deliveries still due once more. */
int gv_cli_alerts_open(const char *config, const char *spool,
		       struct gv_intel_recorder *rec,
		       struct gv_alerts **alerts_r);
void gv_cli_alerts_close(struct gv_alerts **alerts);
/* Keeps every alert alerts accepts in the intel store through rec (no-op
 * when rec is NULL); rec must outlive alerts. */
void gv_cli_alerts_attach(struct gv_alerts *alerts,
			  struct gv_intel_recorder *rec);

/* The message's Date header as unix seconds when it is plausible (after
 * 1990, at most a day ahead of now), else now: a folder scanned again
 * yields the same alert ids, so nothing is alerted twice. */
int64_t gv_cli_message_time(const struct gv_mail_message *m);

#endif
