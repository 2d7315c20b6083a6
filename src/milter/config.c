/*
 * The `milter` section of the YAML configuration (docs/config.md), read
 * with libcyaml through gv_yaml_load; keys of other modules are ignored.
 */
#include <cyaml/cyaml.h>
#include <stdio.h>
#include <string.h>

#include "milter/milter.h"

struct y_milter {
	char *socket, *socket_group, *user, *pidfile;
	unsigned scanners, max_sessions, queue_timeout_ms, timeout_s,
		shutdown_grace_s;
	uint64_t max_message_bytes;
	char *oversize_action, *failure_mode, *quarantine_mode, *subject_prefix;
	bool *add_headers, *syslog;
};
struct y_root {
	struct y_milter *milter;
};

#define STR(k, min) CYAML_FIELD_STRING_PTR(#k, CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, \
					   struct y_milter, k, min, 4000)
#define UINT(k) CYAML_FIELD_UINT(#k, CYAML_FLAG_OPTIONAL, struct y_milter, k)
static const cyaml_schema_field_t milter_fields[] = {
	STR(socket, 1), STR(socket_group, 1), STR(user, 1), STR(pidfile, 1),
	UINT(scanners), UINT(max_sessions), UINT(queue_timeout_ms),
	UINT(timeout_s), UINT(shutdown_grace_s), UINT(max_message_bytes),
	STR(oversize_action, 1), STR(failure_mode, 1), STR(quarantine_mode, 1),
	STR(subject_prefix, 0),
	CYAML_FIELD_BOOL_PTR("add_headers", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct y_milter, add_headers),
	CYAML_FIELD_BOOL_PTR("syslog", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct y_milter, syslog),
	CYAML_FIELD_END
};
static const cyaml_schema_field_t root_fields[] = {
	CYAML_FIELD_MAPPING_PTR("milter", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct y_root, milter, milter_fields),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t root_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct y_root, root_fields),
};


static int pick(const char *v, const char *a, const char *b, int *out)
{
	if (v == NULL)
		return 1;
	if (strcmp(v, a) == 0)
		*out = 0;
	else if (strcmp(v, b) == 0)
		*out = 1;
	else
		return -1;
	return 1;
}

static int convert(struct gv_milter_config *c, const struct y_milter *m,
		   const char **error_r)
{
	c->socket = gv_strdup(m && m->socket ? m->socket : "inet:8891@127.0.0.1");
	c->user = m && m->user ? gv_strdup(m->user) : NULL;
	c->socket_group = m && m->socket_group ? gv_strdup(m->socket_group) : NULL;
	c->pidfile = gv_strdup(m && m->pidfile ? m->pidfile : "/run/geneva-milter.pid");
	c->subject_prefix = gv_strdup(m && m->subject_prefix ? m->subject_prefix : "");
	c->scanners = m ? m->scanners : 0;
	c->max_sessions = m && m->max_sessions ? m->max_sessions : 500;
	c->queue_timeout_ms = m && m->queue_timeout_ms ? m->queue_timeout_ms : 20000;
	c->timeout_s = m && m->timeout_s ? m->timeout_s : 600;
	c->shutdown_grace_s = m && m->shutdown_grace_s ? m->shutdown_grace_s : 30;
	c->max_message_bytes = m ? m->max_message_bytes : 0;
	c->add_headers = m && m->add_headers ? *m->add_headers : true;
	c->syslog = m && m->syslog ? *m->syslog : false;
	int v = 0;
	if (pick(m ? m->oversize_action : NULL, "reject", "tempfail", &v) < 0) {
		*error_r = "milter.oversize_action: must be reject or tempfail";
		return -1;
	}
	c->oversize_tempfail = v == 1;
	v = 0;
	if (pick(m ? m->failure_mode : NULL, "tempfail", "accept", &v) < 0) {
		*error_r = "milter.failure_mode: must be tempfail or accept";
		return -1;
	}
	c->failure_mode = v ? GV_MILTER_FAIL_ACCEPT : GV_MILTER_FAIL_TEMPFAIL;
	v = 0;
	if (pick(m ? m->quarantine_mode : NULL, "discard", "hold", &v) < 0) {
		*error_r = "milter.quarantine_mode: must be discard or hold";
		return -1;
	}
	c->quarantine_mode = v ? GV_MILTER_Q_HOLD : GV_MILTER_Q_DISCARD;
	if (c->scanners > 256 || c->max_sessions > 100000 ||
	    c->max_message_bytes > ((uint64_t)1 << 32)) {
		*error_r = "milter: scanners, max_sessions or max_message_bytes out of range";
		return -1;
	}
	if (strncmp(c->socket, "inet:", 5) != 0 && strncmp(c->socket, "inet6:", 6) != 0 &&
	    strncmp(c->socket, "unix:", 5) != 0 && strncmp(c->socket, "local:", 6) != 0) {
		*error_r = "milter.socket: must be inet:PORT@HOST, inet6:PORT@HOST or unix:/path";
		return -1;
	}
	return 1;
}

int gv_milter_config_load(const char *path, struct gv_milter_config **cfg_r,
			  const char **error_r)
{
	static __thread char err[700];
	struct y_root *y = NULL;
	if (path != NULL) {
		const char *e;
		if (gv_yaml_load(path, &root_schema, (void **)&y, &e) < 0) {
			snprintf(err, sizeof(err), "%s: %s", path, e);
			*error_r = err;
			return -1;
		}
	}
	struct gv_milter_config *c = gv_calloc(1, sizeof(*c));
	int rv = convert(c, y ? y->milter : NULL, error_r);
	if (y != NULL)
		gv_yaml_free(&root_schema, y);
	if (rv < 0) {
		snprintf(err, sizeof(err), "%s: %s", path ? path : "built-in defaults", *error_r);
		*error_r = err;
		gv_milter_config_free(&c);
		return -1;
	}
	*cfg_r = c;
	return 1;
}

void gv_milter_config_free(struct gv_milter_config **cfg)
{
	struct gv_milter_config *c = *cfg;
	if (c == NULL)
		return;
	gv_free(c->socket);
	gv_free(c->user);
	gv_free(c->socket_group);
	gv_free(c->pidfile);
	gv_free(c->subject_prefix);
	gv_free(c);
	*cfg = NULL;
}
