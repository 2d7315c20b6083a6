/*
 * geneva eval [--config FILE] [--json] LABEL=PATH...
 * Scans labelled folders and prints detection rates: for malicious labels
 * (phishing, spam, malware) the share quarantined or rejected (the
 * detection rate), for ham the share quarantined or rejected (the false
 * positive rate) and tagged. The classifier's K-fold mode is `--folds`.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/eval-learn.h"
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
		"       geneva eval --folds K [--seed N] LABEL=PATH...\n"
		"       geneva eval --train LABEL=PATH... --test LABEL=PATH...\n"
		"Rules only (first form): per folder the share of messages\n"
		"quarantined or rejected (\"stopped\") and tagged; LABEL is ham,\n"
		"spam, phishing or malware. With --folds, K-fold cross-validation of\n"
		"the classifier and of the whole engine (LABEL: phishing, spam, ham);\n"
		"with --train/--test, train on one set and test on another.\n");
}

static int learn_eval(const char *config, int folds, uint64_t seed,
		      char **train, size_t n_train, char **test, size_t n_test)
{
	struct gv_labelled l = { 0 };
	for (size_t i = 0; i < n_train; i++)
		if (gv_labelled_add(&l, train[i]) < 0)
			return 2;
	for (size_t i = 0; i < n_test; i++)
		if (gv_labelled_add(&l, test[i]) < 0)
			return 2;
	struct gv_scan_engine *engine;
	if (gv_cli_engine(config, &engine) < 0)
		return 2;
	struct gv_learn_params params = { .seed = seed };
	gv_labelled_scan(&l, engine, 20);
	if (folds > 0) {
		gv_eval_folds(engine, &l, folds, seed, &params);
	} else {
		size_t nt = 0;
		for (size_t i = 0; i < l.n; i++)
			nt += l.ex[i].set < (int)n_train;
		gv_eval_train_test(engine, &l, nt, &params);
	}
	int status = l.errors ? 2 : 0;
	gv_labelled_free(&l);
	gv_scan_engine_free(&engine);
	return status;
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
		{ "folds", required_argument, NULL, 'k' },
		{ "seed", required_argument, NULL, 's' },
		{ "train", required_argument, NULL, 'T' },
		{ "test", required_argument, NULL, 't' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL;
	bool json = false;
	int c, folds = 0;
	uint64_t seed = 42, v;
	char *train[16], *test[16];
	size_t n_train = 0, n_test = 0;
	while ((c = getopt_long(argc, argv, "c:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (gv_parse_u64(optarg, 100, &v) < 0 || v < 2) {
				fprintf(stderr, "geneva eval: --folds takes 2 to 100\n");
				return 2;
			}
			folds = (int)v;
			break;
		case 's':
			if (gv_parse_u64(optarg, UINT64_MAX, &seed) < 0) {
				fprintf(stderr, "geneva eval: --seed takes a number\n");
				return 2;
			}
			break;
		case 'T':
			if (n_train == 16)
				return 2;
			train[n_train++] = optarg;
			break;
		case 't':
			if (n_test == 16)
				return 2;
			test[n_test++] = optarg;
			break;
		case 'c': config = optarg; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (folds > 0) {
		if (optind >= argc || argc - optind > 16) {
			usage(stderr);
			return 2;
		}
		return learn_eval(config, folds, seed, argv + optind,
				  (size_t)(argc - optind), NULL, 0);
	}
	if (n_train || n_test) {
		if (!n_train || !n_test || optind < argc) {
			fprintf(stderr, "geneva eval: --train and --test go together, without other sets\n");
			return 2;
		}
		return learn_eval(config, 0, seed, train, n_train, test, n_test);
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
