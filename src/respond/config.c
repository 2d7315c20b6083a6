/*
 * The `alerts:` section of geneva.yaml, read with libcyaml. Unknown keys
 * (other modules' sections) are ignored; every key is optional and 0/empty
 * means the default of struct gv_alerts_config. Keys: docs/config.md.
 */
#include "respond/respond-private.h"

#include <cyaml/cyaml.h>
#include <string.h>
#include <unistd.h>

struct y_retry {
	uint32_t base_ms, max_ms, max_age_seconds;
};
struct y_webhook {
	char *url;
	uint32_t timeout_ms;
	char *min_severity;
};
struct y_syslog {
	char *enabled, *ident, *min_severity;
};
struct y_mail {
	char *command, *from, *security_team, *team_min_severity;
	char *notify_user, *user_domain, *user_min_severity, *contact;
};
struct y_alerts {
	char *spool_dir, *min_severity, *messages, *indicators;
	uint32_t dedup_seconds, max_per_minute, max_per_user_hour;
	struct y_retry *retry;
	struct y_webhook *webhook;
	struct y_syslog *syslog;
	struct y_mail *mail;
};
struct y_root {
	struct y_alerts *alerts;
};

#define OPT (CYAML_FLAG_OPTIONAL)
#define OPTP (CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER)
#define STR(k, s, m) CYAML_FIELD_STRING_PTR(k, OPTP, s, m, 0, 4096)

static const cyaml_schema_field_t retry_fields[] = {
	CYAML_FIELD_UINT("base_ms", OPT, struct y_retry, base_ms),
	CYAML_FIELD_UINT("max_ms", OPT, struct y_retry, max_ms),
	CYAML_FIELD_UINT("max_age_seconds", OPT, struct y_retry,
			 max_age_seconds),
	CYAML_FIELD_END
};
static const cyaml_schema_field_t webhook_fields[] = {
	STR("url", struct y_webhook, url),
	CYAML_FIELD_UINT("timeout_ms", OPT, struct y_webhook, timeout_ms),
	STR("min_severity", struct y_webhook, min_severity),
	CYAML_FIELD_END
};
static const cyaml_schema_field_t syslog_fields[] = {
	STR("enabled", struct y_syslog, enabled),
	STR("ident", struct y_syslog, ident),
	STR("min_severity", struct y_syslog, min_severity),
	CYAML_FIELD_END
};
static const cyaml_schema_field_t mail_fields[] = {
	STR("command", struct y_mail, command),
	STR("from", struct y_mail, from),
	STR("security_team", struct y_mail, security_team),
	STR("team_min_severity", struct y_mail, team_min_severity),
	STR("notify_user", struct y_mail, notify_user),
	STR("user_domain", struct y_mail, user_domain),
	STR("user_min_severity", struct y_mail, user_min_severity),
	STR("contact", struct y_mail, contact),
	CYAML_FIELD_END
};
static const cyaml_schema_field_t alerts_fields[] = {
	STR("spool_dir", struct y_alerts, spool_dir),
	STR("min_severity", struct y_alerts, min_severity),
	STR("messages", struct y_alerts, messages),
	STR("indicators", struct y_alerts, indicators),
	CYAML_FIELD_UINT("dedup_seconds", OPT, struct y_alerts, dedup_seconds),
	CYAML_FIELD_UINT("max_per_minute", OPT, struct y_alerts,
			 max_per_minute),
	CYAML_FIELD_UINT("max_per_user_hour", OPT, struct y_alerts,
			 max_per_user_hour),
	CYAML_FIELD_MAPPING_PTR("retry", OPTP, struct y_alerts, retry,
				retry_fields),
	CYAML_FIELD_MAPPING_PTR("webhook", OPTP, struct y_alerts, webhook,
				webhook_fields),
	CYAML_FIELD_MAPPING_PTR("syslog", OPTP, struct y_alerts, syslog,
				syslog_fields),
	CYAML_FIELD_MAPPING_PTR("mail", OPTP, struct y_alerts, mail,
				mail_fields),
	CYAML_FIELD_END
};
static const cyaml_schema_field_t root_fields[] = {
	CYAML_FIELD_MAPPING_PTR("alerts", OPTP, struct y_root, alerts,
				alerts_fields),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t root_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct y_root, root_fields),
};
/* "yes"/"true"/"on" -> 0 (on, the default), "no"/"false"/"off" -> -1 */
static int onoff(const char *s, int *out)
{
	if (s == NULL)
		return 0;
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "on")) {
		*out = 0;
		return 0;
	}
	if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "off")) {
		*out = -1;
		return 0;
	}
	return -1;
}

static int sev(const char *s, int *out)
{
	if (s == NULL)
		return 0;
	int v = gv_severity_parse(s);
	if (v < 0)
		return -1;
	*out = v;
	return 0;
}

/* alerts.messages: "tag" | "quarantine" | "reject" | "off" */
static int min_action(const char *s, int *out)
{
	static const char *const names[] = { "off", "tag", "quarantine",
					     "reject" };
	if (s == NULL)
		return 0;
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = i == 0 ? -1 : i;
			return 0;
		}
	return -1;
}

int gv_alerts_config_load(const char *path, struct gv_alerts_config *c,
			  void **storage_r, const char **error_r)
{
	memset(c, 0, sizeof(*c));
	*storage_r = NULL;
	if (access(path, F_OK) != 0)
		return 0;
	struct y_root *root = NULL;
	if (gv_yaml_load(path, &root_schema, (void **)&root, error_r) < 0)
		return -1;
	*storage_r = root;
	struct y_alerts *y = root ? root->alerts : NULL;
	if (y == NULL)
		return 1;
	c->configured = true;
	int bad = 0;
	c->spool_dir = y->spool_dir;
	c->dedup_seconds = y->dedup_seconds;
	c->max_per_minute = y->max_per_minute;
	c->max_per_user_hour = y->max_per_user_hour;
	bad |= sev(y->min_severity, &c->min_severity);
	bad |= min_action(y->messages, &c->message_min_action);
	bad |= onoff(y->indicators, &c->indicator_alerts);
	if (y->retry) {
		c->retry_base_ms = y->retry->base_ms;
		c->retry_max_ms = y->retry->max_ms;
		c->retry_max_age = y->retry->max_age_seconds;
	}
	if (y->webhook) {
		c->webhook_url = y->webhook->url;
		c->webhook_timeout_ms = y->webhook->timeout_ms;
		bad |= sev(y->webhook->min_severity, &c->webhook_min_severity);
	}
	if (y->syslog) {
		bad |= onoff(y->syslog->enabled, &c->syslog);
		c->syslog_ident = y->syslog->ident;
		bad |= sev(y->syslog->min_severity, &c->syslog_min_severity);
	}
	if (y->mail) {
		struct y_mail *m = y->mail;
		c->mail_command = m->command;
		c->mail_from = m->from;
		c->security_team = m->security_team;
		bad |= sev(m->team_min_severity, &c->team_min_severity);
		if (m->team_min_severity && c->team_min_severity == 0)
			c->team_min_severity = -1; /* explicit "info" */
		bad |= onoff(m->notify_user, &c->notify_user);
		c->user_domain = m->user_domain;
		bad |= sev(m->user_min_severity, &c->user_min_severity);
		if (m->user_min_severity && c->user_min_severity == 0)
			c->user_min_severity = -1;
		c->contact = m->contact;
	}
	if (bad) {
		*error_r = "alerts: a severity must be info, low, medium, high "
			   "or critical; messages tag, quarantine, reject or "
			   "off; a switch yes or no";
		gv_alerts_config_free(storage_r);
		memset(c, 0, sizeof(*c));
		return -1;
	}
	return 1;
}

void gv_alerts_config_free(void **storage)
{
	if (*storage != NULL)
		gv_yaml_free(&root_schema, *storage);
	*storage = NULL;
}
