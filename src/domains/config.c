/*
 * The `domains:` section of geneva.yaml (libcyaml; other sections are
 * ignored). Every key is optional; keys are documented in docs/config.md.
 */
#include "domains/domains-private.h"

#include <cyaml/cyaml.h>
#include <string.h>
#include <unistd.h>

struct y_rpz {
	char *zone_file, *origin, *action, *sinkhole_host, *a, *aaaa;
	uint32_t ttl;
	char *wildcard; /* "yes"/"no": absent keeps the default (yes) */
	char *unbound_control, *unbound_control_config;
};
struct y_report {
	char *from, *org, *abuse_contact;
};
struct y_domains {
	char *brands_file;
	char *rdap_dir;
	char **allow;
	unsigned n_allow;
	uint32_t min_score, max_line;
	struct y_rpz *rpz;
	struct y_report *report;
};
struct y_root {
	struct y_domains *domains;
};

#define OPT CYAML_FLAG_OPTIONAL
#define OPTP (CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER)
#define STR(name, st, field, max) \
	CYAML_FIELD_STRING_PTR(name, OPTP, st, field, 0, max)

static const cyaml_schema_value_t str_entry = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, GV_DOMAIN_UMAX),
};
static const cyaml_schema_field_t rpz_fields[] = {
	STR("zone_file", struct y_rpz, zone_file, 4096),
	STR("origin", struct y_rpz, origin, GV_DOMAIN_MAX),
	STR("action", struct y_rpz, action, 16),
	STR("sinkhole_host", struct y_rpz, sinkhole_host, GV_DOMAIN_MAX),
	STR("a", struct y_rpz, a, 64),
	STR("aaaa", struct y_rpz, aaaa, 64),
	CYAML_FIELD_UINT("ttl", OPT, struct y_rpz, ttl),
	STR("wildcard", struct y_rpz, wildcard, 8),
	STR("unbound_control", struct y_rpz, unbound_control, 4096),
	STR("unbound_control_config", struct y_rpz, unbound_control_config, 4096),
	CYAML_FIELD_END
};
static const cyaml_schema_field_t report_fields[] = {
	STR("from", struct y_report, from, 256),
	STR("org", struct y_report, org, 256),
	STR("abuse_contact", struct y_report, abuse_contact, 256),
	CYAML_FIELD_END
};
static const cyaml_schema_field_t domains_fields[] = {
	STR("brands_file", struct y_domains, brands_file, 4096),
	STR("rdap_dir", struct y_domains, rdap_dir, 4096),
	CYAML_FIELD_SEQUENCE_COUNT("allow", OPTP, struct y_domains, allow,
				   n_allow, &str_entry, 0, 100000),
	CYAML_FIELD_UINT("min_score", OPT, struct y_domains, min_score),
	CYAML_FIELD_UINT("max_line", OPT, struct y_domains, max_line),
	CYAML_FIELD_MAPPING_PTR("rpz", OPTP, struct y_domains, rpz, rpz_fields),
	CYAML_FIELD_MAPPING_PTR("report", OPTP, struct y_domains, report,
				report_fields),
	CYAML_FIELD_END
};
static const cyaml_schema_field_t root_fields[] = {
	CYAML_FIELD_MAPPING_PTR("domains", OPTP, struct y_root, domains,
				domains_fields),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t root_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct y_root, root_fields),
};
static void defaults(struct gv_domains_config *c)
{
	memset(c, 0, sizeof(*c));
	c->rpz.origin = "rpz.local";
	c->rpz.action = GV_RPZ_CNAME;
	c->rpz.wildcard = true;
	c->unbound_control = "unbound-control";
	c->report_org = "Geneva domain defense";
}

static int apply_rpz(const struct y_rpz *y, struct gv_domains_config *c,
		     const char **error_r)
{
	c->rpz_zone_file = y->zone_file;
	if (y->origin != NULL)
		c->rpz.origin = y->origin;
	if (y->action != NULL) {
		if (strcmp(y->action, "cname") == 0)
			c->rpz.action = GV_RPZ_CNAME;
		else if (strcmp(y->action, "address") == 0)
			c->rpz.action = GV_RPZ_ADDRESS;
		else if (strcmp(y->action, "nxdomain") == 0)
			c->rpz.action = GV_RPZ_NXDOMAIN;
		else {
			*error_r = "domains.rpz.action must be cname, address or nxdomain";
			return -1;
		}
	}
	c->rpz.sinkhole_host = y->sinkhole_host;
	c->rpz.a = y->a;
	c->rpz.aaaa = y->aaaa;
	c->rpz.ttl = y->ttl;
	if (y->wildcard != NULL) {
		if (strcmp(y->wildcard, "yes") != 0 && strcmp(y->wildcard, "no") != 0) {
			*error_r = "domains.rpz.wildcard must be yes or no";
			return -1;
		}
		c->rpz.wildcard = strcmp(y->wildcard, "yes") == 0;
	}
	if (y->unbound_control != NULL)
		c->unbound_control = y->unbound_control;
	c->unbound_control_config = y->unbound_control_config;
	return 1;
}

int gv_domains_config_load(const char *path, struct gv_domains_config *c,
			   void **storage_r, const char **error_r)
{
	defaults(c);
	*storage_r = NULL;
	if (path == NULL || access(path, F_OK) != 0)
		return 0;
	struct y_root *root = NULL;
	if (gv_yaml_load(path, &root_schema, (void **)&root, error_r) < 0)
		return -1;
	*storage_r = root;
	const struct y_domains *y = root != NULL ? root->domains : NULL;
	if (y == NULL)
		return 1;
	c->brands_file = y->brands_file;
	c->rdap_dir = y->rdap_dir;
	c->allow = (const char *const *)y->allow;
	c->n_allow = y->n_allow;
	c->min_score = y->min_score;
	c->max_line = y->max_line;
	if (y->min_score > 100) {
		*error_r = "domains.min_score must be between 1 and 100";
		gv_domains_config_free(storage_r);
		return -1;
	}
	if (y->rpz != NULL && apply_rpz(y->rpz, c, error_r) < 0) {
		gv_domains_config_free(storage_r);
		return -1;
	}
	if (y->report != NULL) {
		if (y->report->from != NULL)
			c->report_from = y->report->from;
		if (y->report->org != NULL)
			c->report_org = y->report->org;
		c->abuse_contact = y->report->abuse_contact;
	}
	return 1;
}

void gv_domains_config_free(void **storage)
{
	if (*storage != NULL)
		gv_yaml_free(&root_schema, *storage);
	*storage = NULL;
}
