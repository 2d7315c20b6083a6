/*
 * `geneva intel import`: walks files and directories, recognises the
 * format of each file and hands it to the STIX, MISP or list importer;
 * applies MISP warninglists. Every file is imported in one transaction, so
 * a failed file leaves nothing half-imported, and importing it again is a
 * no-op (indicators are keyed by value, entities by (kind, value), relations
 * by (src, type, dst)).
 */
#include "intel/intel-map.h"
#include "intel/intel-private.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ---- warninglists ---- */

struct gv_intel_warninglist {
	struct intel_cache *set; /* (kind, value) -> WL_EXACT | WL_SUBDOMAINS */
	size_t n;
};
#define WL_EXACT 1
#define WL_SUBDOMAINS 2

static int wl_load_file(struct gv_intel_warninglist *wl, const char *path,
			const char **error_r)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	static __thread char buf[600];
	if (root == NULL) {
		snprintf(buf, sizeof(buf), "%.400s: %s", path, jerr.text);
		*error_r = buf;
		return -1;
	}
	json_t *list = json_object_get(root, "list");
	const char *type = json_string_value(json_object_get(root, "type"));
	if (!json_is_array(list)) {
		json_decref(root);
		snprintf(buf, sizeof(buf), "%.400s: not a MISP warninglist", path);
		*error_r = buf;
		return -1;
	}
	bool cidr = type && strcmp(type, "cidr") == 0;
	bool hostname = type && strcmp(type, "hostname") == 0;
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) {
		const char *s = json_string_value(v);
		if (s == NULL || *s == '\0' || strlen(s) > 1024)
			continue;
		char val[1100];
		snprintf(val, sizeof(val), "%s", s);
		int64_t flags = WL_EXACT;
		enum gv_intel_kind kind = cidr ? GV_ENT_IP : GV_ENT_DOMAIN;
		const char *p = val;
		if (!cidr && *p == '.') {
			p++;
			flags = WL_SUBDOMAINS;
		} else if (hostname) {
			flags |= WL_SUBDOMAINS;
		}
		char norm[1100];
		snprintf(norm, sizeof(norm), "%s", p);
		if (!cidr)
			gv_ascii_lower(norm, strlen(norm));
		flags |= intel_cache_get(wl->set, (int)kind, norm);
		intel_cache_put(wl->set, (int)kind, norm, flags);
		wl->n++;
	}
	json_decref(root);
	return 1;
}

struct gv_intel_warninglist *gv_intel_warninglist_load(const char *const *paths,
						       size_t n,
						       const char **error_r)
{
	struct gv_intel_warninglist *wl = gv_calloc(1, sizeof(*wl));
	wl->set = intel_cache_new(SIZE_MAX / 4);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		char sub[4096];
		const char *p = paths[i];
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			snprintf(sub, sizeof(sub), "%.4000s/list.json", p);
			p = sub;
		}
		if (wl_load_file(wl, p, error_r) < 0) {
			gv_intel_warninglist_free(&wl);
			return NULL;
		}
	}
	return wl;
}

void gv_intel_warninglist_free(struct gv_intel_warninglist **wlp)
{
	if (*wlp == NULL)
		return;
	intel_cache_free(&(*wlp)->set);
	gv_free(*wlp);
	*wlp = NULL;
}

size_t gv_intel_warninglist_size(const struct gv_intel_warninglist *wl)
{
	return wl ? wl->n : 0;
}

static bool wl_domain(const struct gv_intel_warninglist *wl, const char *d)
{
	int64_t f = intel_cache_get(wl->set, GV_ENT_DOMAIN, d);
	if (f != 0)
		return true;
	for (const char *p = strchr(d, '.'); p != NULL; p = strchr(p + 1, '.'))
		if (intel_cache_get(wl->set, GV_ENT_DOMAIN, p + 1) &
		    WL_SUBDOMAINS)
			return true;
	return false;
}

bool intel_warninglist_hit(const struct gv_intel_warninglist *wl,
			   enum gv_intel_kind kind, const char *value)
{
	if (wl == NULL)
		return false;
	switch (kind) {
	case GV_ENT_DOMAIN:
		return wl_domain(wl, value);
	case GV_ENT_IP:
		return intel_cache_get(wl->set, GV_ENT_IP, value) != 0;
	case GV_ENT_URL: {
		const char *h = strstr(value, "://");
		if (h == NULL)
			return false;
		h += 3;
		size_t n = strcspn(h, "/?#:");
		char host[256];
		if (n == 0 || n >= sizeof(host))
			return false;
		memcpy(host, h, n);
		host[n] = '\0';
		return wl_domain(wl, host);
	}
	default:
		return false;
	}
}

/* ---- shared import helpers ---- */

void intel_import_note(struct intel_import *im, const char *fmt, ...)
{
	if (im->report == NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(im->report, "  %s: ", im->file);
	vfprintf(im->report, fmt, ap);
	fputc('\n', im->report);
	va_end(ap);
}

int64_t intel_import_value(struct intel_import *im, enum gv_intel_kind kind,
			   const char *value, const char *name,
			   const char **error_r)
{
	if (value == NULL)
		return 0;
	char *v = gv_pstrndup(im->pool, value, strnlen(value, 8192));
	/* Feeds often give URLs without a scheme ("evil.example/x"). */
	if (kind == GV_ENT_URL && strstr(v, "://") == NULL && v[0] != '/' &&
	    strchr(v, '.') != NULL && strchr(v, ' ') == NULL)
		v = gv_psprintf(im->pool, "http://%s", v);
	if (!intel_normalize(kind, v)) {
		im->stats->invalid++;
		intel_import_note(im, "invalid %s value '%.80s'",
				  gv_intel_kind_name(kind), value);
		return 0;
	}
	if (intel_warninglist_hit(im->wl, kind, v)) {
		im->stats->suppressed++;
		return 0;
	}
	bool is_new;
	int64_t ent;
	if (intel_indicator_add(im->st, kind, false, v, name, im->feed_id,
				im->now, &is_new, &ent, error_r) < 0)
		return -1;
	if (is_new)
		im->stats->indicators_new++;
	else
		im->stats->indicators_seen++;
	return ent;
}

/* ---- dispatch ---- */

static bool has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcasecmp(s + a - b, suf) == 0;
}

static int import_json(struct intel_import *im, const unsigned char *data,
		       size_t len, const char **error_r)
{
	json_error_t jerr;
	json_t *root = json_loadb((const char *)data, len,
				  JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		static __thread char buf[600];
		snprintf(buf, sizeof(buf), "%.400s: invalid JSON (line %d: %s)",
			 im->file, jerr.line, jerr.text);
		*error_r = buf;
		return -1;
	}
	int rc;
	if (intel_is_stix(root))
		rc = intel_import_stix(im, root, error_r);
	else if (intel_is_misp(root))
		rc = intel_import_misp(im, root, error_r);
	else {
		/* Valid JSON that is neither STIX nor MISP (e.g. a tool's own
		 * output): skipped with a reason, not an error. */
		im->stats->files_skipped++;
		intel_import_note(im, "skipped: JSON is neither a STIX 2.x "
				      "bundle/object nor a MISP document");
		rc = 1;
	}
	json_decref(root);
	return rc;
}

/* One document in one transaction; the format comes from the name. */
static int import_data(struct gv_intel_store *st, const char *name,
		       const unsigned char *data, size_t len,
		       struct intel_import *tmpl, const char **error_r)
{
	struct intel_import im = *tmpl;
	im.file = name;
	im.pool = gv_pool_new(65536);
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	int rc = intel_begin(st, error_r);
	if (rc > 0)
		rc = intel_entity_id(st, GV_ENT_FEED, base, im.now, &im.feed_id,
				     error_r);
	if (rc > 0) {
		if (has_suffix(name, ".json"))
			rc = import_json(&im, data, len, error_r);
		else
			rc = intel_import_lines(&im, data, len,
						has_suffix(name, ".csv"),
						error_r);
	}
	if (rc > 0)
		rc = intel_commit(st, error_r);
	else
		intel_rollback(st);
	gv_pool_free(&im.pool);
	return rc;
}

static int import_file(struct gv_intel_store *st, const char *path,
		       struct intel_import *tmpl, const char **error_r)
{
	size_t max = tmpl->limits->max_file_size ?
			     tmpl->limits->max_file_size :
			     (size_t)64 << 20;
	unsigned char *data;
	size_t len;
	bool trunc;
	static __thread char buf[600];
	if (gv_read_file(path, max, &data, &len, &trunc, error_r) < 0) {
		snprintf(buf, sizeof(buf), "%.400s: %s", path, *error_r);
		*error_r = buf;
		return -1;
	}
	if (trunc) {
		gv_free(data);
		snprintf(buf, sizeof(buf), "%.400s: larger than %zu bytes", path,
			 max);
		*error_r = buf;
		return -1;
	}
	int rc = import_data(st, path, data, len, tmpl, error_r);
	gv_free(data);
	return rc;
}

static int walk(struct gv_intel_store *st, const char *path, int depth,
		struct intel_import *tmpl, const char **error_r)
{
	struct stat sb;
	static __thread char buf[600];
	if (stat(path, &sb) < 0) {
		snprintf(buf, sizeof(buf), "%.400s: %s", path, strerror(errno));
		*error_r = buf;
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		struct gv_intel_import_stats *s = tmpl->stats;
		uint64_t before = s->files_skipped;
		int rc = import_file(st, path, tmpl, error_r);
		s->files++;
		if (rc < 0)
			s->files_refused++;
		if (tmpl->report != NULL)
			fprintf(tmpl->report, "%s: %s\n", path,
				rc < 0			   ? *error_r :
				s->files_skipped > before ? "skipped" :
							    "imported");
		return rc;
	}
	if (depth > 16) {
		snprintf(buf, sizeof(buf), "%.400s: directories nested too deeply",
			 path);
		*error_r = buf;
		return -1;
	}
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		snprintf(buf, sizeof(buf), "%.400s: %s", path, strerror(errno));
		*error_r = buf;
		return -1;
	}
	int ret = 1;
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		char sub[4096];
		snprintf(sub, sizeof(sub), "%s/%s", path, nm);
		struct stat cs;
		/* In a directory only feed formats are taken: *.json (not a
		 * MISP feed's manifest.json) and *.csv (not its hashes.csv,
		 * which holds hashes of values, not indicators). Plain *.txt
		 * lists are imported when named explicitly, so a README or
		 * LICENSE.txt next to a feed never turns into indicators. */
		bool take = nm[0] != '.' && stat(sub, &cs) == 0 &&
			    (S_ISDIR(cs.st_mode) ||
			     ((has_suffix(nm, ".json") ||
			       has_suffix(nm, ".csv")) &&
			      strcmp(nm, "manifest.json") != 0 &&
			      strcmp(nm, "hashes.csv") != 0));
		if (take && walk(st, sub, depth + 1, tmpl, error_r) < 0)
			ret = -1; /* keep going: one bad file stops nothing */
		gv_free(names[i]); /* scandir allocates with malloc */
	}
	gv_free(names);
	return ret;
}

int gv_intel_import_buffer(struct gv_intel_store *st, const char *name,
			   const unsigned char *data, size_t len,
			   const struct gv_intel_warninglist *wl,
			   const struct gv_intel_import_limits *limits,
			   struct gv_intel_import_stats *stats, FILE *report,
			   const char **error_r)
{
	static const struct gv_intel_import_limits defaults = { 0 };
	const struct gv_intel_import_limits *lim = limits ? limits : &defaults;
	struct intel_import tmpl = { .st = st,
				     .wl = wl,
				     .limits = lim,
				     .stats = stats,
				     .report = report,
				     .now = (int64_t)time(NULL) };
	size_t max = lim->max_file_size ? lim->max_file_size :
					  (size_t)64 << 20;
	if (len > max) {
		*error_r = "document larger than the import limit";
		return -1;
	}
	stats->files++;
	int rc = import_data(st, name, data, len, &tmpl, error_r);
	if (rc < 0)
		stats->files_refused++;
	return rc;
}

int gv_intel_import_path(struct gv_intel_store *st, const char *path,
			 const struct gv_intel_warninglist *wl,
			 const struct gv_intel_import_limits *limits,
			 struct gv_intel_import_stats *stats, FILE *report,
			 const char **error_r)
{
	static const struct gv_intel_import_limits defaults = { 0 };
	struct intel_import tmpl = {
		.st = st,
		.wl = wl,
		.limits = limits ? limits : &defaults,
		.stats = stats,
		.report = report,
		.now = (int64_t)time(NULL),
	};
	/* A MISP feed directory is a manifest plus one file per event; the
	 * walk imports every event file and skips the manifest itself. */
	return walk(st, path, 0, &tmpl, error_r);
}
