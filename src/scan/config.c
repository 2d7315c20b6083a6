/*
 * The `scan` and `policy` sections of the YAML configuration, read with
 * libcyaml schemas (unknown keys belong to other modules and are ignored).
 * Every key is documented in docs/config.md; a missing file or section
 * means the defaults below.
 */
#include <cyaml/cyaml.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "scan/scan-private.h"

#ifndef GV_SOURCE_RULES
#define GV_SOURCE_RULES "rules"
#endif
#ifndef GV_DATA_RULES
#define GV_DATA_RULES "/usr/local/share/geneva/rules"
#endif

/* cyaml-shaped mirror of the YAML (counts named <member>_count). */
struct y_person {
	char *name;
	char **addresses;
	unsigned addresses_count;
};
struct y_rule {
	char *id;
	int score;
	char *action;
};
struct y_limits {
	uint64_t max_message_bytes, max_header_bytes, max_headers, max_parts,
		max_depth, max_decoded_bytes, max_text_bytes, max_urls,
		time_budget_ms;
};
struct y_scan {
	char *rules_dir;
	struct y_limits *limits;
	char **protected_domains;
	unsigned protected_domains_count;
	struct y_person *protected_people;
	unsigned protected_people_count;
};
struct y_policy {
	int tag, quarantine, reject;
	struct y_rule *rules;
	unsigned rules_count;
};
struct y_root {
	struct y_scan *scan;
	struct y_policy *policy;
};

static const cyaml_schema_value_t str_ptr = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, CYAML_UNLIMITED),
};
#define LIM(k) CYAML_FIELD_UINT(#k, CYAML_FLAG_OPTIONAL, struct y_limits, k)
static const cyaml_schema_field_t limits_fields[] = {
	LIM(max_message_bytes), LIM(max_header_bytes), LIM(max_headers),
	LIM(max_parts), LIM(max_depth), LIM(max_decoded_bytes),
	LIM(max_text_bytes), LIM(max_urls), LIM(time_budget_ms),
	CYAML_FIELD_END
};
static const cyaml_schema_field_t person_fields[] = {
	CYAML_FIELD_STRING_PTR("name", CYAML_FLAG_POINTER, struct y_person,
			       name, 1, 256),
	CYAML_FIELD_SEQUENCE("addresses", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct y_person, addresses, &str_ptr, 0, 1000),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t person_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_person, person_fields),
};
static const cyaml_schema_field_t rule_fields[] = {
	CYAML_FIELD_STRING_PTR("id", CYAML_FLAG_POINTER, struct y_rule, id, 1, 256),
	CYAML_FIELD_INT("score", CYAML_FLAG_OPTIONAL, struct y_rule, score),
	CYAML_FIELD_STRING_PTR("action", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			       struct y_rule, action, 1, 32),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t rule_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_rule, rule_fields),
};
static const cyaml_schema_field_t scan_fields[] = {
	CYAML_FIELD_STRING_PTR("rules_dir", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			       struct y_scan, rules_dir, 1, 4096),
	CYAML_FIELD_MAPPING_PTR("limits", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct y_scan, limits, limits_fields),
	CYAML_FIELD_SEQUENCE("protected_domains",
			     CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct y_scan, protected_domains, &str_ptr, 0, 100000),
	CYAML_FIELD_SEQUENCE("protected_people",
			     CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct y_scan, protected_people, &person_schema, 0, 10000),
	CYAML_FIELD_END
};
static const cyaml_schema_field_t policy_fields[] = {
	CYAML_FIELD_INT("tag", CYAML_FLAG_OPTIONAL, struct y_policy, tag),
	CYAML_FIELD_INT("quarantine", CYAML_FLAG_OPTIONAL, struct y_policy, quarantine),
	CYAML_FIELD_INT("reject", CYAML_FLAG_OPTIONAL, struct y_policy, reject),
	CYAML_FIELD_SEQUENCE("rules", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct y_policy, rules, &rule_schema, 0, 100000),
	CYAML_FIELD_END
};
static const cyaml_schema_field_t root_fields[] = {
	CYAML_FIELD_MAPPING_PTR("scan", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct y_root, scan, scan_fields),
	CYAML_FIELD_MAPPING_PTR("policy", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct y_root, policy, policy_fields),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t root_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct y_root, root_fields),
};

/* Default action floors: malware verdicts reject, analysis cut short by a
 * limit quarantines (never "clean" by omission). */
static const struct {
	const char *id;
	enum gv_action action;
} default_floors[] = {
	{ "yara.*", GV_ACTION_REJECT },
	{ "clamav.*", GV_ACTION_REJECT },
	{ "intel.sha256", GV_ACTION_REJECT },
	{ "intel.md5", GV_ACTION_REJECT },
	{ "limit.message_bytes", GV_ACTION_QUARANTINE },
	{ "limit.parts", GV_ACTION_QUARANTINE },
	{ "limit.depth", GV_ACTION_QUARANTINE },
	{ "limit.decoded_bytes", GV_ACTION_QUARANTINE },
	{ "limit.time", GV_ACTION_QUARANTINE },
	{ "limit.archive*", GV_ACTION_QUARANTINE },
	{ "limit.file*", GV_ACTION_QUARANTINE },
	{ "file.error", GV_ACTION_QUARANTINE },
};

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static char **copy_strv(char **v, unsigned n)
{
	char **r = gv_calloc(n + 1, sizeof(char *));
	for (unsigned i = 0; i < n; i++)
		r[i] = gv_strdup(v[i]);
	return r;
}

static void add_rule(struct gv_scan_config *c, const char *id, int score,
		     int action)
{
	c->rules = gv_realloc(c->rules, (c->n_rules + 1) * sizeof(*c->rules));
	c->rules[c->n_rules++] = (struct scan_rule_policy){
		.id = gv_strdup(id), .score = score, .action = action
	};
}

static int convert(struct gv_scan_config *c, const struct y_root *y,
		   const char **error_r)
{
	const struct y_scan *s = y ? y->scan : NULL;
	const struct y_policy *p = y ? y->policy : NULL;
	const char *env = getenv("GENEVA_RULES");
	if (s && s->rules_dir)
		c->rules_dir = gv_strdup(s->rules_dir);
	else if (env && *env)
		c->rules_dir = gv_strdup(env);
	else
		c->rules_dir = gv_strdup(is_dir(GV_SOURCE_RULES) ? GV_SOURCE_RULES
								 : GV_DATA_RULES);
	if (s && s->limits) {
		const struct y_limits *l = s->limits;
		/* libyaml hands "-3" to strtoull, which wraps: refuse absurd
		 * values rather than run with a 16-exabyte limit */
		const uint64_t *v = &l->max_message_bytes;
		for (size_t i = 0; i < sizeof(*l) / sizeof(uint64_t); i++)
			if (v[i] > ((uint64_t)1 << 40)) {
				*error_r = "scan.limits: a value is negative or absurdly large";
				return -1;
			}
		c->limits = (struct gv_mail_limits){
			.max_message_bytes = l->max_message_bytes,
			.max_header_bytes = l->max_header_bytes,
			.max_headers = l->max_headers,
			.max_parts = l->max_parts,
			.max_depth = l->max_depth,
			.max_decoded_bytes = l->max_decoded_bytes,
			.max_text_bytes = l->max_text_bytes,
			.max_urls = l->max_urls,
			.time_budget_ms = l->time_budget_ms,
		};
	}
	gv_mail_limits_apply_defaults(&c->limits);
	if (s) {
		c->protected_domains = copy_strv(s->protected_domains,
						 s->protected_domains_count);
		c->n_protected_domains = s->protected_domains_count;
		c->people = gv_calloc(s->protected_people_count + 1, sizeof(*c->people));
		for (unsigned i = 0; i < s->protected_people_count; i++) {
			struct scan_person *d = &c->people[c->n_people++];
			d->name = gv_strdup(s->protected_people[i].name);
			gv_ascii_lower(d->name, strlen(d->name));
			d->addresses = copy_strv(s->protected_people[i].addresses,
						 s->protected_people[i].addresses_count);
			d->n_addresses = s->protected_people[i].addresses_count;
		}
	}
	c->tag_at = p && p->tag ? p->tag : 25;
	c->quarantine_at = p && p->quarantine ? p->quarantine : 45;
	c->reject_at = p && p->reject ? p->reject : 1000;
	if (!(c->tag_at <= c->quarantine_at && c->quarantine_at <= c->reject_at)) {
		*error_r = "policy: thresholds must satisfy tag <= quarantine <= reject";
		return -1;
	}
	for (size_t i = 0; i < GV_ARRAY_LEN(default_floors); i++)
		add_rule(c, default_floors[i].id, -1, (int)default_floors[i].action);
	for (unsigned i = 0; p && i < p->rules_count; i++) {
		enum gv_action a = GV_ACTION_ACCEPT;
		if (p->rules[i].action && gv_action_parse(p->rules[i].action, &a) != 1) {
			*error_r = "policy.rules: action must be accept, tag, quarantine or reject";
			return -1;
		}
		/* a configured rule replaces a default floor of the same id */
		for (size_t k = 0; k < c->n_rules; k++)
			if (strcmp(c->rules[k].id, p->rules[i].id) == 0)
				c->rules[k].id[0] = '\0';
		add_rule(c, p->rules[i].id, p->rules[i].score,
			 p->rules[i].action ? (int)a : -1);
	}
	return 1;
}

int gv_scan_config_load(const char *path, struct gv_scan_config **cfg_r,
			const char **error_r)
{
	static __thread char err[1400];
	struct y_root *y = NULL;
	struct gv_scan_config *c = NULL;
	int ret = 1;
	if (path != NULL && gv_yaml_load(path, &root_schema, (void **)&y, error_r) < 0)
		goto fail;
	c = gv_calloc(1, sizeof(*c));
	ret = convert(c, y, error_r);
	/* the attachment engine reads its own section (files:) of the same
	 * file: YARA folders, clamd, archive limits */
	if (ret > 0 && gv_files_config_load(path, &c->files, error_r) < 0)
		ret = -1;
	gv_yaml_free(&root_schema, y);
	/* policy rules with an action and no score keep the analyzer's score
	 * (cyaml gives 0 for an absent key; documented in docs/config.md) */
	for (size_t i = 0; i < c->n_rules; i++)
		if (c->rules[i].score == 0 && c->rules[i].action >= 0)
			c->rules[i].score = -1;
	if (ret < 0) {
		gv_scan_config_free(&c);
		goto fail;
	}
	*cfg_r = c;
	return 1;
fail:
	/* every configuration error names the file */
	if (path != NULL && strncmp(*error_r, path, strlen(path)) != 0) {
		snprintf(err, sizeof(err), "%s: %s", path, *error_r);
		*error_r = err;
	}
	return -1;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		gv_free(v[i]);
	gv_free(v);
}

void gv_scan_config_free(struct gv_scan_config **cp)
{
	struct gv_scan_config *c = *cp;
	if (c == NULL)
		return;
	gv_free(c->rules_dir);
	free_strv(c->protected_domains, c->n_protected_domains);
	gv_files_config_free(&c->files);
	for (size_t i = 0; i < c->n_people; i++) {
		gv_free(c->people[i].name);
		free_strv(c->people[i].addresses, c->people[i].n_addresses);
	}
	gv_free(c->people);
	for (size_t i = 0; i < c->n_rules; i++)
		gv_free(c->rules[i].id);
	gv_free(c->rules);
	gv_free(c);
	*cp = NULL;
}

const struct gv_mail_limits *gv_scan_config_limits(const struct gv_scan_config *c)
{
	return &c->limits;
}
