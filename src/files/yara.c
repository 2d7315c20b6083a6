/*
 * yara.c — compiles the bundled and user YARA rules once per engine and runs
 * them over every item. Rules may carry `meta: score = N` (default 80) and
 * see two external variables: `filename` (the item's own name) and
 * `filetype` (its libmagic MIME type).
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <yara.h>

#include "files/files-private.h"

#ifndef GV_FILES_RULES_DIR
#define GV_FILES_RULES_DIR "/usr/local/share/geneva/rules/yara"
#endif

#define GVF_YARA_DEFAULT_SCORE 80
/* Rule files larger than this are refused (a config mistake, not rules). */
#define GVF_YARA_MAX_RULE_FILE ((size_t)16 * 1024 * 1024)

struct compile_state {
	char error[512];
	int errors;
};

static void compiler_cb(int level, const char *file, int line,
			const YR_RULE *rule, const char *message, void *user)
{
	struct compile_state *st = user;

	(void)rule;
	if (level != YARA_ERROR_LEVEL_ERROR)
		return;
	if (st->errors++ == 0)
		snprintf(st->error, sizeof(st->error), "yara: %s:%d: %s",
			 file != NULL ? file : "?", line, message);
}

static bool is_rule_file(const char *name)
{
	size_t n = strlen(name);

	return (n > 4 && strcmp(name + n - 4, ".yar") == 0) ||
	       (n > 5 && strcmp(name + n - 5, ".yara") == 0);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds every rule file of dir, in name order (stable rule ids). */
static int add_dir(YR_COMPILER *comp, struct compile_state *st,
		   const char *dir, const char **error_r)
{
	static char err[600];
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int ret = 1;

	if (d == NULL) {
		snprintf(err, sizeof(err), "yara: %s: cannot open rule folder", dir);
		*error_r = err;
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!is_rule_file(de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			names = gv_realloc(names, gv_mul_size(cap, sizeof(*names)));
		}
		names[n++] = gv_strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n && ret > 0; i++) {
		char *path = NULL;
		unsigned char *text = NULL;
		size_t len;
		bool trunc;
		const char *ferr;

		if (asprintf(&path, "%s/%s", dir, names[i]) < 0)
			gv_fatal("out of memory");
		if (gv_read_file(path, GVF_YARA_MAX_RULE_FILE, &text, &len,
				 &trunc, &ferr) <= 0) {
			snprintf(err, sizeof(err), "yara: %s: %s", path,
				 trunc ? "rule file too large" : ferr);
			*error_r = err;
			ret = -1;
		} else {
			char *s = gv_strndup((const char *)text, len);

			/* The file name in errors comes from the include
			 * name; push it so messages name the file. */
			yr_compiler_add_string(comp, s, NULL);
			gv_free(s);
			if (st->errors > 0) {
				snprintf(err, sizeof(err), "%s (in %s)",
					 st->error, path);
				*error_r = err;
				ret = -1;
			}
		}
		gv_free(text);
		free(path);
	}
	for (size_t i = 0; i < n; i++)
		gv_free(names[i]);
	gv_free(names);
	return ret;
}

static const char *bundled_dir(const struct gv_files_config *cfg)
{
	struct stat st;

	if (cfg->rules_dir != NULL)
		return cfg->rules_dir;
	if (stat(GV_FILES_RULES_DIR, &st) == 0 && S_ISDIR(st.st_mode))
		return GV_FILES_RULES_DIR;
#ifdef GV_FILES_SOURCE_RULES_DIR
	/* Running from the build tree, not installed. */
	return GV_FILES_SOURCE_RULES_DIR;
#else
	return GV_FILES_RULES_DIR;
#endif
}

int gvf_yara_compile(struct gv_files_engine *e,
		     const struct gv_files_config *cfg, const char **error_r)
{
	struct compile_state st = { .errors = 0 };
	YR_COMPILER *comp = NULL;
	YR_RULE *rule;
	int ret = -1;

	if (yr_initialize() != ERROR_SUCCESS) {
		*error_r = "yara: cannot initialize";
		return -1;
	}
	if (yr_compiler_create(&comp) != ERROR_SUCCESS) {
		*error_r = "yara: cannot create a compiler";
		yr_finalize();
		return -1;
	}
	yr_compiler_set_callback(comp, compiler_cb, &st);
	yr_compiler_define_string_variable(comp, "filename", "");
	yr_compiler_define_string_variable(comp, "filetype", "");
	if (add_dir(comp, &st, bundled_dir(cfg), error_r) < 0)
		goto out;
	for (size_t i = 0; i < cfg->user_rule_dirs_count; i++)
		if (add_dir(comp, &st, cfg->user_rule_dirs[i], error_r) < 0)
			goto out;
	if (yr_compiler_get_rules(comp, &e->rules) != ERROR_SUCCESS) {
		*error_r = "yara: cannot build the compiled rules";
		goto out;
	}
	e->rule_count = 0;
	yr_rules_foreach(e->rules, rule)
		e->rule_count++;
	if (yr_scanner_create(e->rules, (YR_SCANNER **)&e->yara_scanner) !=
	    ERROR_SUCCESS) {
		*error_r = "yara: cannot create a scanner";
		yr_rules_destroy(e->rules);
		e->rules = NULL;
		goto out;
	}
	ret = 1;
out:
	yr_compiler_destroy(comp);
	if (ret < 0)
		yr_finalize();
	return ret;
}

void gvf_yara_free(struct gv_files_engine *e)
{
	if (e->rules == NULL)
		return;
	if (e->yara_scanner != NULL)
		yr_scanner_destroy(e->yara_scanner);
	e->yara_scanner = NULL;
	yr_rules_destroy(e->rules);
	e->rules = NULL;
	yr_finalize();
}

struct scan_state {
	struct gvf_walk *w;
	const struct gvf_item *it;
};

static int scan_cb(YR_SCAN_CONTEXT *ctx, int message, void *data, void *user)
{
	struct scan_state *ss = user;
	const YR_RULE *rule = data;
	const YR_META *meta;
	int score = GVF_YARA_DEFAULT_SCORE;
	const char *desc = NULL;

	(void)ctx;
	if (message != CALLBACK_MSG_RULE_MATCHING)
		return CALLBACK_CONTINUE;
	yr_rule_metas_foreach(rule, meta) {
		if (strcmp(meta->identifier, "score") == 0 &&
		    meta->type == META_TYPE_INTEGER)
			score = (int)meta->integer;
		else if (strcmp(meta->identifier, "description") == 0 &&
			 meta->type == META_TYPE_STRING)
			desc = meta->string;
	}
	gvf_finding(ss->w, ss->it->path,
		    gv_psprintf(ss->w->pool, "yara.%s", rule->identifier),
		    score, desc);
	return CALLBACK_CONTINUE;
}

void gvf_yara_scan(struct gvf_walk *w, const struct gvf_item *it)
{
	YR_SCANNER *sc = w->engine->yara_scanner;
	struct scan_state ss = { w, it };
	uint64_t now = gv_now_ms();
	int timeout_s, r;

	if (w->engine->rules == NULL || w->engine->rule_count == 0)
		return;
	timeout_s = now >= w->deadline_ms ? 1 :
		    (int)((w->deadline_ms - now + 999) / 1000);
	yr_scanner_set_timeout(sc, timeout_s);
	yr_scanner_set_callback(sc, scan_cb, &ss);
	yr_scanner_set_flags(sc, SCAN_FLAGS_FAST_MODE);
	yr_scanner_define_string_variable(sc, "filename", it->name);
	yr_scanner_define_string_variable(sc, "filetype", it->true_type);
	r = yr_scanner_scan_mem(sc, it->data, it->len);
	if (r == ERROR_SCAN_TIMEOUT)
		gvf_limit(w, it->path, GVF_LIMIT_TIME, "yara scan timed out");
	else if (r != ERROR_SUCCESS)
		gvf_findingf(w, it->path, "file.error", 60,
			     "YARA scan failed (error %d): not fully inspected", r);
}
