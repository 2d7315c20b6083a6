/*
 * geneva learn --as phishing|spam|ham [--db FILE] PATH...
 * geneva unlearn [--db FILE] PATH...
 * Adds (or removes) messages to the site's training examples, then
 * retrains and stores a new model version.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/inputs.h"
#include "learn/learn.h"

static void usage(FILE *out, bool unlearn)
{
	if (unlearn)
		fprintf(out, "usage: geneva unlearn [--db FILE] [--config FILE] PATH...\n");
	else
		fprintf(out, "usage: geneva learn --as phishing|spam|ham [--db FILE] "
			     "[--config FILE] [--no-retrain] PATH...\n"
			     "       geneva learn --retrain [--db FILE]\n");
	fprintf(out, "PATH: .eml files, folders, mbox, Maildir or -. The model is\n"
		     "stored in the learn database (default %s).\n", GV_DEFAULT_LEARN_DB);
}

/* geneva learn --retrain: a new model version from the stored examples,
 * timed (the bench reads this line). */
static int retrain_only(const char *dbpath)
{
	const char *err;
	struct gv_learn_db *db;
	if (gv_learn_db_open(dbpath, &db, &err) < 0) {
		fprintf(stderr, "geneva: %s\n", err);
		return 2;
	}
	size_t counts[GV_CLASS_COUNT], n = 0;
	gv_learn_db_counts(db, counts, &err);
	for (int c = 0; c < GV_CLASS_COUNT; c++)
		n += counts[c];
	double c0 = gv_cpu_seconds();
	int64_t v = gv_learn_db_retrain(db, NULL, &err);
	double cpu = gv_cpu_seconds() - c0;
	struct gv_learn_model *m = NULL;
	if (v > 0 && gv_learn_db_load_model(db, &m, NULL, &err) == 1)
		printf("model version %lld: %zu examples in %.3f CPU s (%.0f examples/s "
		       "incl. the store), %.1f MiB of weights\n", (long long)v, n, cpu,
		       cpu > 0 ? (double)n / cpu : 0.0,
		       (double)gv_learn_model_bytes(m) / 1048576.0);
	gv_learn_model_free(&m);
	gv_learn_db_close(&db);
	if (v < 0) {
		fprintf(stderr, "geneva: %s\n", err);
		return 2;
	}
	return 0;
}

static int run(int argc, char **argv, bool unlearn)
{
	static const struct option opts[] = {
		{ "as", required_argument, NULL, 'a' },
		{ "db", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "no-retrain", no_argument, NULL, 'n' },
		{ "retrain", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *dbpath = GV_DEFAULT_LEARN_DB, *as = NULL;
	bool retrain = true, only_retrain = false;
	int c;
	while ((c = getopt_long(argc, argv, "a:d:c:nrh", opts, NULL)) != -1) {
		switch (c) {
		case 'a': as = optarg; break;
		case 'd': dbpath = optarg; break;
		case 'c': config = optarg; break;
		case 'n': retrain = false; break;
		case 'r': only_retrain = true; break;
		case 'h': usage(stdout, unlearn); return 0;
		default: usage(stderr, unlearn); return 2;
		}
	}
	if (only_retrain)
		return retrain_only(dbpath);
	enum gv_learn_class cls = GV_CLASS_HAM;
	if (!unlearn && (as == NULL || gv_learn_class_parse(as, &cls) != 1)) {
		fprintf(stderr, "geneva learn: --as must be phishing, spam or ham\n");
		return 2;
	}
	if (optind >= argc) {
		usage(stderr, unlearn);
		return 2;
	}
	const char *err;
	struct gv_learn_db *db;
	if (gv_learn_db_open(dbpath, &db, &err) < 0) {
		fprintf(stderr, "geneva: %s\n", err);
		return 2;
	}
	struct gv_scan_engine *engine;
	if (gv_cli_engine(config, &engine) < 0) {
		gv_learn_db_close(&db);
		return 2;
	}
	struct gv_inputs in = { 0 };
	for (int i = optind; i < argc; i++)
		gv_inputs_add(&in, argv[i]);
	size_t changed = 0, same = 0, errors = in.errors;
	size_t max = gv_cli_max_message(engine);
	if (gv_learn_db_begin(db, &err) < 0) {
		fprintf(stderr, "geneva: %s\n", err);
		errors++;
	}
	for (size_t i = 0; i < in.n; i++) {
		unsigned char *data;
		size_t len;
		char nb[4200];
		if (gv_input_read(&in.items[i], max, &data, &len, &err) < 0) {
			fprintf(stderr, "geneva: %s: %s\n",
				gv_input_name(&in.items[i], nb, sizeof(nb)), err);
			errors++;
			continue;
		}
		int r;
		if (unlearn) {
			r = gv_learn_db_remove(db, data, len, &err);
		} else {
			struct gv_pool *pool = gv_pool_new(64 * 1024);
			struct gv_scan_result *res;
			r = gv_scan_message(engine, pool, data, len, NULL, &res, &err);
			if (r == 1) {
				struct gv_learn_vec v;
				gv_learn_features(pool, res, 20, &v);
				r = gv_learn_db_put(db, data, len, cls, &v, &err);
			}
			gv_pool_free(&pool);
		}
		if (r < 0) {
			fprintf(stderr, "geneva: %s: %s\n",
				gv_input_name(&in.items[i], nb, sizeof(nb)), err);
			errors++;
		}
		changed += r == 1;
		same += r == 0;
		gv_free(data);
	}
	if (gv_learn_db_commit(db, &err) < 0) {
		fprintf(stderr, "geneva: %s\n", err);
		errors++;
	}
	int64_t version = 0;
	if (retrain && changed > 0) {
		version = gv_learn_db_retrain(db, NULL, &err);
		if (version < 0) {
			fprintf(stderr, "geneva: %s\n", err);
			errors++;
		}
	}
	size_t counts[GV_CLASS_COUNT];
	if (gv_learn_db_counts(db, counts, &err) == 1)
	{
		printf("%s %zu messages (%zu unchanged); examples: %zu phishing, "
		       "%zu spam, %zu ham", unlearn ? "unlearned" : "learned",
		       changed, same, counts[GV_CLASS_PHISHING], counts[GV_CLASS_SPAM],
		       counts[GV_CLASS_HAM]);
		if (version > 0)
			printf("; model version %lld", (long long)version);
		putchar('\n');
	}
	gv_inputs_free(&in);
	gv_scan_engine_free(&engine);
	gv_learn_db_close(&db);
	return errors ? 2 : 0;
}

int gv_cmd_learn(int argc, char **argv)
{
	return run(argc, argv, false);
}

int gv_cmd_unlearn(int argc, char **argv)
{
	return run(argc, argv, true);
}
