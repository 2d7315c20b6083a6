/*
 * config.c — the `files:` section of the YAML configuration (libcyaml;
 * unknown keys belong to other modules and are ignored). Every key is
 * documented in docs/config.md. A missing file or section means defaults.
 */
#include <cyaml/cyaml.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "files/files-private.h"

struct y_limits {
	uint64_t max_depth, max_files, max_total_bytes, max_ratio,
		max_file_bytes, time_budget_ms;
};
struct y_files {
	char *rules_dir;
	char **yara_dirs;
	unsigned yara_dirs_count;
	char *clamd;
	uint64_t clamd_timeout_ms;
	struct y_limits *limits;
};
struct y_root {
	struct y_files *files;
};

static const cyaml_schema_value_t str_ptr = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, CYAML_UNLIMITED),
};
#define LIM(k) CYAML_FIELD_UINT(#k, CYAML_FLAG_OPTIONAL, struct y_limits, k)
static const cyaml_schema_field_t limits_fields[] = {
	LIM(max_depth), LIM(max_files), LIM(max_total_bytes), LIM(max_ratio),
	LIM(max_file_bytes), LIM(time_budget_ms), CYAML_FIELD_END
};
static const cyaml_schema_field_t files_fields[] = {
	CYAML_FIELD_STRING_PTR("rules_dir", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			       struct y_files, rules_dir, 1, 4096),
	CYAML_FIELD_SEQUENCE("yara_dirs", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct y_files, yara_dirs, &str_ptr, 0, 64),
	CYAML_FIELD_STRING_PTR("clamd", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			       struct y_files, clamd, 0, 4096),
	CYAML_FIELD_UINT("clamd_timeout_ms", CYAML_FLAG_OPTIONAL, struct y_files,
			 clamd_timeout_ms),
	CYAML_FIELD_MAPPING_PTR("limits", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct y_files, limits, limits_fields),
	CYAML_FIELD_END
};
static const cyaml_schema_field_t root_fields[] = {
	CYAML_FIELD_MAPPING_PTR("files", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct y_root, files, files_fields),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t root_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct y_root, root_fields),
};


/* libyaml hands "-3" to strtoull, which wraps: refuse absurd values
 * rather than run with a limit of 16 exabytes. */
static int convert_limits(struct gv_files_limits *l, const struct y_limits *y,
			  const char **error_r)
{
	const uint64_t *v = &y->max_depth;

	for (size_t i = 0; i < sizeof(*y) / sizeof(uint64_t); i++)
		if (v[i] > ((uint64_t)1 << 40)) {
			*error_r = "files.limits: a value is negative or absurdly large";
			return -1;
		}
	if (y->max_ratio > UINT32_MAX) {
		*error_r = "files.limits.max_ratio: too large";
		return -1;
	}
	l->max_depth = (size_t)y->max_depth;
	l->max_files = (size_t)y->max_files;
	l->max_total_bytes = y->max_total_bytes;
	l->max_ratio = (uint32_t)y->max_ratio;
	l->max_file_bytes = (size_t)y->max_file_bytes;
	l->time_budget_ms = y->time_budget_ms;
	return 1;
}

static int convert(struct gv_files_config *c, const struct y_files *y,
		   const char **error_r)
{
	char **dirs;

	if (y == NULL)
		return 1;
	c->rules_dir = y->rules_dir ? gv_strdup(y->rules_dir) : NULL;
	c->clamd = y->clamd && y->clamd[0] ? gv_strdup(y->clamd) : NULL;
	c->clamd_timeout_ms = y->clamd_timeout_ms;
	dirs = gv_calloc(y->yara_dirs_count + 1, sizeof(char *));
	for (unsigned i = 0; i < y->yara_dirs_count; i++)
		dirs[i] = gv_strdup(y->yara_dirs[i]);
	c->user_rule_dirs = (const char *const *)dirs;
	c->user_rule_dirs_count = y->yara_dirs_count;
	if (y->limits != NULL && convert_limits(&c->limits, y->limits, error_r) < 0)
		return -1;
	return 1;
}

int gv_files_config_load(const char *path, struct gv_files_config **cfg_r,
			 const char **error_r)
{
	static __thread char err[1800];
	struct gv_files_config *c = gv_calloc(1, sizeof(*c));
	struct y_root *y = NULL;
	struct stat st;
	int ret = 1;

	if (path != NULL && stat(path, &st) == 0) {
		const char *yerr;
		if (gv_yaml_load(path, &root_schema, (void **)&y, &yerr) < 0) {
			snprintf(err, sizeof(err), "%s: %s", path, yerr);
			*error_r = err;
			gv_files_config_free(&c);
			return -1;
		}
		ret = convert(c, y->files, error_r);
		gv_yaml_free(&root_schema, y);
	}
	if (ret < 0) {
		gv_files_config_free(&c);
		return -1;
	}
	*cfg_r = c;
	return 1;
}

void gv_files_config_free(struct gv_files_config **cfg)
{
	struct gv_files_config *c = *cfg;

	if (c == NULL)
		return;
	for (size_t i = 0; i < c->user_rule_dirs_count; i++)
		gv_free((void *)c->user_rule_dirs[i]);
	gv_free((void *)c->user_rule_dirs);
	gv_free((void *)c->rules_dir);
	gv_free((void *)c->clamd);
	gv_free(c);
	*cfg = NULL;
}
