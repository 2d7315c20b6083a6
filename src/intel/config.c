/*
 * The `intel:` section of geneva.yaml, read with libcyaml. Other sections
 * are ignored (CYAML_CFG_IGNORE_UNKNOWN_KEYS); every key is optional.
 * Keys and defaults: docs/config.md.
 */
#include "intel/intel-private.h"

#include <cyaml/cyaml.h>
#include <string.h>
#include <unistd.h>

struct y_intel {
	char *store, *journal_dir;
	uint32_t queue_size, batch_size, busy_timeout_ms;
	char **warninglists;
	unsigned warninglists_count;
};
struct y_root {
	struct y_intel *intel;
};

#define OPT (CYAML_FLAG_OPTIONAL)
#define OPTP (CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER)

static const cyaml_schema_value_t string_schema = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, 4096),
};
static const cyaml_schema_field_t intel_fields[] = {
	CYAML_FIELD_STRING_PTR("store", OPTP, struct y_intel, store, 0, 4096),
	CYAML_FIELD_STRING_PTR("journal_dir", OPTP, struct y_intel,
			       journal_dir, 0, 4096),
	CYAML_FIELD_UINT("queue_size", OPT, struct y_intel, queue_size),
	CYAML_FIELD_UINT("batch_size", OPT, struct y_intel, batch_size),
	CYAML_FIELD_UINT("busy_timeout_ms", OPT, struct y_intel,
			 busy_timeout_ms),
	CYAML_FIELD_SEQUENCE("warninglists", OPTP, struct y_intel,
			     warninglists, &string_schema, 0, 256),
	CYAML_FIELD_END
};
static const cyaml_schema_field_t root_fields[] = {
	CYAML_FIELD_MAPPING_PTR("intel", OPTP, struct y_root, intel,
				intel_fields),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t root_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct y_root, root_fields),
};
int gv_intel_config_load(const char *path, struct gv_intel_config **cfg_r,
			 const char **error_r)
{
	struct gv_intel_config *c = gv_calloc(1, sizeof(*c));
	struct y_root *root = NULL;
	if (path != NULL && access(path, F_OK) == 0) {
		const char *err;
		if (gv_yaml_load(path, &root_schema, (void **)&root, &err) < 0) {
			static __thread char buf[1700];
			snprintf(buf, sizeof(buf), "%.400s: intel section: %s",
				 path, err);
			*error_r = buf;
			gv_free(c);
			return -1;
		}
	}
	struct y_intel *y = root ? root->intel : NULL;
	c->store = gv_strdup(y && y->store ? y->store :
				     "sqlite:/var/lib/geneva/intel.db");
	c->store_configured = y && y->store;
	c->journal_dir = gv_strdup(y && y->journal_dir ? y->journal_dir :
					   "/var/lib/geneva/journal");
	c->queue_size = y && y->queue_size ? y->queue_size :
					      GV_INTEL_QUEUE_SIZE;
	c->batch_size = y && y->batch_size ? y->batch_size :
					      GV_INTEL_BATCH_SIZE;
	c->busy_timeout_ms = y && y->busy_timeout_ms ? y->busy_timeout_ms :
						       2000;
	if (y && y->warninglists_count) {
		c->n_warninglists = y->warninglists_count;
		c->warninglists = gv_calloc(y->warninglists_count, sizeof(char *));
		for (size_t i = 0; i < y->warninglists_count; i++)
			c->warninglists[i] = gv_strdup(y->warninglists[i]);
	}
	gv_yaml_free(&root_schema, root);
	*cfg_r = c;
	return 1;
}

void gv_intel_config_free(struct gv_intel_config **cp)
{
	struct gv_intel_config *c = *cp;
	if (c == NULL)
		return;
	gv_free(c->store);
	gv_free(c->journal_dir);
	for (size_t i = 0; i < c->n_warninglists; i++)
		gv_free(c->warninglists[i]);
	gv_free(c->warninglists);
	gv_free(c);
	*cp = NULL;
}
