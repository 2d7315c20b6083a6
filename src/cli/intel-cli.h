/*
 * CLI glue between the scan engine and the intel module (internal to
 * src/cli): store selection for `geneva intel` / `geneva report`, and the
 * scan-side hook: indicator lookups during the scan, and recording every
 * scan result as an intel event through the recorder (queue + writer
 * thread + journal), so `geneva scan --store` never waits on the store.
 */
#ifndef GV_CLI_INTEL_CLI_H
#define GV_CLI_INTEL_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "intel/intel.h"
#include "scan/scan.h"

/* Store selection: --db PATH (SQLite file), else --store URI, else the
 * config's intel.store, else the default. */
struct gv_cli_store_opts {
	const char *config;
	const char *db;
	const char *store;
};

/* Opens the store; on error prints "geneva: <store>: <reason>" and
 * returns -1. */
int gv_cli_intel_store(const struct gv_cli_store_opts *o,
		       struct gv_intel_store **store_r);
/* "2026-01-31", "2026-01-31T12:00:00Z" or unix seconds; end: a bare date
 * means the end of that day. -1 when unparsable. */
int64_t gv_cli_parse_time(const char *s, bool end);

/* ---- recorders for detectors ---- */

/* Starts a recorder (queue + writer + journal) for the store named by o
 * (journal: intel.journal_dir, or next to a --db file). With only_if_set,
 * *rec_r is NULL and 0 returned unless --db/--store was given or the
 * config names intel.store: detectors other than the scan keep their
 * findings in the store only when one is configured. -1 on error
 * (printed). */
int gv_cli_intel_recorder_start(const struct gv_cli_store_opts *o,
				bool only_if_set,
				struct gv_intel_recorder **rec_r);
/* Drains and stops; prints problems. 0 ok (or NULL), -1 events were
 * lost or are still journaled. */
int gv_cli_intel_recorder_stop(struct gv_intel_recorder **rec);

/* ---- scan glue ---- */

struct gv_cli_intel_scan;

/* Opens the store named by o, compiles the indicator index into the
 * engine's intel hook, and starts the recorder (journal in the config's
 * intel.journal_dir, or next to a --db file). -1 on error (printed). */
int gv_cli_intel_scan_start(const struct gv_cli_store_opts *o,
			    struct gv_scan_engine *engine,
			    struct gv_cli_intel_scan **s_r);
/* Converts one scan result to a gv_intel_event and queues it: the one call
 * `geneva scan` makes per message. */
void gv_cli_intel_scan_record(struct gv_cli_intel_scan *s,
			      const struct gv_scan_result *r,
			      const struct gv_scan_envelope *env);
/* The recorder the scan glue records into (alerts share it). */
struct gv_intel_recorder *gv_cli_intel_scan_recorder(struct gv_cli_intel_scan *s);
/* Drains and stops the recorder; prints its outcome on problems.
 * Returns 0 ok, -1 events were lost or are still journaled. */
int gv_cli_intel_scan_stop(struct gv_cli_intel_scan **s);

#endif
