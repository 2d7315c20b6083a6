/* The classifier in CLI scans: model loading and auto-learning (internal). */
#ifndef GV_CLI_LEARN_GLUE_H
#define GV_CLI_LEARN_GLUE_H

#include <stdbool.h>

#include "scan/scan.h"

struct gv_cli_learn;

/* Opens the learn store (path, or the default one when it exists; none is
 * fine: then there is no classifier) and hooks its newest model into the
 * engine. 1 ok (*l_r may be NULL), -1 error (reported). */
int gv_cli_learn_start(const char *path, bool autolearn,
		       struct gv_scan_engine *engine, struct gv_cli_learn **l_r);
/* Auto-learns from a confident verdict (when enabled). */
void gv_cli_learn_observe(struct gv_cli_learn *l, const unsigned char *msg,
			  size_t len, const struct gv_scan_result *r);
/* Retrains if anything was learned; frees. -1 on a store error. */
int gv_cli_learn_stop(struct gv_cli_learn **l);

/* A person released msg from quarantine: teach the classifier it is ham
 * (when a learn store exists at the default path). Prints one line. */
void gv_cli_learn_released(const char *config, const unsigned char *msg,
			   size_t len);

#endif
