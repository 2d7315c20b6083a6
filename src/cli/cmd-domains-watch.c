/*
 * geneva domains watch: reports lookalikes of protected brands in feeds of
 * newly seen names (files, gzip, standard input, followed folders), keeps
 * them in the intelligence store and raises alerts when asked, and leaves
 * out a brand's own registrations shown by saved RDAP answers.
 * Exit status: 0 nothing found, 1 lookalikes found, 2 error.
 */
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/alert-glue.h"
#include "cli/cli.h"
#include "cli/intel-cli.h"
#include "cli/rdap-dir.h"
#include "cli/commands.h"
#include "domains/domains.h"
#include "util/util.h"

#define FILE_MAX (256u << 20)

static int fail(const char *input, const char *reason)
{
	return gv_cli_fail(input, reason);
}

static volatile int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* Loads config + brand file + allow-list into a new index. */
static int load_index(const struct gv_domains_config *cfg, const char *brands,
		      const char *allow_file, unsigned min_score,
		      struct gv_brand_index **idx_r)
{
	struct gv_domains_limits lim = { .max_line_len = cfg->max_line,
		.min_score = min_score != 0 ? min_score : cfg->min_score };
	const char *error, *path = brands != NULL ? brands : cfg->brands_file;
	if (path == NULL)
		return fail("domains", "no brand list (--brands FILE or domains.brands_file)");
	struct gv_brand_index *idx = gv_brand_index_new(&lim);
	const char *files[2] = { path, allow_file };
	for (int f = 0; f < 2; f++) {
		unsigned char *data;
		size_t len;
		bool trunc;
		if (files[f] == NULL)
			continue;
		if (gv_read_file(files[f], FILE_MAX, &data, &len, &trunc, &error) <= 0) {
			gv_brand_index_free(&idx);
			return fail(files[f], trunc ? "file too large" : error);
		}
		int rc = f == 0 ? gv_brand_index_load(idx, (char *)data, len, &error) : 1;
		for (size_t p = 0; f == 1 && p < len && rc > 0;) {
			const char *nl = memchr(data + p, '\n', len - p);
			size_t e = nl != NULL ? (size_t)(nl - (char *)data) : len;
			char *line = gv_strndup((char *)data + p, e - p);
			char *s = line + strspn(line, " \t");
			s[strcspn(s, " \t\r#")] = '\0';
			if (*s != '\0')
				rc = gv_brand_index_allow(idx, s, &error);
			gv_free(line);
			p = e + 1;
		}
		gv_free(data);
		if (rc < 0) {
			gv_brand_index_free(&idx);
			return fail(files[f], error);
		}
	}
	for (size_t i = 0; i < cfg->n_allow; i++)
		if (gv_brand_index_allow(idx, cfg->allow[i], &error) < 0) {
			gv_brand_index_free(&idx);
			return fail(cfg->allow[i], error);
		}
	if (gv_brand_index_count(idx) == 0) {
		gv_brand_index_free(&idx);
		return fail(path, "no brands in the list");
	}
	gv_brand_index_build(idx);
	*idx_r = idx;
	return 0;
}

/* ---- watch ---- */

/* Saved RDAP answers (--rdap-dir DIR, one DIR/<registrable>.json each): a
 * lookalike whose answer shows its brand registered it (the same
 * registrar, and the same organisation or an e-mail at the brand's domain,
 * against the brand's own answer) is counted as owned, not reported. */
struct rdap_dir {
	const char *dir;
	struct gv_pool *pool; /* the brands' answers (a name's: a pool per look) */
	struct rdap_brand {
		const char *brand; /* the index's string: compared by address */
		char registrable[GV_DOMAIN_MAX + 1];
		struct gv_rdap_registrant r;
		bool known, bad; /* bad: said once, not read again */
	} *brands;
	size_t n, cap;
	uint64_t owned, bad;
};

/* 1 the answer names an owner, 0 no answer or no owner in it, -1 bad file
 * (said on stderr; the name is reported as if there were no answer). */
static int rdap_read(struct rdap_dir *d, const char *registrable,
		     struct gv_pool *pool, struct gv_rdap_registrant *r)
{
	char path[4096 + GV_DOMAIN_MAX + 8];
	unsigned char *data;
	size_t len;
	const char *error;
	memset(r, 0, sizeof(*r));
	int rc = gv_cli_rdap_load(d->dir, registrable, path, sizeof(path), &data,
				  &len, &error);
	if (rc > 0) {
		rc = gv_rdap_registrant((char *)data, len, NULL, pool, r, &error);
		gv_free(data);
	}
	if (rc < 0) {
		d->bad++;
		fprintf(stderr, "geneva: %s: %s\n", path, error);
	}
	return rc;
}

/* The brand's own answer, read once it is there (with --follow it may
 * come later); a broken one is said once. */
static const struct rdap_brand *rdap_brand(struct rdap_dir *d, const char *brand)
{
	struct rdap_brand *b = NULL;
	for (size_t i = 0; i < d->n && b == NULL; i++)
		if (d->brands[i].brand == brand)
			b = &d->brands[i];
	if (b == NULL) {
		if (d->n == d->cap) {
			d->cap = d->cap == 0 ? 16 : d->cap * 2;
			d->brands = gv_realloc(d->brands,
				gv_mul_size(d->cap, sizeof(*d->brands)));
		}
		b = &d->brands[d->n++];
		memset(b, 0, sizeof(*b));
		b->brand = brand;
		const char *error;
		if (gv_domain_registrable(brand, strlen(brand), b->registrable,
					  sizeof(b->registrable), &error) != 1)
			b->registrable[0] = '\0';
	}
	if (!b->known && !b->bad) {
		int rc = rdap_read(d, b->registrable, d->pool, &b->r);
		b->known = rc == 1;
		b->bad = rc < 0;
	}
	return b->known ? b : NULL;
}

static bool rdap_owned(struct rdap_dir *d, const struct gv_brand_match *m)
{
	struct gv_rdap_registrant name;
	struct gv_pool *pool = gv_pool_new(4096); /* this look only */
	const struct rdap_brand *b;
	bool owned = rdap_read(d, m->registrable, pool, &name) > 0 &&
		     (b = rdap_brand(d, m->brand)) != NULL &&
		     gv_rdap_brand_owned(&name, &b->r, b->registrable);
	gv_pool_free(&pool);
	d->owned += owned;
	return owned;
}

struct watch_ctx {
	const struct gv_brand_index *idx;
	bool json;
	uint64_t names, bad, found, alert_errors;
	struct rdap_dir *rdap; /* NULL: no --rdap-dir */
	struct gv_alerts *alerts; /* NULL: no --alerts */
	struct gv_intel_recorder *rec; /* NULL: no intel store */
	const char *source; /* the feed being read */
};

/* Keeps the lookalike in the intelligence store (idempotent per (domain,
 * brand); the store keeps the best score and the first sighting). */
static void watch_record(struct watch_ctx *ctx, const char *name, size_t n,
			 const struct gv_brand_match *m)
{
	char dom[GV_DOMAIN_MAX + 1];
	snprintf(dom, sizeof(dom), "%.*s", (int)n, name);
	struct gv_intel_lookalike lk = {
		.domain = dom,
		.brand = m->brand,
		.technique = gv_domain_technique_name(m->technique),
		.score = m->score,
		.source = ctx->source,
	};
	const char *err = NULL;
	if (gv_intel_record_lookalike(ctx->rec, &lk, &err) < 0) {
		ctx->alert_errors++;
		fprintf(stderr, "geneva: intel: %s: %s\n", dom, err);
	}
}

/* One alert per registrable lookalike and UTC day: a feed read again the
 * same day alerts nothing new; the brand owner hears again the next day
 * the name is still seen. Severity follows the match score. */
static void watch_alert(struct watch_ctx *ctx, const char *name, size_t n,
			const struct gv_brand_match *m)
{
	char key[GV_DOMAIN_MAX + 64], title[600], dom[GV_DOMAIN_MAX + 1],
		score[8];
	snprintf(dom, sizeof(dom), "%.*s", (int)n, name);
	snprintf(key, sizeof(key), "domains:lookalike:%s", m->registrable);
	snprintf(title, sizeof(title), "Lookalike of %s seen: %s (%s)",
		 m->brand, dom, gv_domain_technique_name(m->technique));
	snprintf(score, sizeof(score), "%u", m->score);
	struct gv_alert al;
	gv_alert_init(&al, GV_ALERT_LOOKALIKE,
		      m->score >= 90 ? GV_SEV_HIGH :
		      m->score >= 70 ? GV_SEV_MEDIUM :
				       GV_SEV_LOW,
		      "domains");
	al.title = title;
	al.summary = "A newly seen domain imitates a protected brand. Consider "
		     "sinkholing it (geneva domains rpz) and a takedown "
		     "request (geneva domains report).";
	al.dedup_key = key;
	int64_t now = (int64_t)time(NULL);
	al.time = now - now % 86400;
	gv_alert_add(&al, "domain", dom);
	gv_alert_add(&al, "registrable", m->registrable);
	gv_alert_add(&al, "brand", m->brand);
	gv_alert_add(&al, "technique", gv_domain_technique_name(m->technique));
	gv_alert_add(&al, "score", score);
	const char *err = NULL;
	if (gv_alert_emit(ctx->alerts, &al, &err) < 0) {
		ctx->alert_errors++;
		fprintf(stderr, "geneva: alerts: %s\n", err);
	}
}

static int watch_line(void *vctx, const char *line, size_t len)
{
	struct watch_ctx *ctx = vctx;
	struct gv_brand_match m;
	while (len > 0 && (line[0] == ' ' || line[0] == '\t')) {
		line++;
		len--;
	}
	if (len == 0 || line[0] == '#')
		return 1;
	/* "domain,extra" or "domain extra": the first field is the name */
	size_t n = 0;
	while (n < len && line[n] != ',' && line[n] != ' ' && line[n] != '\t')
		n++;
	int rc = gv_brand_index_match(ctx->idx, line, n, &m);
	if (rc < 0) {
		ctx->bad++;
		return 1;
	}
	ctx->names++;
	if (rc == 0 || (ctx->rdap != NULL && rdap_owned(ctx->rdap, &m)))
		return 1;
	ctx->found++;
	if (ctx->rec)
		watch_record(ctx, line, n, &m);
	if (ctx->alerts)
		watch_alert(ctx, line, n, &m);
	char seen[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(seen, sizeof(seen), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (ctx->json) {
		json_t *j = json_pack("{s:s%, s:s, s:s, s:s, s:i, s:i, s:s}",
			"domain", line, n, "registrable", m.registrable,
			"brand", m.brand, "technique", gv_domain_technique_name(m.technique),
			"score", (int)m.score, "distance", (int)m.distance,
			"first_seen", seen);
		char *s = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		if (s != NULL)
			printf("%s\n", s);
		free(s);
		json_decref(j);
	} else {
		printf("%-40.*s %-24s %-20s %3u\n", (int)n, line, m.brand,
		       gv_domain_technique_name(m.technique), m.score);
	}
	return 1;
}

static void watch_usage(FILE *o)
{
	fprintf(o, "usage: geneva domains watch --brands FILE [--allow FILE] [--json]\n"
		   "         [--min-score N] [--follow [--idle-exit SECONDS]] [--alerts]\n"
		   "         [--rdap-dir DIR] [--db PATH | --store URI] [--config F] [FEED...]\n"
		   "FEED: a file (plain or gzip), '-' for standard input (default), or a\n"
		   "folder (every file; with --follow, also files added later).\n"
		   "--rdap-dir: saved RDAP answers, DIR/<registrable domain>.json; a\n"
		   "lookalike registered by its brand (same registrar, and the same\n"
		   "organisation or an e-mail at the brand's domain, as the brand's own\n"
		   "answer) is counted as owned, not reported.\n"
		   "--alerts: one alert per lookalike and day through the config's\n"
		   "alerts: sinks (docs/alerts.md).\n"
		   "--db/--store (or intel.store in the config): lookalikes and alerts\n"
		   "are kept in the intelligence store (docs/intel.md).\n");
}

int gv_cmd_domains_watch(int argc, char **argv, const char *config)
{
	static const struct option opts[] = {
		{ "brands", required_argument, NULL, 'b' }, { "allow", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' }, { "follow", no_argument, NULL, 'f' },
		{ "idle-exit", required_argument, NULL, 'i' },
		{ "min-score", required_argument, NULL, 's' }, { "help", no_argument, NULL, 'h' },
		{ "alerts", no_argument, NULL, 'A' }, { "db", required_argument, NULL, 'D' },
		{ "store", required_argument, NULL, 'S' },
		{ "rdap-dir", required_argument, NULL, 'R' }, { NULL, 0, NULL, 0 } };
	const char *brands = NULL, *allow = NULL, *rdap_dir = NULL, *error;
	bool json = false, follow = false, alerts = false;
	struct gv_cli_store_opts so = { .config = config };
	uint64_t idle = 0, min_score = 0;
	int c;
	while ((c = getopt_long(argc, argv, "b:a:jfi:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': brands = optarg; break;
		case 'a': allow = optarg; break;
		case 'j': json = true; break;
		case 'f': follow = true; break;
		case 'i':
			if (gv_parse_u64(optarg, 86400, &idle) < 0)
				return fail(optarg, "bad --idle-exit");
			break;
		case 's':
			if (gv_parse_u64(optarg, 100, &min_score) < 0 || min_score == 0)
				return fail(optarg, "bad --min-score (1-100)");
			break;
		case 'A': alerts = true; break;
		case 'D': so.db = optarg; break;
		case 'S': so.store = optarg; break;
		case 'R': rdap_dir = optarg; break;
		case 'h': watch_usage(stdout); return 0;
		default: watch_usage(stderr); return 2;
		}
	}
	struct gv_domains_config cfg;
	void *storage;
	if (gv_domains_config_load(config, &cfg, &storage, &error) < 0)
		return fail(config, error);
	struct gv_brand_index *idx;
	if (load_index(&cfg, brands, allow, (unsigned)min_score, &idx) != 0) {
		gv_domains_config_free(&storage);
		return 2;
	}
	struct watch_ctx ctx = { .idx = idx, .json = json, .source = "-" };
	struct rdap_dir rdap = { .dir = rdap_dir != NULL ? rdap_dir : cfg.rdap_dir };
	if (rdap.dir != NULL) {
		struct stat sb;
		if (stat(rdap.dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			gv_brand_index_free(&idx);
			gv_domains_config_free(&storage);
			return fail(rdap.dir, "--rdap-dir: not a folder");
		}
		rdap.pool = gv_pool_new(1 << 16);
		ctx.rdap = &rdap;
	}
	if (gv_cli_intel_recorder_start(&so, true, &ctx.rec) < 0 ||
	    (alerts && gv_cli_alerts_open(config, NULL, ctx.rec, &ctx.alerts) < 0)) {
		gv_cli_intel_recorder_stop(&ctx.rec);
		gv_pool_free(&rdap.pool);
		gv_brand_index_free(&idx);
		gv_domains_config_free(&storage);
		return 2;
	}
	struct gv_feed_stats st = { 0 };
	size_t max_line = cfg.max_line != 0 ? cfg.max_line : 4096;
	int rc = 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (int i = optind; i < argc && rc > 0; i++) {
		ctx.source = argv[i];
		rc = follow ? gv_domains_feed_follow(argv[i], (unsigned)idle, &stop_flag,
						     max_line, watch_line, &ctx, &st, &error)
			    : gv_domains_feed_path(argv[i], max_line, watch_line, &ctx, &st, &error);
		if (rc < 0)
			fail(argv[i], error);
	}
	if (optind == argc && (rc = gv_domains_feed_path("-", max_line, watch_line,
							 &ctx, &st, &error)) < 0)
		fail("-", error);
	fflush(stdout);
	fprintf(stderr, "geneva: domains watch: %llu names, %llu lookalikes, "
		"%llu bad lines skipped (%llu over %zu bytes)\n",
		(unsigned long long)ctx.names, (unsigned long long)ctx.found,
		(unsigned long long)(ctx.bad + st.too_long),
		(unsigned long long)st.too_long, max_line);
	if (ctx.rdap != NULL) {
		fprintf(stderr, "geneva: domains watch: %llu owned by their brand "
			"(RDAP), %llu unreadable RDAP answers\n",
			(unsigned long long)rdap.owned, (unsigned long long)rdap.bad);
		gv_pool_free(&rdap.pool);
		gv_free(rdap.brands);
	}
	gv_cli_alerts_close(&ctx.alerts);
	if (gv_cli_intel_recorder_stop(&ctx.rec) < 0)
		ctx.alert_errors++;
	gv_brand_index_free(&idx);
	gv_domains_config_free(&storage);
	return rc < 0 || ctx.alert_errors ? 2 : ctx.found > 0 ? 1 : 0;
}
