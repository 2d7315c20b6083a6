/*
 * The `quarantine` section of the YAML configuration (docs/config.md),
 * read with libcyaml through gv_yaml_load; keys of other modules are ignored.
 */
#include <cyaml/cyaml.h>
#include <stdio.h>
#include <string.h>

#include "quarantine/quarantine.h"

struct y_quarantine {
	char *dir;
	char *sendmail;
};
struct y_root {
	struct y_quarantine *quarantine;
};

static const cyaml_schema_field_t q_fields[] = {
	CYAML_FIELD_STRING_PTR("dir", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			       struct y_quarantine, dir, 1, 4000),
	CYAML_FIELD_STRING_PTR("sendmail", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			       struct y_quarantine, sendmail, 1, 4000),
	CYAML_FIELD_END
};
static const cyaml_schema_field_t root_fields[] = {
	CYAML_FIELD_MAPPING_PTR("quarantine", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct y_root, quarantine, q_fields),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t root_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct y_root, root_fields),
};


int gv_quarantine_config_load(const char *path,
			      struct gv_quarantine_config **cfg_r,
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
	struct gv_quarantine_config *c = gv_calloc(1, sizeof(*c));
	const struct y_quarantine *s = y ? y->quarantine : NULL;
	c->dir = gv_strdup(s && s->dir ? s->dir : GV_QUARANTINE_DEFAULT_DIR);
	c->sendmail = gv_strdup(s && s->sendmail ? s->sendmail
						 : GV_QUARANTINE_DEFAULT_SENDMAIL);
	if (y != NULL)
		gv_yaml_free(&root_schema, y);
	if (c->sendmail[0] != '/') {
		snprintf(err, sizeof(err), "%s: quarantine.sendmail: must be an absolute path",
			 path ? path : "built-in defaults");
		*error_r = err;
		gv_quarantine_config_free(&c);
		return -1;
	}
	*cfg_r = c;
	return 1;
}

void gv_quarantine_config_free(struct gv_quarantine_config **cfg)
{
	if (*cfg == NULL)
		return;
	gv_free((*cfg)->dir);
	gv_free((*cfg)->sendmail);
	gv_free(*cfg);
	*cfg = NULL;
}
