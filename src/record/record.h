/*
 * record — what every scanning front (geneva scan, the milter's scanner
 * processes) and every other detector does with the intelligence store:
 * the scan engine's indicator hook answered from a compiled index
 * snapshot, each scan result recorded as an intel event (plus the
 * lookalikes the brand index saw), and alerts kept in the store. It joins
 * scan, intel and respond so that none of them depends on another.
 *
 * Threading: one gv_record serves one scanning thread (the indicator hook
 * notes a message's attribution, gv_record_scan() uses and clears it).
 * The recorder underneath takes events from any thread.
 */
#ifndef GV_RECORD_H
#define GV_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "intel/intel.h"
#include "respond/respond.h"
#include "scan/scan.h"

struct gv_record_settings {
	struct gv_intel_store_settings store;
	const char *journal_dir; /* required; must exist */
	size_t queue_size, batch_size; /* 0: the recorder's defaults */
	const char *source; /* the event's source: "cli", "milter", ... */
};

struct gv_record;

/* Opens the store, compiles its indicator index into engine's intel hook
 * (engine may be NULL: recording only, no index) and starts the recorder
 * (which replays a journal left in journal_dir). 1 ok, -1 error. */
int gv_record_start(const struct gv_record_settings *s,
		    struct gv_scan_engine *engine, struct gv_record **rec_r,
		    const char **error_r);
/* The recorder, for alerts and other detectors that share it. */
struct gv_intel_recorder *gv_record_recorder(struct gv_record *rec);
/* Queues the scan result as an intel event (targets: env's recipients,
 * else To/Cc) and the lookalikes in it; never waits on the store. 1 ok,
 * -1 not recorded (error_r). */
int gv_record_scan(struct gv_record *rec, const struct gv_scan_result *r,
		   const struct gv_scan_envelope *env, const char **error_r);
/* Drains and stops the recorder. 1 everything stored, 0 some events wait
 * in the journal, -1 some were lost (error_r); *recorded_r (may be NULL)
 * counts the events gv_record_scan queued. */
int gv_record_stop(struct gv_record **rec, size_t *recorded_r,
		   const char **error_r);

/* Every alert `alerts` accepts is kept in the store through rec, keyed by
 * its alert id (idempotent on replay). No-op when rec is NULL; rec must
 * outlive alerts. */
void gv_record_alerts(struct gv_alerts *alerts, struct gv_intel_recorder *rec);

/* The time an alert about message m carries: its Date header when that
 * lies within max_age seconds before now (and at most a day ahead), else
 * now. A replayed or retried message then yields the same alert id. */
int64_t gv_record_message_time(const struct gv_mail_message *m, int64_t now,
			       int64_t max_age);

#endif
