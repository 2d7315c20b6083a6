/*
 * geneva intel import|export|verify|keygen|stats|lookup — feeds in,
 * evidence out. Store options (--db PATH, --store URI, --config FILE) as in
 * intel-cli.h; errors are one line naming the input, exit status 2.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/intel-cli.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: geneva intel COMMAND [options]\n\n"
		"  import [--warninglist PATH]... [--quiet] FILE|DIR...\n"
		"      STIX 2.1/2.0 bundles, MISP events and feeds, CSV, lists\n"
		"  export [--campaign NAME] [--since T] [--until T] -o FILE\n"
		"         [--key SECRET]   STIX 2.1 bundle (+ FILE.sig)\n"
		"  verify FILE SIG --pubkey PUBLIC\n"
		"  keygen -o PREFIX        writes PREFIX.sec and PREFIX.pub\n"
		"  stats [--json]          store counts\n"
		"  lookup KIND VALUE       ask the indicator index (url, domain,\n"
		"                          ip, email, hash)\n\n"
		"store options: --db PATH (SQLite file), --store URI\n"
		"(sqlite:PATH, postgres:CONNINFO), --config FILE.\n"
		"T: YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or unix seconds.\n"
		"exit status: 0 ok (verify: valid), 1 verify: invalid /\n"
		"lookup: hit, 2 error\n");
}

struct args {
	struct gv_cli_store_opts store;
	const char *out, *key, *pubkey, *campaign;
	const char *since, *until;
	const char *wl[16];
	size_t n_wl;
	bool json, quiet;
};

static int parse(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "store", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "warninglist", required_argument, NULL, 'w' },
		{ "output", required_argument, NULL, 'o' },
		{ "key", required_argument, NULL, 'k' },
		{ "pubkey", required_argument, NULL, 'p' },
		{ "campaign", required_argument, NULL, 'C' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:s:c:w:o:k:p:jqh", opts,
				NULL)) != -1) {
		switch (c) {
		case 'd': a->store.db = optarg; break;
		case 's': a->store.store = optarg; break;
		case 'c': a->store.config = optarg; break;
		case 'w':
			if (a->n_wl < GV_ARRAY_LEN(a->wl))
				a->wl[a->n_wl++] = optarg;
			break;
		case 'o': a->out = optarg; break;
		case 'k': a->key = optarg; break;
		case 'p': a->pubkey = optarg; break;
		case 'C': a->campaign = optarg; break;
		case 'S': a->since = optarg; break;
		case 'U': a->until = optarg; break;
		case 'j': a->json = true; break;
		case 'q': a->quiet = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return -1;
		}
	}
	return 1;
}

static int cmd_import(struct args *a, int argc, char **argv)
{
	if (optind >= argc) {
		fprintf(stderr, "geneva intel import: no input\n");
		return 2;
	}
	struct gv_intel_warninglist *wl = NULL;
	struct gv_intel_config *cfg = NULL;
	const char *err;
	/* --warninglist wins; else the config's intel.warninglists. */
	if (a->n_wl == 0 &&
	    gv_intel_config_load(gv_cli_config_path(a->store.config), &cfg,
				 &err) < 0) {
		fprintf(stderr, "geneva: %s\n", err);
		return 2;
	}
	const char *const *wls = a->n_wl ? a->wl :
					   (const char *const *)cfg->warninglists;
	size_t n_wls = a->n_wl ? a->n_wl : cfg->n_warninglists;
	if (n_wls > 0 &&
	    (wl = gv_intel_warninglist_load(wls, n_wls, &err)) == NULL) {
		fprintf(stderr, "geneva: %s\n", err);
		gv_intel_config_free(&cfg);
		return 2;
	}
	gv_intel_config_free(&cfg);
	struct gv_intel_store *st;
	if (gv_cli_intel_store(&a->store, &st) < 0) {
		gv_intel_warninglist_free(&wl);
		return 2;
	}
	struct gv_intel_import_stats s = { 0 };
	int status = 0;
	for (int i = optind; i < argc; i++)
		if (gv_intel_import_path(st, argv[i], wl, NULL, &s,
					 a->quiet ? NULL : stderr, &err) < 0) {
			fprintf(stderr, "geneva: %s\n", err);
			status = 2;
		}
	printf("files %llu (skipped %llu, refused %llu), objects %llu, "
	       "indicators new %llu / already known %llu, entities %llu, "
	       "relations %llu, suppressed by warninglists %llu, "
	       "unsupported %llu, invalid %llu\n",
	       (unsigned long long)s.files, (unsigned long long)s.files_skipped,
	       (unsigned long long)s.files_refused,
	       (unsigned long long)s.objects,
	       (unsigned long long)s.indicators_new,
	       (unsigned long long)s.indicators_seen,
	       (unsigned long long)s.entities, (unsigned long long)s.relations,
	       (unsigned long long)s.suppressed,
	       (unsigned long long)s.unsupported, (unsigned long long)s.invalid);
	gv_intel_store_close(&st);
	gv_intel_warninglist_free(&wl);
	return status;
}

static int cmd_export(struct args *a)
{
	struct gv_intel_export_filter f = { .campaign = a->campaign };
	if (a->out == NULL) {
		fprintf(stderr, "geneva intel export: -o FILE is required\n");
		return 2;
	}
	if ((a->since && (f.since = gv_cli_parse_time(a->since, false)) < 0) ||
	    (a->until && (f.until = gv_cli_parse_time(a->until, true)) < 0)) {
		fprintf(stderr, "geneva intel export: bad --since/--until\n");
		return 2;
	}
	struct gv_intel_store *st;
	if (gv_cli_intel_store(&a->store, &st) < 0)
		return 2;
	char *json = NULL, *sig = NULL;
	size_t len, n;
	const char *err;
	int rc = gv_intel_export_stix(st, &f, &json, &len, &n, &err);
	gv_intel_store_close(&st);
	if (rc > 0)
		rc = gv_write_file_atomic(a->out, json, len, 0644, &err);
	if (rc > 0 && a->key != NULL) {
		char sigpath[4200];
		snprintf(sigpath, sizeof(sigpath), "%s.sig", a->out);
		rc = gv_intel_sign((const unsigned char *)json, len, a->key,
				   &sig, &err);
		if (rc > 0) {
			size_t sl = strlen(sig);
			sig[sl] = '\0';
			char line[200];
			snprintf(line, sizeof(line), "%s\n", sig);
			rc = gv_write_file_atomic(sigpath, line, strlen(line),
						  0644, &err);
		}
	}
	gv_free(json);
	gv_free(sig);
	if (rc < 0) {
		fprintf(stderr, "geneva: %s: %s\n", a->out, err);
		return 2;
	}
	printf("%s: %zu STIX objects%s\n", a->out, n,
	       a->key ? ", signed" : "");
	return 0;
}

static int cmd_verify(struct args *a, int argc, char **argv)
{
	if (optind + 2 != argc || a->pubkey == NULL) {
		fprintf(stderr, "usage: geneva intel verify FILE SIG "
				"--pubkey PUBLIC\n");
		return 2;
	}
	unsigned char *data, *sig;
	size_t len, slen;
	bool trunc;
	const char *err;
	if (gv_read_file(argv[optind], (size_t)1 << 30, &data, &len, &trunc,
			 &err) < 0) {
		fprintf(stderr, "geneva: %s: %s\n", argv[optind], err);
		return 2;
	}
	if (gv_read_file(argv[optind + 1], 4096, &sig, &slen, &trunc, &err) <
	    0) {
		fprintf(stderr, "geneva: %s: %s\n", argv[optind + 1], err);
		gv_free(data);
		return 2;
	}
	int rc = gv_intel_verify(data, len, (const char *)sig, a->pubkey, &err);
	gv_free(data);
	gv_free(sig);
	if (rc < 0) {
		fprintf(stderr, "geneva: %s: %s\n", argv[optind + 1], err);
		return 2;
	}
	printf("%s: signature %s\n", argv[optind], rc ? "valid" : "INVALID");
	return rc ? 0 : 1;
}

static int cmd_keygen(struct args *a)
{
	if (a->out == NULL) {
		fprintf(stderr, "geneva intel keygen: -o PREFIX is required\n");
		return 2;
	}
	char sk[4200], pk[4200];
	snprintf(sk, sizeof(sk), "%s.sec", a->out);
	snprintf(pk, sizeof(pk), "%s.pub", a->out);
	const char *err;
	if (gv_intel_keygen(sk, pk, &err) < 0) {
		fprintf(stderr, "geneva: %s: %s\n", a->out, err);
		return 2;
	}
	printf("secret key %s (keep it private), public key %s\n", sk, pk);
	return 0;
}

static int cmd_stats(struct args *a)
{
	struct gv_intel_store *st;
	if (gv_cli_intel_store(&a->store, &st) < 0)
		return 2;
	struct gv_intel_counts c;
	const char *err;
	int rc = gv_intel_store_counts(st, &c, &err);
	if (rc < 0) {
		fprintf(stderr, "geneva: store: %s\n", err);
		gv_intel_store_close(&st);
		return 2;
	}
	printf(a->json ? "{\"backend\": \"%s\", \"events\": %llu, "
			 "\"entities\": %llu, \"relations\": %llu, "
			 "\"indicators\": %llu, \"findings\": %llu, "
			 "\"alerts\": %llu, \"lookalikes\": %llu"
		       : "backend %s\nevents %llu\nentities %llu\n"
			 "relations %llu\nindicators %llu\nfindings %llu\n"
			 "alerts %llu\nlookalikes %llu",
	       gv_intel_store_backend(st), (unsigned long long)c.events,
	       (unsigned long long)c.entities, (unsigned long long)c.relations,
	       (unsigned long long)c.indicators,
	       (unsigned long long)c.findings, (unsigned long long)c.alerts,
	       (unsigned long long)c.lookalikes);
	for (int k = 1; k <= GV_ENT_KIND_MAX; k++)
		printf(a->json ? ", \"%s\": %llu" : "\n%s %llu",
		       gv_intel_kind_name((enum gv_intel_kind)k),
		       (unsigned long long)c.by_kind[k]);
	printf(a->json ? "}\n" : "\n");
	gv_intel_store_close(&st);
	return 0;
}

static int cmd_lookup(struct args *a, int argc, char **argv)
{
	if (optind + 2 != argc) {
		fprintf(stderr, "usage: geneva intel lookup KIND VALUE\n");
		return 2;
	}
	enum gv_intel_kind k = gv_intel_kind_parse(argv[optind]);
	struct gv_intel_store *st;
	if (k == 0) {
		fprintf(stderr, "geneva: %s: unknown kind\n", argv[optind]);
		return 2;
	}
	if (gv_cli_intel_store(&a->store, &st) < 0)
		return 2;
	struct gv_intel_index *ix;
	const char *err;
	int rc = gv_intel_index_build(st, &ix, &err);
	gv_intel_store_close(&st);
	if (rc < 0) {
		fprintf(stderr, "geneva: index: %s\n", err);
		return 2;
	}
	struct gv_intel_hit h;
	rc = gv_intel_index_lookup(ix, k, argv[optind + 1], &h);
	if (rc == 1)
		printf("hit: indicator %lld %s %s feed=%s campaign=%s "
		       "actor=%s malware=%s name=%s\n",
		       (long long)h.indicator_id, gv_intel_kind_name(h.kind),
		       h.value, *h.feed ? h.feed : "-",
		       h.campaign ? h.campaign : "-", h.actor ? h.actor : "-",
		       h.malware ? h.malware : "-", h.name ? h.name : "-");
	else
		printf("no indicator matches %s\n", argv[optind + 1]);
	gv_intel_index_unref(&ix);
	return rc == 1 ? 1 : 0;
}

int gv_cmd_intel(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *cmd = argv[1];
	struct args a = { 0 };
	int rc = parse(argc - 1, argv + 1, &a);
	if (rc <= 0)
		return rc < 0 ? 2 : 0;
	argc--, argv++;
	if (strcmp(cmd, "import") == 0)
		return cmd_import(&a, argc, argv);
	if (strcmp(cmd, "export") == 0)
		return cmd_export(&a);
	if (strcmp(cmd, "verify") == 0)
		return cmd_verify(&a, argc, argv);
	if (strcmp(cmd, "keygen") == 0)
		return cmd_keygen(&a);
	if (strcmp(cmd, "stats") == 0)
		return cmd_stats(&a);
	if (strcmp(cmd, "lookup") == 0)
		return cmd_lookup(&a, argc, argv);
	fprintf(stderr, "geneva intel: unknown command '%s'\n", cmd);
	return 2;
}
