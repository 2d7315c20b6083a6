/* Helpers shared by the CLI subcommands (internal to src/cli). */
#ifndef GV_CLI_CLI_H
#define GV_CLI_CLI_H

#include <stddef.h>

#include "learn/learn.h"
#include "scan/scan.h"

#define GV_DEFAULT_CONFIG "/etc/geneva/geneva.yaml"
#define GV_DEFAULT_LEARN_DB GV_LEARN_DEFAULT_DB

/* The config file to use: the given one, else the default if it exists,
 * else NULL (built-in defaults). */
const char *gv_cli_config_path(const char *given);
/* Says "geneva: INPUT: REASON" on stderr; returns 2 (the error status). */
int gv_cli_fail(const char *input, const char *reason);

/* Loads the config and builds a scan engine; on error prints one line
 * ("geneva: ...") and returns -1. The engine owns the config. */
int gv_cli_engine(const char *config, struct gv_scan_engine **engine_r);

/* Largest message the engine parses (bytes). */
size_t gv_cli_max_message(const struct gv_scan_engine *engine);

#endif
