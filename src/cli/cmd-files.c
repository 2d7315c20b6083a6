/*
 * geneva files inspect [options] FILE... — runs the attachment inspection
 * (src/files) over files given on the command line, as if each were a mail
 * attachment: true type, archives, Office/PDF/RTF/HTML checks, YARA, hashes,
 * optional clamd. Prints one line per item and per finding (or JSON lines).
 * Exit status: 0 nothing at or above the threshold, 1 found, 2 error.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "files/files.h"
#include "util/util.h"

#define FILES_MAX_INPUT ((size_t)256 * 1024 * 1024)

struct out_ctx {
	bool json, quiet, items;
	int threshold;
	int worst;
	const char *first_rule;
};

static void json_str(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void on_finding(void *ctx, const struct gv_files_finding *f)
{
	struct out_ctx *o = ctx;

	if (f->score > o->worst) {
		o->worst = f->score;
		o->first_rule = f->rule;
	}
	if (o->quiet)
		return;
	if (o->json) {
		printf("{\"type\":\"finding\",\"path\":");
		json_str(f->path);
		printf(",\"rule\":");
		json_str(f->rule);
		printf(",\"score\":%d,\"evidence\":", f->score);
		json_str(f->evidence);
		printf("}\n");
	} else {
		printf("finding %s %s score=%d %s\n", f->path, f->rule, f->score,
		       f->evidence ? f->evidence : "");
	}
}

static void on_item(void *ctx, const struct gv_files_item *it)
{
	struct out_ctx *o = ctx;

	if (o->quiet || !o->items)
		return;
	if (o->json) {
		printf("{\"type\":\"item\",\"path\":");
		json_str(it->path);
		printf(",\"true_type\":");
		json_str(it->true_type);
		printf(",\"size\":%llu,\"depth\":%d,\"sha256\":\"%s\",\"md5\":\"%s\"}\n",
		       (unsigned long long)it->size, it->depth, it->sha256, it->md5);
	} else {
		printf("item %s %s size=%llu sha256=%s md5=%s\n", it->path,
		       it->true_type, (unsigned long long)it->size, it->sha256,
		       it->md5);
	}
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: geneva files inspect [options] FILE...\n"
		"  --config FILE     YAML configuration (its files: section)\n"
		"  --rules DIR       add a folder of YARA rules (repeatable)\n"
		"  --bundled DIR     folder of the bundled rules (default: installed)\n"
		"  --clamd ADDR      also ask clamd (host:port or socket path)\n"
		"  --threshold N     score that counts as found (default 30)\n"
		"  --body FILE       message text (for archive passwords)\n"
		"  --json            JSON lines\n"
		"  --no-items        do not list items (hashes, types)\n"
		"  -q, --quiet       one summary line per file (like clamscan)\n"
		"exit status: 0 clean, 1 found, 2 error\n");
}

int gv_cmd_files(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'C' },
		{ "rules", required_argument, NULL, 'r' },
		{ "bundled", required_argument, NULL, 'b' },
		{ "clamd", required_argument, NULL, 'c' },
		{ "threshold", required_argument, NULL, 't' },
		{ "body", required_argument, NULL, 'B' },
		{ "json", no_argument, NULL, 'j' },
		{ "no-items", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dirs[16];
	struct gv_files_config cfg = { .user_rule_dirs = dirs }, *file_cfg = NULL;
	const char *config_path = NULL;
	struct out_ctx o = { .threshold = 30, .items = true };
	struct gv_files_sink sink = { &o, on_finding, on_item };
	struct gv_files_engine *engine;
	unsigned char *body = NULL;
	size_t body_len = 0;
	const char *err;
	int c, status = 0;
	uint64_t v;

	if (argc < 2 || strcmp(argv[1], "inspect") != 0) {
		usage(argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
		return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
	}
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'C': config_path = optarg; break;
		case 'r':
			if (cfg.user_rule_dirs_count == GV_ARRAY_LEN(dirs)) {
				fprintf(stderr, "geneva: too many --rules\n");
				return 2;
			}
			dirs[cfg.user_rule_dirs_count++] = optarg;
			break;
		case 'b': cfg.rules_dir = optarg; break;
		case 'c': cfg.clamd = optarg; break;
		case 't':
			if (gv_parse_u64(optarg, 1000, &v) < 0) {
				fprintf(stderr, "geneva: --threshold: not a number\n");
				return 2;
			}
			o.threshold = (int)v;
			break;
		case 'B': {
			bool trunc;

			if (gv_read_file(optarg, 1024 * 1024, &body, &body_len,
					 &trunc, &err) < 0) {
				fprintf(stderr, "geneva: %s: %s\n", optarg, err);
				return 2;
			}
			break;
		}
		case 'j': o.json = true; break;
		case 'n': o.items = false; break;
		case 'q': o.quiet = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	/* Command-line options add to / override the configuration file. */
	if (config_path != NULL) {
		if (gv_files_config_load(config_path, &file_cfg, &err) < 0) {
			fprintf(stderr, "geneva: %s\n", err);
			gv_free(body);
			return 2;
		}
		for (size_t i = 0; i < file_cfg->user_rule_dirs_count &&
				   cfg.user_rule_dirs_count < GV_ARRAY_LEN(dirs); i++)
			dirs[cfg.user_rule_dirs_count++] = file_cfg->user_rule_dirs[i];
		if (cfg.rules_dir == NULL)
			cfg.rules_dir = file_cfg->rules_dir;
		if (cfg.clamd == NULL)
			cfg.clamd = file_cfg->clamd;
		cfg.clamd_timeout_ms = file_cfg->clamd_timeout_ms;
		cfg.limits = file_cfg->limits;
	}
	if (gv_files_engine_new(&cfg, &engine, &err) < 0) {
		gv_files_config_free(&file_cfg);
		fprintf(stderr, "geneva: files: %s\n", err);
		gv_free(body);
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		unsigned char *data;
		size_t len;
		bool trunc;
		struct gv_pool *pool;
		const char *base = strrchr(argv[i], '/');

		if (gv_read_file(argv[i], FILES_MAX_INPUT, &data, &len, &trunc,
				 &err) < 0) {
			fprintf(stderr, "geneva: %s: %s\n", argv[i], err);
			status = 2;
			continue;
		}
		pool = gv_pool_new(64 * 1024);
		o.worst = 0;
		o.first_rule = NULL;
		gv_files_inspect(engine, pool, data, len, base ? base + 1 : argv[i],
				 NULL, (const char *)body, body_len, NULL, &sink);
		if (o.worst >= o.threshold && status != 2)
			status = 1;
		if (o.quiet && o.worst >= o.threshold)
			printf("%s: %s FOUND\n", argv[i], o.first_rule);
		else if (o.quiet)
			printf("%s: OK\n", argv[i]);
		gv_pool_free(&pool);
		gv_free(data);
	}
	gv_files_engine_free(&engine);
	gv_files_config_free(&file_cfg);
	gv_free(body);
	return status;
}
