#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"

const char *gv_cli_config_path(const char *given)
{
	if (given != NULL)
		return given;
	return access(GV_DEFAULT_CONFIG, R_OK) == 0 ? GV_DEFAULT_CONFIG : NULL;
}

int gv_cli_engine(const char *config, struct gv_scan_engine **engine_r)
{
	const char *err;
	if (gv_scan_engine_load(gv_cli_config_path(config), engine_r, &err) < 0) {
		fprintf(stderr, "geneva: %s\n", err);
		return -1;
	}
	return 1;
}

size_t gv_cli_max_message(const struct gv_scan_engine *engine)
{
	return gv_scan_config_limits(gv_scan_engine_config(engine))->max_message_bytes;
}

int gv_cli_fail(const char *input, const char *reason)
{
	fprintf(stderr, "geneva: %s: %s\n", input, reason);
	return 2;
}
