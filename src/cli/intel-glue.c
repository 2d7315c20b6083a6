/*
 * CLI side of the intel glue: which store a command uses (--db, --store,
 * the config's intel.store), where its journal lives, and the scan glue of
 * `geneva scan` on top of src/record (indicator hook, event recording).
 * See intel-cli.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/intel-cli.h"
#include "record/record.h"

struct gv_cli_intel_scan {
	struct gv_record *rec;
};

static char *resolve_uri(const struct gv_cli_store_opts *o,
			 struct gv_intel_config **cfg_r)
{
	const char *err;
	*cfg_r = NULL;
	if (gv_intel_config_load(gv_cli_config_path(o->config), cfg_r,
				 &err) < 0) {
		fprintf(stderr, "geneva: %s\n", err);
		return NULL;
	}
	if (o->db) {
		size_t n = strlen(o->db) + 8;
		char *u = gv_malloc(n);
		snprintf(u, n, "sqlite:%s", o->db);
		return u;
	}
	return gv_strdup(o->store ? o->store : (*cfg_r)->store);
}

int gv_cli_intel_store(const struct gv_cli_store_opts *o,
		       struct gv_intel_store **store_r)
{
	struct gv_intel_config *cfg;
	char *uri = resolve_uri(o, &cfg);
	if (uri == NULL)
		return -1;
	struct gv_intel_store_settings s = { .uri = uri,
					     .busy_timeout_ms =
						     cfg->busy_timeout_ms };
	const char *err;
	int rc = gv_intel_store_open(&s, store_r, &err);
	if (rc < 0)
		fprintf(stderr, "geneva: %s: %s\n", uri, err);
	gv_free(uri);
	gv_intel_config_free(&cfg);
	return rc;
}

int64_t gv_cli_parse_time(const char *s, bool end)
{
	uint64_t v;
	if (gv_parse_u64(s, INT64_MAX, &v) > 0)
		return (int64_t)v;
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	bool date_only = false;
	if (rest == NULL) {
		memset(&tm, 0, sizeof(tm));
		rest = strptime(s, "%Y-%m-%d", &tm);
		date_only = true;
	}
	if (rest == NULL || (*rest != '\0' && strcmp(rest, "Z") != 0))
		return -1;
	int64_t t = (int64_t)timegm(&tm);
	return date_only && end ? t + 86399 : t;
}

/* mkdir -p, mode 0700 for what it creates. */
static int mkdir_p(const char *dir)
{
	char p[4200];
	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(p, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

/* The journal: next to a --db file, else intel.journal_dir (created). */
static int journal_dir(const struct gv_cli_store_opts *o,
		       const struct gv_intel_config *cfg, char *out, size_t cap,
		       const char **error_r)
{
	if (o->db)
		snprintf(out, cap, "%s.journal", o->db);
	else
		snprintf(out, cap, "%s", cfg->journal_dir);
	if (mkdir_p(out) < 0) {
		static char ebuf[4400];
		snprintf(ebuf, sizeof(ebuf), "journal dir %.4200s: %s", out,
			 strerror(errno));
		*error_r = ebuf;
		return -1;
	}
	return 1;
}

/* A record (indicator index into engine when not NULL, and recorder). */
static int start_record(const struct gv_cli_store_opts *o,
			const struct gv_intel_config *cfg, const char *uri,
			struct gv_scan_engine *engine, struct gv_record **rec_r,
			const char **error_r)
{
	char jdir[4200];
	if (journal_dir(o, cfg, jdir, sizeof(jdir), error_r) < 0)
		return -1;
	struct gv_record_settings rs = {
		.store = { .uri = uri, .busy_timeout_ms = cfg->busy_timeout_ms },
		.journal_dir = jdir,
		.queue_size = cfg->queue_size,
		.batch_size = cfg->batch_size,
		.source = "cli",
	};
	return gv_record_start(&rs, engine, rec_r, error_r);
}

int gv_cli_intel_recorder_start(const struct gv_cli_store_opts *o,
				bool only_if_set,
				struct gv_intel_recorder **rec_r)
{
	*rec_r = NULL;
	struct gv_intel_config *cfg;
	char *uri = resolve_uri(o, &cfg);
	if (uri == NULL)
		return -1;
	char jdir[4200];
	const char *err = NULL;
	int rc = 0;
	if (!only_if_set || o->db || o->store || cfg->store_configured) {
		struct gv_intel_recorder_settings rs = {
			.store = { .uri = uri,
				   .busy_timeout_ms = cfg->busy_timeout_ms },
			.journal_dir = jdir,
			.queue_size = cfg->queue_size,
			.batch_size = cfg->batch_size,
		};
		rc = journal_dir(o, cfg, jdir, sizeof(jdir), &err);
		if (rc > 0)
			rc = gv_intel_recorder_start(&rs, rec_r, &err);
	}
	if (rc < 0)
		fprintf(stderr, "geneva: %s: %s\n", uri, err);
	gv_free(uri);
	gv_intel_config_free(&cfg);
	return rc < 0 ? -1 : 0;
}

int gv_cli_intel_recorder_stop(struct gv_intel_recorder **rec)
{
	if (*rec == NULL)
		return 0;
	struct gv_intel_recorder_stats st;
	const char *err;
	int rc = gv_intel_recorder_stop(rec, &st, &err);
	if (rc <= 0)
		fprintf(stderr, "geneva: %s\n", err);
	return rc > 0 ? 0 : -1;
}

int gv_cli_intel_scan_start(const struct gv_cli_store_opts *o,
			    struct gv_scan_engine *engine,
			    struct gv_cli_intel_scan **s_r)
{
	struct gv_intel_config *cfg;
	char *uri = resolve_uri(o, &cfg);
	if (uri == NULL)
		return -1;
	struct gv_record *rec;
	const char *err = NULL;
	int rc = start_record(o, cfg, uri, engine, &rec, &err);
	if (rc < 0) {
		fprintf(stderr, "geneva: %s: %s\n", uri, err);
	} else {
		*s_r = gv_calloc(1, sizeof(**s_r));
		(*s_r)->rec = rec;
	}
	gv_free(uri);
	gv_intel_config_free(&cfg);
	return rc < 0 ? -1 : 0;
}

struct gv_intel_recorder *gv_cli_intel_scan_recorder(struct gv_cli_intel_scan *s)
{
	return s ? gv_record_recorder(s->rec) : NULL;
}

void gv_cli_intel_scan_record(struct gv_cli_intel_scan *s,
			      const struct gv_scan_result *r,
			      const struct gv_scan_envelope *env)
{
	const char *err = NULL;
	if (gv_record_scan(s->rec, r, env, &err) < 0)
		fprintf(stderr, "geneva: intel: %s\n", err ? err : "not recorded");
}

int gv_cli_intel_scan_stop(struct gv_cli_intel_scan **sp)
{
	struct gv_cli_intel_scan *s = *sp;
	if (s == NULL)
		return 0;
	*sp = NULL;
	const char *err = NULL;
	int rc = gv_record_stop(&s->rec, NULL, &err);
	if (rc <= 0)
		fprintf(stderr, "geneva: %s\n", err ? err : "intel store");
	gv_free(s);
	return rc > 0 ? 0 : -1;
}
