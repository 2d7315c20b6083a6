/*
 * geneva domains: find lookalike domains of protected brands in feeds of
 * newly seen names (watch: cmd-domains-watch.c), list a domain's
 * permutations (permute), write an RPZ sinkhole zone (rpz) and draft
 * takedown reports (report).
 * Exit status: 0 nothing found / ok, 1 lookalikes found, 2 error.
 */
#include <getopt.h>
#include <jansson.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/rdap-dir.h"
#include "domains/domains.h"
#include "util/util.h"

extern char **environ;

#define FILE_MAX (256u << 20)

static int fail(const char *input, const char *reason)
{
	return gv_cli_fail(input, reason);
}

/* ---- permute ---- */

static int cmd_permute(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "techniques", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct gv_permute_opts po = { 0 };
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "jt:h", opts, NULL)) != -1) {
		if (c == 'j') {
			json = true;
		} else if (c == 't') {
			char *list = gv_strdup(optarg), *save = NULL;
			for (char *t = strtok_r(list, ",", &save); t != NULL;
			     t = strtok_r(NULL, ",", &save)) {
				enum gv_domain_technique tech = gv_domain_technique_parse(t);
				if (tech == GV_TECH_NONE) {
					gv_free(list);
					return fail(optarg, "unknown technique");
				}
				po.techniques |= 1u << tech;
			}
			gv_free(list);
		} else {
			fprintf(c == 'h' ? stdout : stderr,
				"usage: geneva domains permute [--json] [--techniques a,b] DOMAIN\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind + 1 != argc)
		return fail("permute", "exactly one DOMAIN expected");
	struct gv_pool *pool = gv_pool_new(1 << 16);
	struct gv_permutation *list;
	size_t n;
	const char *error;
	int rc = gv_domain_permute(argv[optind], strlen(argv[optind]), &po, NULL,
				   pool, &list, &n, &error);
	if (rc < 0) {
		gv_pool_free(&pool);
		return fail(argv[optind], error);
	}
	for (size_t i = 0; i < n; i++) {
		const char *t = gv_domain_technique_name(list[i].technique);
		if (json)
			printf("{\"domain\":\"%s\",\"technique\":\"%s\"}\n", list[i].domain, t);
		else
			printf("%-16s %s\n", t, list[i].domain);
	}
	if (rc == 0)
		fprintf(stderr, "geneva: %s: permutation limit reached, list truncated\n",
			argv[optind]);
	gv_pool_free(&pool);
	return 0;
}

/* ---- rpz ---- */

struct name_list {
	char **v;
	size_t n, cap;
};

static void list_add(struct name_list *l, const char *name, size_t len)
{
	struct gv_domain_name dn;
	const char *error;
	if (gv_domain_normalize(name, len, NULL, &dn, &error) < 0)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 256 : l->cap * 2;
		l->v = gv_realloc(l->v, gv_mul_size(l->cap, sizeof(char *)));
	}
	l->v[l->n++] = gv_strdup(dn.ascii);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A plain name per line, or a JSON Lines record with "domain". */
static int collect_line(void *vctx, const char *line, size_t len)
{
	struct name_list *l = vctx;
	if (len > 0 && line[0] == '{') {
		json_t *j = json_loadb(line, len, 0, NULL);
		const char *d = json_string_value(json_object_get(j, "domain"));
		if (d != NULL)
			list_add(l, d, strlen(d));
		json_decref(j);
		return 1;
	}
	size_t n = 0;
	while (n < len && line[n] != ',' && line[n] != ' ' && line[n] != '\t')
		n++;
	if (n > 0 && line[0] != '#' && line[0] != ';')
		list_add(l, line, n);
	return 1;
}

/* Existing triggers of our zone (wildcards are written again anyway). */
static void read_zone(const char *zone, size_t len, struct name_list *l)
{
	for (size_t p = 0; p < len;) {
		const char *nl = memchr(zone + p, '\n', len - p);
		size_t e = nl != NULL ? (size_t)(nl - zone) : len;
		const char *s = zone + p;
		size_t n = 0;
		while (n < e - p && s[n] != ' ' && s[n] != '\t')
			n++;
		if (n > 0 && s[0] != ';' && s[0] != '$' && s[0] != '@' && s[0] != '*')
			list_add(l, s, n);
		p = e + 1;
	}
}

static int run_reload(const struct gv_domains_config *cfg, const char *origin)
{
	char *args[6];
	int a = 0;
	args[a++] = (char *)cfg->unbound_control;
	if (cfg->unbound_control_config != NULL) {
		args[a++] = (char *)"-c";
		args[a++] = (char *)cfg->unbound_control_config;
	}
	args[a++] = (char *)"auth_zone_reload";
	args[a++] = (char *)origin;
	args[a] = NULL;
	pid_t pid;
	int st, rc;
	/* its "ok" goes to our stderr: stdout carries results only */
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
	rc = posix_spawnp(&pid, args[0], &fa, NULL, args, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return fail(args[0], "cannot run");
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return fail(args[0], "auth_zone_reload failed");
	return 0;
}

static int rpz_options(int argc, char **argv, struct gv_domains_config *cfg,
		       bool *replace, bool *reload)
{
	static const struct option opts[] = {
		{ "zone", required_argument, NULL, 'z' }, { "origin", required_argument, NULL, 'o' },
		{ "action", required_argument, NULL, 'x' }, { "sinkhole", required_argument, NULL, 'k' },
		{ "a", required_argument, NULL, '4' }, { "aaaa", required_argument, NULL, '6' },
		{ "no-wildcard", no_argument, NULL, 'W' }, { "replace", no_argument, NULL, 'R' },
		{ "reload", no_argument, NULL, 'r' },
		{ "control-config", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	int c;
	while ((c = getopt_long(argc, argv, "z:o:x:k:WRrC:h", opts, NULL)) != -1) {
		switch (c) {
		case 'z': cfg->rpz_zone_file = optarg; break;
		case 'o': cfg->rpz.origin = optarg; break;
		case 'k': cfg->rpz.sinkhole_host = optarg; cfg->rpz.action = GV_RPZ_CNAME; break;
		case '4': cfg->rpz.a = optarg; cfg->rpz.action = GV_RPZ_ADDRESS; break;
		case '6': cfg->rpz.aaaa = optarg; cfg->rpz.action = GV_RPZ_ADDRESS; break;
		case 'W': cfg->rpz.wildcard = false; break;
		case 'R': *replace = true; break;
		case 'r': *reload = true; break;
		case 'C': cfg->unbound_control_config = optarg; break;
		case 'x':
			if (strcmp(optarg, "cname") == 0)
				cfg->rpz.action = GV_RPZ_CNAME;
			else if (strcmp(optarg, "address") == 0)
				cfg->rpz.action = GV_RPZ_ADDRESS;
			else if (strcmp(optarg, "nxdomain") == 0)
				cfg->rpz.action = GV_RPZ_NXDOMAIN;
			else
				return fail(optarg, "--action must be cname, address or nxdomain");
			break;
		default:
			fprintf(c == 'h' ? stdout : stderr,
				"usage: geneva domains rpz --zone FILE [--origin rpz.local]\n"
				"  [--sinkhole HOST | --a IP [--aaaa IP] | --action nxdomain]\n"
				"  [--no-wildcard] [--replace] [--reload [--control-config F]] [INPUT...]\n"
				"INPUT: names, one per line, or `domains watch --json` output.\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (cfg->rpz_zone_file == NULL)
		return fail("rpz", "no zone file (--zone or domains.rpz.zone_file)");
	return -1;
}

static int cmd_rpz(int argc, char **argv, const char *config)
{
	struct gv_domains_config cfg;
	void *storage;
	const char *error;
	bool replace = false, reload = false;
	if (gv_domains_config_load(config, &cfg, &storage, &error) < 0)
		return fail(config, error);
	int rc = rpz_options(argc, argv, &cfg, &replace, &reload);
	if (rc >= 0) {
		gv_domains_config_free(&storage);
		return rc;
	}
	struct name_list l = { 0 };
	uint32_t serial = 0;
	unsigned char *zone = NULL;
	size_t zlen;
	bool trunc;
	if (gv_read_file(cfg.rpz_zone_file, FILE_MAX, &zone, &zlen, &trunc, &error) > 0) {
		gv_rpz_parse_serial((char *)zone, zlen, &serial);
		if (!replace)
			read_zone((char *)zone, zlen, &l);
		gv_free(zone);
	}
	struct gv_feed_stats st = { 0 };
	rc = 0;
	for (int i = optind; i < argc && rc == 0; i++)
		if (gv_domains_feed_path(argv[i], 4096, collect_line, &l, &st, &error) < 0)
			rc = fail(argv[i], error);
	/* one trigger name per domain (a zone has A and AAAA lines) */
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(char *), cmp_names);
	size_t uniq = 0;
	for (size_t i = 0; i < l.n; i++) {
		if (uniq > 0 && strcmp(l.v[i], l.v[uniq - 1]) == 0)
			gv_free(l.v[i]);
		else
			l.v[uniq++] = l.v[i];
	}
	l.n = uniq;
	struct gv_buf out;
	gv_buf_init(&out, FILE_MAX);
	serial = gv_rpz_next_serial(serial, time(NULL));
	if (rc == 0 && gv_rpz_write(&cfg.rpz, (const char *const *)l.v, l.n, serial,
				    &out, &error) < 0)
		rc = fail(cfg.rpz_zone_file, error);
	if (rc == 0 && gv_write_file_atomic(cfg.rpz_zone_file, out.data, out.len,
					    0644, &error) < 0)
		rc = fail(cfg.rpz_zone_file, error);
	if (rc == 0)
		fprintf(stderr, "geneva: %s: %zu trigger name(s), serial %u\n",
			cfg.rpz_zone_file, l.n, serial);
	if (rc == 0 && reload)
		rc = run_reload(&cfg, cfg.rpz.origin);
	for (size_t i = 0; i < l.n; i++)
		gv_free(l.v[i]);
	gv_free(l.v);
	gv_buf_free(&out);
	gv_domains_config_free(&storage);
	return rc;
}

/* ---- report ---- */

struct report_ctx {
	struct gv_abuse_opts opts;
	struct gv_abuse_contact to; /* --rdap, --abuse-contact or the config */
	const char *rdap_dir;	    /* per-domain answers first, if given */
	const char *out_dir;
	unsigned written;
	int rc;
};

/* The registrar's abuse contact for one lookalike: its own saved answer in
 * --rdap-dir, else the contact for all. 1 found, -1 none (said). */
static int domain_contact(struct report_ctx *r, const struct gv_domain_name *dn,
			  struct gv_pool *pool, struct gv_abuse_contact *to_r)
{
	char path[4096 + GV_DOMAIN_MAX + 8];
	unsigned char *data;
	size_t len;
	const char *error;
	*to_r = r->to;
	if (r->rdap_dir == NULL)
		return 1; /* report_contact() made sure of r->to */
	int rc = gv_cli_rdap_load(r->rdap_dir, dn->ascii + dn->registrable_off,
				  path, sizeof(path), &data, &len, &error);
	if (rc > 0) {
		struct gv_abuse_contact c;
		rc = gv_abuse_contact_from_rdap((char *)data, len, NULL, pool, &c, &error);
		gv_free(data);
		if (rc > 0) {
			*to_r = c;
			return 1;
		}
		if (rc == 0 && to_r->email == NULL) {
			fail(path, "no abuse e-mail address in the RDAP answer");
			return -1;
		}
	}
	if (rc < 0) {
		fail(path, error);
		return -1;
	}
	if (to_r->email == NULL) {
		fail(dn->ascii, "no abuse contact (no answer in --rdap-dir, --rdap, "
				"--abuse-contact or domains.report.abuse_contact)");
		return -1;
	}
	return 1;
}

static void report_one(struct report_ctx *r, const struct gv_abuse_evidence *in)
{
	struct gv_buf out;
	struct gv_domain_name dn;
	struct gv_abuse_contact to;
	const char *error;
	/* the A-label form: headers and file names stay ASCII */
	if (gv_domain_normalize(in->domain, strlen(in->domain), NULL, &dn, &error) < 0) {
		r->rc = fail(in->domain, error);
		return;
	}
	struct gv_pool *pool = gv_pool_new(4096);
	if (domain_contact(r, &dn, pool, &to) < 0) {
		r->rc = 2;
		gv_pool_free(&pool);
		return;
	}
	struct gv_abuse_evidence e = *in, *ev = &e;
	e.domain = dn.ascii;
	gv_buf_init(&out, 1 << 20);
	if (gv_abuse_report_write(&r->opts, &to, ev, &out, &error) < 0) {
		r->rc = fail(ev->domain, error);
	} else if (r->out_dir != NULL) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s.eml", r->out_dir, ev->domain);
		if (gv_write_file_atomic(path, out.data, out.len, 0644, &error) < 0)
			r->rc = fail(path, error);
		else
			r->written++;
	} else {
		fwrite(out.data, 1, out.len, stdout);
		r->written++;
	}
	gv_buf_free(&out);
	gv_pool_free(&pool);
}

/* One `domains watch --json` record per line. */
static int report_line(void *vctx, const char *line, size_t len)
{
	struct report_ctx *r = vctx;
	json_t *j = json_loadb(line, len, 0, NULL);
	const char *d = json_string_value(json_object_get(j, "domain"));
	const char *b = json_string_value(json_object_get(j, "brand"));
	const char *t = json_string_value(json_object_get(j, "technique"));
	json_int_t score = json_integer_value(json_object_get(j, "score"));
	const char *seen = json_string_value(json_object_get(j, "first_seen"));
	struct tm tm = { 0 };
	if (d != NULL && b != NULL) {
		struct gv_abuse_evidence ev = { .domain = d, .brand = b,
			.technique = t != NULL ? gv_domain_technique_parse(t) : GV_TECH_NONE,
			.score = score > 0 && score <= 100 ? (unsigned)score : 0,
			.first_seen = seen != NULL && strptime(seen, "%Y-%m-%dT%H:%M:%SZ", &tm) != NULL
					      ? timegm(&tm) : time(NULL) };
		report_one(r, &ev);
	}
	json_decref(j);
	return 1;
}

static int report_contact(struct report_ctx *r, const char *rdap, const char *contact,
			  struct gv_pool *pool)
{
	const char *error;
	if (rdap != NULL) {
		unsigned char *data;
		size_t len;
		bool trunc;
		if (gv_read_file(rdap, 4u << 20, &data, &len, &trunc, &error) <= 0)
			return fail(rdap, trunc ? "file too large" : error);
		int rc = gv_abuse_contact_from_rdap((char *)data, len, NULL, pool, &r->to, &error);
		gv_free(data);
		if (rc < 0)
			return fail(rdap, error);
		if (rc == 0 && contact == NULL)
			return fail(rdap, "no abuse e-mail address in the RDAP answer");
	}
	if (r->to.email == NULL)
		r->to.email = contact;
	if (r->to.email == NULL && r->rdap_dir == NULL)
		return fail("report", "no abuse contact (--rdap-dir, --rdap, --abuse-contact "
				      "or domains.report.abuse_contact)");
	return 0;
}

static int cmd_report(int argc, char **argv, const char *config)
{
	static const struct option opts[] = {
		{ "rdap", required_argument, NULL, 'r' }, { "abuse-contact", required_argument, NULL, 'c' },
		{ "from", required_argument, NULL, 'f' }, { "org", required_argument, NULL, 'o' },
		{ "out-dir", required_argument, NULL, 'O' }, { "domain", required_argument, NULL, 'd' },
		{ "brand", required_argument, NULL, 'b' }, { "technique", required_argument, NULL, 't' },
		{ "score", required_argument, NULL, 's' }, { "first-seen", required_argument, NULL, 'S' },
		{ "rdap-dir", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct gv_domains_config cfg;
	void *storage;
	const char *error, *rdap = NULL, *contact = NULL;
	if (gv_domains_config_load(config, &cfg, &storage, &error) < 0)
		return fail(config, error);
	struct report_ctx r = { .opts = { .from = cfg.report_from, .reporter_org = cfg.report_org },
				.rdap_dir = cfg.rdap_dir };
	struct gv_abuse_evidence ev = { .first_seen = time(NULL), .score = 0 };
	uint64_t v;
	int c, rc = 0;
	contact = cfg.abuse_contact;
	while (rc == 0 && (c = getopt_long(argc, argv, "r:c:f:o:O:d:b:t:s:S:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': rdap = optarg; break;
		case 'R': r.rdap_dir = optarg; break;
		case 'c': contact = optarg; break;
		case 'f': r.opts.from = optarg; break;
		case 'o': r.opts.reporter_org = optarg; break;
		case 'O': r.out_dir = optarg; break;
		case 'd': ev.domain = optarg; break;
		case 'b': ev.brand = optarg; break;
		case 't': ev.technique = gv_domain_technique_parse(optarg); break;
		case 's':
			rc = gv_parse_u64(optarg, 100, &v) < 0 ? fail(optarg, "bad --score") : 0;
			ev.score = (unsigned)v;
			break;
		case 'S':
			rc = gv_parse_u64(optarg, INT64_MAX, &v) < 0
				     ? fail(optarg, "bad --first-seen (seconds since 1970)") : 0;
			ev.first_seen = (time_t)v;
			break;
		default:
			fprintf(c == 'h' ? stdout : stderr,
				"usage: geneva domains report [--rdap-dir DIR] [--rdap FILE | --abuse-contact ADDR]\n"
				"  [--from ADDR] [--org NAME] [--out-dir DIR]\n"
				"  (--domain D --brand B [--technique T] [--score N] [--first-seen T] | INPUT...)\n"
				"INPUT: `geneva domains watch --json` output.\n"
				"--rdap-dir: each lookalike's registrar from its saved answer\n"
				"(DIR/<registrable domain>.json; domains.rdap_dir); the others\n"
				"go to --rdap's or --abuse-contact's address.\n");
			rc = c == 'h' ? 0 : 2;
			gv_domains_config_free(&storage);
			return rc;
		}
	}
	struct gv_pool *pool = gv_pool_new(4096);
	if (rc == 0 && r.opts.from == NULL)
		rc = fail("report", "no reporter address (--from or domains.report.from)");
	if (rc == 0)
		rc = report_contact(&r, rdap, contact, pool);
	if (rc == 0 && ev.domain != NULL) {
		if (ev.brand == NULL)
			rc = fail(ev.domain, "--brand is needed with --domain");
		else
			report_one(&r, &ev);
	}
	struct gv_feed_stats st = { 0 };
	for (int i = optind; rc == 0 && i < argc; i++)
		if (gv_domains_feed_path(argv[i], 1 << 16, report_line, &r, &st, &error) < 0)
			rc = fail(argv[i], error);
	if (rc == 0 && r.rc != 0)
		rc = r.rc;
	if (rc == 0 && r.out_dir != NULL)
		fprintf(stderr, "geneva: %u report(s) written to %s\n", r.written, r.out_dir);
	gv_pool_free(&pool);
	gv_domains_config_free(&storage);
	return rc;
}

/* ---- dispatch ---- */

int gv_cmd_domains(int argc, char **argv)
{
	const char *config = NULL;
	int i = 1;
	if (i + 1 < argc && strcmp(argv[i], "--config") == 0) {
		config = argv[i + 1];
		i += 2;
	}
	config = gv_cli_config_path(config);
	if (i >= argc || strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
		fprintf(i >= argc ? stderr : stdout,
			"usage: geneva domains [--config FILE] <watch|permute|rpz|report> ...\n"
			"  watch    report lookalikes of protected brands in feeds of names\n"
			"  permute  print the lookalike permutations of a domain\n"
			"  rpz      write a DNS RPZ zone sinkholing lookalikes\n"
			"  report   draft X-ARF abuse reports to registrars\n");
		return i >= argc ? 2 : 0;
	}
	const char *sub = argv[i];
	argc -= i;
	argv += i;
	optind = 1;
	if (strcmp(sub, "watch") == 0)
		return gv_cmd_domains_watch(argc, argv, config);
	if (strcmp(sub, "permute") == 0)
		return cmd_permute(argc, argv);
	if (strcmp(sub, "rpz") == 0)
		return cmd_rpz(argc, argv, config);
	if (strcmp(sub, "report") == 0)
		return cmd_report(argc, argv, config);
	return fail(sub, "unknown domains command");
}
