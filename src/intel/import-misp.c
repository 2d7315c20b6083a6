/*
 * MISP importer (events, event lists, feeds' event files, galaxies) and the
 * CSV / plain list importer.
 *
 * A MISP event becomes a feed entity ("misp-event:<uuid>"); its attributes
 * (and its objects' attributes) of indicator types become indicators reported
 * by it; attributes with to_ids false are context, not indicators, and are
 * skipped (counted in objects only). Galaxy clusters and galaxy tags name
 * actors and malware the event's indicators then indicate.
 */
#include "intel/intel-private.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <string.h>

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A MISP event object, unwrapped or not. */
static json_t *event_of(json_t *o)
{
	json_t *ev = json_object_get(o, "Event");
	return json_is_object(ev) ? ev : o;
}

bool intel_is_misp(json_t *root)
{
	if (json_is_array(root)) {
		json_t *first = json_array_get(root, 0);
		return json_array_size(root) == 0 ||
		       (json_is_object(first) &&
			(json_object_get(first, "Event") ||
			 json_object_get(first, "info") ||
			 json_object_get(first, "SharingGroup")));
	}
	if (!json_is_object(root))
		return false;
	static const char *const keys[] = { "Event",	     "response",
					    "Attribute",     "Object",
					    "info",	     "GalaxyCluster",
					    "meta-category", "Tag" };
	for (size_t i = 0; i < GV_ARRAY_LEN(keys); i++)
		if (json_object_get(root, keys[i]) != NULL)
			return true;
	/* A bare sighting ({timestamp,type,value}) or an empty event. */
	return json_object_size(root) == 0 ||
	       (json_object_get(root, "timestamp") &&
		json_object_get(root, "value") && json_object_size(root) <= 6);
}

/* MISP attribute type -> kind; *pipe_r is the index of the value part in a
 * composite "a|b" type (e.g. filename|md5 -> 1), -1 for the whole value. */
static enum gv_intel_kind attr_kind(const char *t, int *pipe_r)
{
	static const struct {
		const char *type;
		enum gv_intel_kind kind;
		int pipe;
	} map[] = {
		{ "url", GV_ENT_URL, -1 },
		{ "uri", GV_ENT_URL, -1 },
		{ "domain", GV_ENT_DOMAIN, -1 },
		{ "hostname", GV_ENT_DOMAIN, -1 },
		{ "ip-src", GV_ENT_IP, -1 },
		{ "ip-dst", GV_ENT_IP, -1 },
		{ "ip-src|port", GV_ENT_IP, 0 },
		{ "ip-dst|port", GV_ENT_IP, 0 },
		{ "domain|ip", GV_ENT_DOMAIN, 0 },
		{ "hostname|port", GV_ENT_DOMAIN, 0 },
		{ "email", GV_ENT_SENDER, -1 },
		{ "email-src", GV_ENT_SENDER, -1 },
		{ "email-reply-to", GV_ENT_SENDER, -1 },
		{ "md5", GV_ENT_HASH, -1 },
		{ "sha1", GV_ENT_HASH, -1 },
		{ "sha256", GV_ENT_HASH, -1 },
		{ "sha512", GV_ENT_HASH, -1 },
		{ "filename|md5", GV_ENT_HASH, 1 },
		{ "filename|sha1", GV_ENT_HASH, 1 },
		{ "filename|sha256", GV_ENT_HASH, 1 },
		{ "filename|sha512", GV_ENT_HASH, 1 },
		{ "malware-sample", GV_ENT_HASH, 1 },
	};
	for (size_t i = 0; i < GV_ARRAY_LEN(map); i++)
		if (strcmp(t, map[i].type) == 0) {
			*pipe_r = map[i].pipe;
			return map[i].kind;
		}
	return 0;
}

struct misp_ctx {
	struct intel_import *im;
	int64_t targets[16]; /* actors / malware this event indicates */
	size_t n_targets;
};

static int attribute(struct misp_ctx *mc, json_t *a, const char **error_r)
{
	struct intel_import *im = mc->im;
	const char *type = str(a, "type");
	const char *value = str(a, "value");
	im->stats->objects++;
	json_t *del = json_object_get(a, "deleted");
	json_t *ids = json_object_get(a, "to_ids");
	if (type == NULL || value == NULL || json_is_true(del) ||
	    (ids != NULL && json_is_false(ids)))
		return 1;
	int pipe;
	enum gv_intel_kind kind = attr_kind(type, &pipe);
	if (kind == 0)
		return 1;
	char *v = gv_pstrdup(im->pool, value);
	if (pipe >= 0) {
		char *bar = strchr(v, '|');
		if (bar == NULL) {
			if (pipe == 1) {
				im->stats->invalid++;
				return 1;
			}
		} else if (pipe == 0) {
			*bar = '\0';
		} else {
			v = bar + 1;
		}
	}
	int64_t ent = intel_import_value(im, kind, v, str(a, "comment"),
					 error_r);
	if (ent < 0)
		return -1;
	if (ent > 0 && strcmp(type, "domain|ip") == 0) {
		const char *ip = strchr(value, '|');
		if (ip && intel_import_value(im, GV_ENT_IP, ip + 1, NULL,
					     error_r) < 0)
			return -1;
	}
	for (size_t i = 0; ent > 0 && i < mc->n_targets; i++) {
		if (intel_relation_seen(im->st, ent, GV_REL_INDICATES,
					mc->targets[i], 0, im->now, im->now,
					error_r) < 0)
			return -1;
		im->stats->relations++;
	}
	return 1;
}

/* Galaxy tag "misp-galaxy:threat-actor=\"APT 28\"" or a cluster. */
static int add_target(struct misp_ctx *mc, const char *galaxy_type,
		      const char *value, const char **error_r)
{
	enum gv_intel_kind kind = 0;
	if (strcmp(galaxy_type, "threat-actor") == 0 ||
	    strcmp(galaxy_type, "mitre-intrusion-set") == 0)
		kind = GV_ENT_ACTOR;
	else if (strcmp(galaxy_type, "malpedia") == 0 ||
		 strcmp(galaxy_type, "ransomware") == 0 ||
		 strcmp(galaxy_type, "tool") == 0 ||
		 strcmp(galaxy_type, "botnet") == 0 ||
		 strcmp(galaxy_type, "banker") == 0 ||
		 strcmp(galaxy_type, "rat") == 0 ||
		 strcmp(galaxy_type, "mitre-malware") == 0)
		kind = GV_ENT_MALWARE;
	if (kind == 0 || value == NULL || mc->n_targets >= 16)
		return 1;
	int64_t ent;
	if (intel_entity_id(mc->im->st, kind, value, mc->im->now, &ent,
			    error_r) < 0)
		return -1;
	mc->im->stats->entities++;
	mc->targets[mc->n_targets++] = ent;
	return 1;
}

static int galaxy(struct misp_ctx *mc, json_t *g, const char **error_r)
{
	const char *type = str(g, "type");
	json_t *clusters = json_object_get(g, "GalaxyCluster");
	size_t i;
	json_t *c;
	json_array_foreach(clusters, i, c) {
		mc->im->stats->objects++;
		if (add_target(mc, type ? type : "", str(c, "value"),
			       error_r) < 0)
			return -1;
	}
	return 1;
}

static int tags(struct misp_ctx *mc, json_t *tags, const char **error_r)
{
	size_t i;
	json_t *t;
	json_array_foreach(tags, i, t) {
		const char *name = str(t, "name");
		if (name == NULL || strncmp(name, "misp-galaxy:", 12) != 0)
			continue;
		char buf[512];
		snprintf(buf, sizeof(buf), "%s", name + 12);
		char *eq = strchr(buf, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		char *v = eq + 1;
		size_t n = strlen(v);
		if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
			v[n - 1] = '\0';
			v++;
		}
		if (add_target(mc, buf, v, error_r) < 0)
			return -1;
	}
	return 1;
}

static int event(struct intel_import *im, json_t *ev, const char **error_r)
{
	struct misp_ctx mc = { .im = im };
	const char *uuid = str(ev, "uuid");
	if (uuid != NULL) {
		char key[128];
		snprintf(key, sizeof(key), "misp-event:%.64s", uuid);
		int64_t feed;
		if (intel_entity_id(im->st, GV_ENT_FEED, key, im->now, &feed,
				    error_r) < 0 ||
		    (str(ev, "info") &&
		     intel_entity_name(im->st, feed, str(ev, "info"),
				       error_r) < 0))
			return -1;
		im->feed_id = feed;
	}
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(ev, "Galaxy"), i, x)
		if (galaxy(&mc, x, error_r) < 0) return -1;
	if (tags(&mc, json_object_get(ev, "Tag"), error_r) < 0)
		return -1;
	json_array_foreach(json_object_get(ev, "Attribute"), i, x)
		if (attribute(&mc, x, error_r) < 0) return -1;
	json_array_foreach(json_object_get(ev, "Object"), i, x) {
		size_t j;
		json_t *a;
		json_array_foreach(json_object_get(x, "Attribute"), j, a)
			if (attribute(&mc, a, error_r) < 0) return -1;
	}
	return 1;
}

int intel_import_misp(struct intel_import *im, json_t *root,
		      const char **error_r)
{
	json_t *list = json_is_array(root) ? root :
					     json_object_get(root, "response");
	if (json_is_array(list)) {
		size_t i;
		json_t *x;
		json_array_foreach(list, i, x) if (json_is_object(x) &&
						   event(im, event_of(x),
							 error_r) < 0) return -1;
		return 1;
	}
	if (json_object_get(root, "GalaxyCluster") != NULL) {
		struct misp_ctx mc = { .im = im };
		return galaxy(&mc, root, error_r);
	}
	if (json_object_get(root, "meta-category") != NULL) {
		intel_import_note(im, "MISP object template: no indicators");
		return 1;
	}
	return event(im, event_of(root), error_r);
}

/* ---- CSV and plain lists ---- */

static enum gv_intel_kind guess_kind(const char *v)
{
	unsigned char buf[16];
	if (strstr(v, "://"))
		return GV_ENT_URL;
	if (strchr(v, '@'))
		return GV_ENT_SENDER;
	if (inet_pton(AF_INET, v, buf) == 1 || inet_pton(AF_INET6, v, buf) == 1)
		return GV_ENT_IP;
	size_t n = strlen(v), hex = strspn(v, "0123456789abcdefABCDEF");
	if (hex == n && (n == 32 || n == 40 || n == 64 || n == 128))
		return GV_ENT_HASH;
	return GV_ENT_DOMAIN;
}

/* Splits one CSV line in place (quotes with "" escapes); returns cells. */
static size_t csv_split(char *line, char **cells, size_t max)
{
	size_t n = 0;
	char *p = line;
	while (n < max) {
		char *out = p, *cell = p;
		if (*p == '"') {
			cell = out = ++p;
			while (*p) {
				if (*p == '"' && p[1] == '"') {
					*out++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					*out++ = *p++;
				}
			}
			while (*p && *p != ',')
				p++;
		} else {
			while (*p && *p != ',')
				p++;
			out = p;
		}
		char sep = *p;
		*out = '\0';
		cells[n++] = cell;
		if (sep != ',')
			break;
		p++;
	}
	return n;
}

int intel_import_lines(struct intel_import *im, const unsigned char *data,
		       size_t len, bool csv, const char **error_r)
{
	int type_col = -1, value_col = 0;
	bool header = csv;
	const char *p = (const char *)data, *end = p + len;
	size_t lines = 0, max = im->limits->max_objects ?
					im->limits->max_objects :
					1000000;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		char *line = gv_pstrndup(im->pool, p, n > 8192 ? 8192 : n);
		p = nl ? nl + 1 : end;
		if (++lines > max) {
			*error_r = "too many lines (limit)";
			return -1;
		}
		size_t l = strlen(line);
		while (l && (line[l - 1] == '\r' || line[l - 1] == ' '))
			line[--l] = '\0';
		if (l == 0 || line[0] == '#')
			continue;
		char *cells[32];
		size_t nc = csv ? csv_split(line, cells, 32) : 1;
		if (!csv)
			cells[0] = line;
		if (header) {
			header = false;
			for (size_t i = 0; i < nc; i++) {
				if (strcasecmp(cells[i], "type") == 0)
					type_col = (int)i;
				if (strcasecmp(cells[i], "value") == 0)
					value_col = (int)i;
			}
			if (type_col >= 0 || value_col > 0 ||
			    strcasecmp(cells[0], "value") == 0)
				continue; /* it was a header */
		}
		if ((size_t)value_col >= nc)
			continue;
		im->stats->objects++;
		const char *v = cells[value_col];
		enum gv_intel_kind kind = 0;
		int pipe = -1;
		if (type_col >= 0 && (size_t)type_col < nc) {
			kind = attr_kind(cells[type_col], &pipe);
			if (kind == 0)
				kind = gv_intel_kind_parse(cells[type_col]);
			if (kind == 0)
				continue; /* a type we do not match */
		}
		if (pipe >= 0) {
			char *bar = strchr(cells[value_col], '|');
			if (bar && pipe == 0)
				*bar = '\0';
			else if (bar)
				v = bar + 1;
		}
		if (kind == 0)
			kind = guess_kind(v);
		if (intel_import_value(im, kind, v, NULL, error_r) < 0)
			return -1;
	}
	return 1;
}
