/*
 * geneva eval [--config FILE] [--json] LABEL=PATH...
 * Scans labelled folders and prints detection rates: for malicious labels
 * (phishing, spam, malware) the share quarantined or rejected (the
 * detection rate), for ham the share quarantined or rejected (the false
 * positive rate) and tagged. The classifier's K-fold mode is `--folds`.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/inputs.h"
#include "scan/scan.h"

struct tally {
	const char *label;
	const char *path;
	size_t n, tagged, stopped, errors;
	double cpu;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: geneva eval [--config FILE] [--json] LABEL=PATH...\n"
		"LABEL is ham, spam, phishing or malware. Prints per folder the\n"
		"share of messages quarantined or rejected (\"stopped\") and tagged.\n");
}

static int run_one(struct gv_scan_engine *engine, struct tally *t)
{
	struct gv_inputs in = { 0 };
	gv_inputs_add(&in, t->path);
	t->errors = in.errors;
	size_t max = gv_cli_max_message(engine);
	double c0 = gv_cpu_seconds();
	for (size_t i = 0; i < in.n; i++) {
		unsigned char *data;
		size_t len;
		const char *err;
		if (gv_input_read(&in.items[i], max, &data, &len, &err) < 0) {
			t->errors++;
			continue;
		}
		struct gv_pool *pool = gv_pool_new(64 * 1024);
		struct gv_scan_result *r;
		if (gv_scan_message(engine, pool, data, len, NULL, &r, &err) < 0) {
			t->errors++;
		} else {
			t->n++;
			t->stopped += r->action >= GV_ACTION_QUARANTINE;
			t->tagged += r->action == GV_ACTION_TAG;
		}
		gv_pool_free(&pool);
		gv_free(data);
	}
	t->cpu = gv_cpu_seconds() - c0;
	gv_inputs_free(&in);
	return 1;
}

int gv_cmd_eval(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL;
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "c:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	size_t n = (size_t)(argc - optind);
	struct tally *t = gv_calloc(n, sizeof(*t));
	for (size_t i = 0; i < n; i++) {
		char *arg = argv[optind + (int)i];
		char *eq = strchr(arg, '=');
		if (eq == NULL || (strncmp(arg, "ham=", 4) && strncmp(arg, "spam=", 5) &&
				   strncmp(arg, "phishing=", 9) && strncmp(arg, "malware=", 8))) {
			fprintf(stderr, "geneva eval: %s: expected ham|spam|phishing|malware=PATH\n", arg);
			gv_free(t);
			return 2;
		}
		*eq = '\0';
		t[i].label = arg;
		t[i].path = eq + 1;
	}
	struct gv_scan_engine *engine;
	if (gv_cli_engine(config, &engine) < 0) {
		gv_free(t);
		return 2;
	}
	int status = 0;
	if (!json)
		printf("%-9s %7s %9s %8s %7s  %s\n", "label", "msgs", "stopped",
		       "tagged", "errors", "path");
	for (size_t i = 0; i < n; i++) {
		run_one(engine, &t[i]);
		double stopped = t[i].n ? 100.0 * (double)t[i].stopped / (double)t[i].n : 0;
		double tagged = t[i].n ? 100.0 * (double)t[i].tagged / (double)t[i].n : 0;
		if (json)
			printf("{\"label\":\"%s\",\"path\":\"%s\",\"messages\":%zu,"
			       "\"stopped\":%zu,\"tagged\":%zu,\"errors\":%zu,"
			       "\"stopped_pct\":%.3f,\"cpu_seconds\":%.3f}\n",
			       t[i].label, t[i].path, t[i].n, t[i].stopped,
			       t[i].tagged, t[i].errors, stopped, t[i].cpu);
		else
			printf("%-9s %7zu %8.2f%% %7.2f%% %7zu  %s\n", t[i].label,
			       t[i].n, stopped, tagged, t[i].errors, t[i].path);
		if (t[i].errors)
			status = 2;
	}
	gv_scan_engine_free(&engine);
	gv_free(t);
	return status;
}
