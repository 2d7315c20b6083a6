/*
 * The `watch:` section of geneva.yaml (libcyaml; other sections ignored).
 * Every key is optional; 0/empty keeps the default of gv_watch_config.
 * Keys are documented in docs/config.md.
 */
#include "watch/watch-private.h"

#include <cyaml/cyaml.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct y_watch {
	char *state_file, *work_hours;
	char **logs;
	unsigned n_logs;
	char **ignore_copy_to;
	unsigned n_ignore;
	float share_threshold, baseline_factor;
	uint32_t min_messages, bulk_messages, mailbox_messages;
	uint64_t min_bytes;
	uint32_t window_seconds, session_timeout, poll_ms;
	uint32_t max_line, max_users, max_sessions;
};
struct y_root {
	struct y_watch *watch;
};

#define OPT CYAML_FLAG_OPTIONAL
#define OPTP (CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER)

static const cyaml_schema_value_t str_entry = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, 4096),
};
static const cyaml_schema_field_t watch_fields[] = {
	CYAML_FIELD_STRING_PTR("state_file", OPTP, struct y_watch, state_file,
			       0, 4096),
	CYAML_FIELD_STRING_PTR("work_hours", OPTP, struct y_watch, work_hours,
			       0, 16),
	CYAML_FIELD_SEQUENCE_COUNT("logs", OPTP, struct y_watch, logs, n_logs,
				   &str_entry, 0, 64),
	CYAML_FIELD_SEQUENCE_COUNT("ignore_copy_to", OPTP, struct y_watch,
				   ignore_copy_to, n_ignore, &str_entry, 0, 64),
	CYAML_FIELD_FLOAT("share_threshold", OPT, struct y_watch,
			  share_threshold),
	CYAML_FIELD_FLOAT("baseline_factor", OPT, struct y_watch,
			  baseline_factor),
	CYAML_FIELD_UINT("min_messages", OPT, struct y_watch, min_messages),
	CYAML_FIELD_UINT("bulk_messages", OPT, struct y_watch, bulk_messages),
	CYAML_FIELD_UINT("mailbox_messages", OPT, struct y_watch,
			 mailbox_messages),
	CYAML_FIELD_UINT("min_bytes", OPT, struct y_watch, min_bytes),
	CYAML_FIELD_UINT("window_seconds", OPT, struct y_watch,
			 window_seconds),
	CYAML_FIELD_UINT("session_timeout", OPT, struct y_watch,
			 session_timeout),
	CYAML_FIELD_UINT("poll_ms", OPT, struct y_watch, poll_ms),
	CYAML_FIELD_UINT("max_line", OPT, struct y_watch, max_line),
	CYAML_FIELD_UINT("max_users", OPT, struct y_watch, max_users),
	CYAML_FIELD_UINT("max_sessions", OPT, struct y_watch, max_sessions),
	CYAML_FIELD_END
};
static const cyaml_schema_field_t root_fields[] = {
	CYAML_FIELD_MAPPING_PTR("watch", OPTP, struct y_root, watch,
				watch_fields),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t root_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct y_root, root_fields),
};
int gv_watch_config_load(const char *path, struct gv_watch_file_config *fc,
			 void **storage_r, const char **error_r)
{
	memset(fc, 0, sizeof(*fc));
	*storage_r = NULL;
	if (access(path, F_OK) != 0)
		return 0;
	struct y_root *root = NULL;
	if (gv_yaml_load(path, &root_schema, (void **)&root, error_r) < 0)
		return -1;
	*storage_r = root;
	struct y_watch *y = root ? root->watch : NULL;
	if (y == NULL)
		return 1;
	struct gv_watch_config *c = &fc->detector;
	c->share_threshold = y->share_threshold;
	c->baseline_factor = y->baseline_factor;
	c->min_messages = y->min_messages;
	c->bulk_messages = y->bulk_messages;
	c->mailbox_messages = y->mailbox_messages;
	c->min_bytes = y->min_bytes;
	c->window_seconds = y->window_seconds;
	c->session_timeout = y->session_timeout;
	c->limits.max_line = y->max_line;
	c->limits.max_users = y->max_users;
	c->limits.max_sessions = y->max_sessions;
	c->ignore_copy_to = (const char *const *)y->ignore_copy_to;
	c->n_ignore_copy_to = y->n_ignore;
	fc->state_file = y->state_file;
	fc->logs = (const char *const *)y->logs;
	fc->n_logs = y->n_logs;
	fc->poll_ms = y->poll_ms;
	if (y->work_hours) {
		int a, b;
		char extra;
		if (sscanf(y->work_hours, "%d-%d%c", &a, &b, &extra) != 2 ||
		    a < 0 || a > 23 || b < 1 || b > 24 || a >= b) {
			*error_r = "watch.work_hours must look like 7-19";
			gv_watch_config_free(storage_r);
			return -1;
		}
		c->work_hour_start = a;
		c->work_hour_end = b;
	}
	if (y->share_threshold < 0 || y->share_threshold > 1) {
		*error_r = "watch.share_threshold must be between 0 and 1";
		gv_watch_config_free(storage_r);
		return -1;
	}
	return 1;
}

void gv_watch_config_free(void **storage)
{
	if (*storage != NULL)
		gv_yaml_free(&root_schema, *storage);
	*storage = NULL;
}
