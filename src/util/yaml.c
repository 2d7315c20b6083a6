/* YAML configuration loading shared by every module: each module reads its
 * own section of the one configuration file with its own libcyaml schema,
 * ignoring the keys of the others. Errors come back as one line naming the
 * problem as libyaml/libcyaml state it (the caller names the file). */
#include <cyaml/cyaml.h>
#include <stdio.h>
#include <string.h>

#include "util/util.h"

static __thread char log_line[512];

static void log_fn(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
	(void)ctx;
	if (level >= CYAML_LOG_ERROR && log_line[0] == '\0') {
		vsnprintf(log_line, sizeof(log_line), fmt, args);
		log_line[strcspn(log_line, "\n")] = '\0';
	}
}

int gv_yaml_load(const char *path, const void *schema, void **data_r,
		 const char **error_r)
{
	static __thread char err[1200];
	cyaml_config_t cc = {
		.log_fn = log_fn, .mem_fn = cyaml_mem,
		.log_level = CYAML_LOG_ERROR,
		.flags = CYAML_CFG_IGNORE_UNKNOWN_KEYS,
	};
	log_line[0] = '\0';
	cyaml_err_t e = cyaml_load_file(path, &cc, schema, (cyaml_data_t **)data_r,
					NULL);
	if (e != CYAML_OK) {
		snprintf(err, sizeof(err), "%s%s%s", cyaml_strerror(e),
			 log_line[0] ? ": " : "", log_line);
		*error_r = err;
		*data_r = NULL;
		return -1;
	}
	return 1;
}

void gv_yaml_free(const void *schema, void *data)
{
	if (data == NULL)
		return;
	cyaml_config_t cc = { .mem_fn = cyaml_mem, .log_level = CYAML_LOG_ERROR };
	cyaml_free(&cc, schema, data, 0);
}
