/*
 * STIX 2.1 (and 2.0, whose objects we read with the same mapping: the
 * differences — spec_version placement, labels vs *_types, observed-data
 * objects dictionaries — do not touch the fields we use) bundle importer.
 *
 * Mapping: indicator patterns -> indicators (via gv_stix_pattern_parse);
 * malware -> malware; campaign -> campaign; threat-actor and intrusion-set
 * -> actor; identity -> organization; report -> feed; cyber observables
 * (url, domain-name, ipv4/6-addr, email-addr, file hashes), loose or in
 * observed-data -> entities; relationship -> typed relation; sighting ->
 * relation to where it was sighted. STIX ids are remembered (stix_object)
 * so relationships may point at objects imported from other files.
 * Statement ids 40..49.
 */
#include "intel/intel-private.h"

#include <jansson.h>
#include <string.h>

static const struct gv_sql_stmt q_obj_put = {
	40,
	"INSERT INTO stix_object(stix_id, entity) VALUES($1, $2)"
	" ON CONFLICT DO NOTHING",
	NULL
};
static const struct gv_sql_stmt q_obj_get = {
	41, "SELECT entity FROM stix_object WHERE stix_id = $1", NULL
};

bool intel_is_stix(json_t *root)
{
	const char *type = json_string_value(json_object_get(root, "type"));
	const char *id = json_string_value(json_object_get(root, "id"));
	return type != NULL && id != NULL && strstr(id, "--") != NULL;
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int remember(struct intel_import *im, const char *stix_id,
		    int64_t ent, const char **error_r)
{
	if (stix_id == NULL || ent <= 0)
		return 1;
	struct gv_sql_val p[2] = { GV_SQL_S(stix_id), GV_SQL_I(ent) };
	return intel_sql_run(im->st, &q_obj_put, p, 2, NULL, NULL, error_r);
}

struct ids {
	int64_t v[64];
	size_t n;
};

static int ids_cb(void *ctx, const struct gv_sql_row *row)
{
	struct ids *ids = ctx;
	if (ids->n < GV_ARRAY_LEN(ids->v))
		ids->v[ids->n++] = row->col[0].i;
	return 0;
}

static int lookup(struct intel_import *im, const char *stix_id,
		  struct ids *ids, const char **error_r)
{
	ids->n = 0;
	if (stix_id == NULL)
		return 1;
	struct gv_sql_val p[1] = { GV_SQL_S(stix_id) };
	return intel_sql_run(im->st, &q_obj_get, p, 1, ids_cb, ids, error_r);
}

/* A named domain object (malware, campaign, actor, organization, feed). */
static int named(struct intel_import *im, json_t *o, enum gv_intel_kind kind,
		 const char **error_r)
{
	const char *name = str(o, "name");
	const char *id = str(o, "id");
	if (name == NULL || *name == '\0')
		name = id;
	if (name == NULL || *name == '\0') {
		im->stats->invalid++; /* neither a name nor an id */
		intel_import_note(im, "%s object without name or id",
				  str(o, "type"));
		return 1;
	}
	int64_t ent;
	if (intel_entity_id(im->st, kind, name, im->now, &ent, error_r) < 0)
		return -1;
	im->stats->entities++;
	return remember(im, id, ent, error_r);
}

static enum gv_intel_kind sco_kind(const char *type)
{
	if (strcmp(type, "url") == 0)
		return GV_ENT_URL;
	if (strcmp(type, "domain-name") == 0)
		return GV_ENT_DOMAIN;
	if (strcmp(type, "ipv4-addr") == 0 || strcmp(type, "ipv6-addr") == 0)
		return GV_ENT_IP;
	if (strcmp(type, "email-addr") == 0)
		return GV_ENT_SENDER;
	if (strcmp(type, "file") == 0)
		return GV_ENT_HASH;
	return 0;
}

/* A cyber observable: an entity (not an indicator: seen is not bad). */
static int observable(struct intel_import *im, json_t *o, const char *id,
		      const char **error_r)
{
	const char *type = str(o, "type");
	enum gv_intel_kind kind = type ? sco_kind(type) : 0;
	if (kind == 0)
		return 1;
	const char *vals[4] = { NULL };
	size_t nv = 0;
	if (kind == GV_ENT_HASH) {
		json_t *h = json_object_get(o, "hashes");
		const char *k;
		json_t *v;
		json_object_foreach(h, k, v) if (nv < 4 && json_is_string(v))
			vals[nv++] = json_string_value(v);
	} else if (str(o, "value") != NULL) {
		vals[nv++] = str(o, "value");
	}
	for (size_t i = 0; i < nv; i++) {
		char *v = gv_pstrdup(im->pool, vals[i]);
		if (!intel_normalize(kind, v)) {
			im->stats->invalid++;
			continue;
		}
		int64_t ent;
		if (intel_entity_id(im->st, kind, v, im->now, &ent,
				    error_r) < 0 ||
		    intel_relation_seen(im->st, ent, GV_REL_REPORTED_BY,
					im->feed_id, 0, im->now, im->now,
					error_r) < 0 ||
		    remember(im, id, ent, error_r) < 0)
			return -1;
		im->stats->entities++;
	}
	return 1;
}

static int indicator(struct intel_import *im, json_t *o, const char **error_r)
{
	const char *pattern = str(o, "pattern");
	const char *ptype = str(o, "pattern_type");
	const char *id = str(o, "id");
	const char *name = str(o, "name");
	if (pattern == NULL)
		return 1;
	if (ptype != NULL && strcmp(ptype, "stix") != 0) {
		im->stats->unsupported++;
		intel_import_note(im, "unsupported: %s pattern of %s",
				  ptype, id ? id : "indicator");
		return 1;
	}
	struct gv_stix_pattern_limits lim = {
		.max_len = im->limits->max_pattern_len,
	};
	struct gv_stix_cmp **cmps;
	size_t n, unsup;
	const char *perr;
	if (gv_stix_pattern_parse((const unsigned char *)pattern,
				  strlen(pattern), &lim, im->pool, &cmps, &n,
				  &unsup, &perr) < 0) {
		im->stats->invalid++;
		intel_import_note(im, "invalid pattern of %s: %s",
				  id ? id : "indicator", perr);
		return 1;
	}
	if (unsup > 0) {
		im->stats->unsupported += unsup;
		intel_import_note(im, "unsupported: %zu comparison(s) in "
				      "%.160s",
				  unsup, pattern);
	}
	for (size_t i = 0; i < n; i++) {
		int64_t ent;
		if (cmps[i]->op == GV_STIX_EQ) {
			ent = intel_import_value(im, cmps[i]->kind,
						 cmps[i]->value, name, error_r);
		} else {
			/* LIKE: % any run, _ one char; everything else is
			 * literal. MATCHES is a PCRE, given to Hyperscan. */
			struct gv_buf re;
			gv_buf_init(&re, 65536);
			const char *v = cmps[i]->value;
			if (cmps[i]->op == GV_STIX_LIKE) {
				gv_buf_putc(&re, '^');
				for (; *v; v++) {
					if (*v == '%')
						gv_buf_append(&re, ".*", 2);
					else if (*v == '_')
						gv_buf_putc(&re, '.');
					else if (strchr(".^$|()[]{}*+?\\/",
							*v))
						gv_buf_printf(&re, "\\%c", *v);
					else
						gv_buf_putc(&re, (unsigned char)*v);
				}
				gv_buf_putc(&re, '$');
			} else {
				gv_buf_append(&re, v, strlen(v));
			}
			bool is_new;
			const char *rx = gv_buf_cstr(&re);
			int rc = rx ? intel_indicator_add(im->st, cmps[i]->kind,
							  true, rx, name,
							  im->feed_id, im->now,
							  &is_new, &ent,
							  error_r) :
				      0;
			gv_buf_free(&re);
			if (rc < 0)
				return -1;
			if (rc == 0) {
				im->stats->invalid++;
				continue;
			}
			is_new ? im->stats->indicators_new++ :
				 im->stats->indicators_seen++;
		}
		if (ent < 0 || remember(im, id, ent, error_r) < 0)
			return -1;
	}
	return 1;
}

static enum gv_intel_rel rel_type(const char *t)
{
	if (t == NULL)
		return GV_REL_RELATED;
	if (strcmp(t, "indicates") == 0)
		return GV_REL_INDICATES;
	if (strcmp(t, "attributed-to") == 0)
		return GV_REL_ATTRIBUTED_TO;
	if (strcmp(t, "uses") == 0)
		return GV_REL_USES;
	if (strcmp(t, "targets") == 0)
		return GV_REL_TARGETS;
	return GV_REL_RELATED;
}

static int relate_refs(struct intel_import *im, const char *src,
		       enum gv_intel_rel type, const char *dst,
		       const char **error_r)
{
	struct ids a, b;
	if (lookup(im, src, &a, error_r) < 0 || lookup(im, dst, &b, error_r) < 0)
		return -1;
	for (size_t i = 0; i < a.n; i++)
		for (size_t j = 0; j < b.n; j++) {
			if (intel_relation_seen(im->st, a.v[i], type, b.v[j],
						0, im->now, im->now,
						error_r) < 0)
				return -1;
			im->stats->relations++;
		}
	return 1;
}

static int relationship(struct intel_import *im, json_t *o,
			const char **error_r)
{
	return relate_refs(im, str(o, "source_ref"),
			   rel_type(str(o, "relationship_type")),
			   str(o, "target_ref"), error_r);
}

static int sighting(struct intel_import *im, json_t *o, const char **error_r)
{
	json_t *where = json_object_get(o, "where_sighted_refs");
	size_t i;
	json_t *w;
	json_array_foreach(where, i, w) if (relate_refs(im,
							str(o, "sighting_of_ref"),
							GV_REL_RELATED,
							json_string_value(w),
							error_r) < 0) return -1;
	return 1;
}

static int report(struct intel_import *im, json_t *o, const char **error_r)
{
	if (named(im, o, GV_ENT_FEED, error_r) < 0)
		return -1;
	json_t *refs = json_object_get(o, "object_refs");
	size_t i;
	json_t *r;
	json_array_foreach(refs, i, r) if (relate_refs(im, json_string_value(r),
						       GV_REL_REPORTED_BY,
						       str(o, "id"),
						       error_r) < 0) return -1;
	return 1;
}

static int observed_data(struct intel_import *im, json_t *o,
			 const char **error_r)
{
	/* 2.0: embedded "objects" dictionary; 2.1: object_refs to SCOs that
	 * sit in the bundle and are imported on their own. */
	json_t *objs = json_object_get(o, "objects");
	const char *k;
	json_t *v;
	json_object_foreach(objs, k, v) if (observable(im, v, str(o, "id"),
						       error_r) < 0) return -1;
	return 1;
}

/* Objects in dependency order: nodes first, then the edges between them. */
static int object_pass(struct intel_import *im, json_t *o, int pass,
		       const char **error_r)
{
	const char *type = str(o, "type");
	if (type == NULL)
		return 1;
	if (pass == 0) {
		im->stats->objects++;
		if (strcmp(type, "indicator") == 0)
			return indicator(im, o, error_r);
		if (strcmp(type, "malware") == 0)
			return named(im, o, GV_ENT_MALWARE, error_r);
		if (strcmp(type, "campaign") == 0)
			return named(im, o, GV_ENT_CAMPAIGN, error_r);
		if (strcmp(type, "threat-actor") == 0 ||
		    strcmp(type, "intrusion-set") == 0)
			return named(im, o, GV_ENT_ACTOR, error_r);
		if (strcmp(type, "identity") == 0)
			return named(im, o, GV_ENT_ORG, error_r);
		if (strcmp(type, "observed-data") == 0)
			return observed_data(im, o, error_r);
		if (sco_kind(type) != 0)
			return observable(im, o, str(o, "id"), error_r);
		return 1;
	}
	if (pass == 1 && strcmp(type, "report") == 0)
		return report(im, o, error_r);
	if (pass == 2 && strcmp(type, "relationship") == 0)
		return relationship(im, o, error_r);
	if (pass == 2 && strcmp(type, "sighting") == 0)
		return sighting(im, o, error_r);
	return 1;
}

int intel_import_stix(struct intel_import *im, json_t *root,
		      const char **error_r)
{
	json_t *objects = json_object_get(root, "objects");
	const char *spec = str(root, "spec_version");
	size_t max = im->limits->max_objects ? im->limits->max_objects :
					       1000000;
	bool bundle = json_is_array(objects);
	if (bundle && json_array_size(objects) > max) {
		*error_r = "too many objects in bundle (limit)";
		return -1;
	}
	if (spec != NULL && strcmp(spec, "2.0") == 0)
		intel_import_note(im, "STIX 2.0 bundle: imported with the "
				      "STIX 2.1 mapping");
	for (int pass = 0; pass < 3; pass++) {
		if (!bundle) {
			if (object_pass(im, root, pass, error_r) < 0)
				return -1;
			continue;
		}
		size_t i;
		json_t *o;
		json_array_foreach(objects, i, o) if (object_pass(im, o, pass,
								  error_r) < 0)
			return -1;
	}
	return 1;
}
