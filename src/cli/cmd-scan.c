/* geneva scan [--json] [--config FILE] [--quiet] PATH... */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/alert-glue.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/inputs.h"
#include "cli/intel-cli.h"
#include "cli/learn-glue.h"
#include "scan/scan.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: geneva scan [options] PATH...\n"
		"Scans messages: .eml files, directories (recursively), Maildir\n"
		"folders, mbox files, or - for standard input.\n\n"
		"  --json          one JSON object per message (docs/scan-json.md)\n"
		"  --config FILE   configuration (default %s if present)\n"
		"  --quiet         print only messages that are not accepted\n"
		"  --no-progress   no progress bar on a terminal\n"
		"  --db PATH | --store URI  match the intel store's indicators and\n"
		"                  record every result in it (docs/intel.md)\n"
		"  --learn-db FILE classify with the newest model of this learn store\n"
		"                  (default " GV_DEFAULT_LEARN_DB " when it exists)\n"
		"  --autolearn     learn from very confident verdicts (docs/learn.md)\n"
		"  --alerts        raise alerts for stopped messages and indicator\n"
		"                  hits through the config's alerts: sinks (docs/alerts.md)\n\n"
		"exit status: 0 nothing found, 1 something quarantined or rejected,\n"
		"2 an error (the other inputs are still scanned)\n",
		GV_DEFAULT_CONFIG);
}

static void print_table(const struct gv_scan_result *r, const char *name)
{
	printf("%-10s %4d  %s\n", gv_action_name(r->action), r->score, name);
	size_t shown = 0;
	for (size_t i = 0; i < r->n_findings && shown < 6; i++) {
		const struct gv_finding *f = &r->findings[i];
		if (f->score == 0)
			continue;
		printf("           %+4d  %s%s%s: %.110s\n", f->score, f->rule,
		       *f->part ? " @" : "", f->part, f->evidence);
		shown++;
	}
}

static void progress(size_t done, size_t total)
{
	int width = 40, fill = (int)(done * (size_t)width / (total ? total : 1));
	fprintf(stderr, "\r[%.*s%*s] %zu/%zu", fill,
		"########################################", width - fill, "",
		done, total);
	if (done == total)
		fputc('\n', stderr);
}

int gv_cmd_scan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "no-progress", no_argument, NULL, 'P' },
		{ "db", required_argument, NULL, 'D' },
		{ "store", required_argument, NULL, 'S' },
		{ "learn-db", required_argument, NULL, 'L' },
		{ "autolearn", no_argument, NULL, 'A' },
		{ "alerts", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, quiet = false, bar = isatty(2);
	const char *config = NULL;
	struct gv_cli_store_opts store = { 0 };
	struct gv_cli_intel_scan *intel = NULL;
	struct gv_cli_learn *learn = NULL;
	const char *learn_db = NULL;
	bool autolearn = false, want_alerts = false;
	struct gv_alerts *alerts = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "jc:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'c': config = optarg; break;
		case 'q': quiet = true; break;
		case 'P': bar = false; break;
		case 'D': store.db = optarg; break;
		case 'S': store.store = optarg; break;
		case 'L': learn_db = optarg; break;
		case 'A': autolearn = true; break;
		case 'a': want_alerts = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "geneva scan: no input (see geneva scan --help)\n");
		return 2;
	}
	struct gv_scan_engine *engine;
	if (gv_cli_engine(config, &engine) < 0)
		return 2;
	store.config = config;
	if ((store.db || store.store) &&
	    gv_cli_intel_scan_start(&store, engine, &intel) < 0) {
		gv_scan_engine_free(&engine);
		return 2;
	}
	if (gv_cli_learn_start(learn_db, autolearn, engine, &learn) < 0 ||
	    (want_alerts && gv_cli_alerts_open(config, NULL,
					       gv_cli_intel_scan_recorder(intel),
					       &alerts) < 0)) {
		gv_cli_learn_stop(&learn);
		gv_cli_intel_scan_stop(&intel);
		gv_scan_engine_free(&engine);
		return 2;
	}
	struct gv_inputs in = { 0 };
	for (int i = optind; i < argc; i++)
		gv_inputs_add(&in, argv[i]);
	bar = bar && in.n > 300;
	size_t max = gv_cli_max_message(engine);
	size_t errors = in.errors, found = 0;
	struct gv_buf out;
	gv_buf_init(&out, (size_t)64 << 20);
	for (size_t i = 0; i < in.n; i++) {
		char nb[4200];
		const char *name = gv_input_name(&in.items[i], nb, sizeof(nb));
		unsigned char *data;
		size_t len;
		const char *err;
		if (gv_input_read(&in.items[i], max, &data, &len, &err) < 0) {
			fprintf(stderr, "geneva: %s: %s\n", name, err);
			errors++;
			continue;
		}
		struct gv_pool *pool = gv_pool_new(64 * 1024);
		struct gv_scan_result *r;
		if (gv_scan_message(engine, pool, data, len, NULL, &r, &err) < 0) {
			fprintf(stderr, "geneva: %s: scan failed: %s\n", name, err);
			errors++;
		} else {
			found += r->action >= GV_ACTION_QUARANTINE;
			if (intel)
				gv_cli_intel_scan_record(intel, r, NULL);
			gv_cli_learn_observe(learn, data, len, r);
			if (alerts && gv_alerts_verdict(alerts, r, NULL, "scan",
					gv_cli_message_time(r->msg), &err) < 0) {
				fprintf(stderr, "geneva: alerts: %s\n", err);
				errors++;
			}
			if (json) {
				gv_buf_reset(&out);
				if (gv_scan_result_json(r, name, &out) > 0)
					printf("%.*s\n", (int)out.len, out.data);
			} else if (!quiet || r->action != GV_ACTION_ACCEPT) {
				if (bar)
					fputs("\r\033[K", stderr);
				print_table(r, name);
			}
		}
		gv_pool_free(&pool);
		gv_free(data);
		if (bar && (i % 50 == 0 || i + 1 == in.n))
			progress(i + 1, in.n);
	}
	gv_cli_alerts_close(&alerts); /* before the recorder it feeds */
	if (gv_cli_intel_scan_stop(&intel) < 0)
		errors++;
	if (gv_cli_learn_stop(&learn) < 0)
		errors++;
	fflush(stdout);
	if (!json && !quiet)
		fprintf(stderr, "%zu messages, %zu quarantined or rejected, %zu errors\n",
			in.n, found, errors);
	gv_buf_free(&out);
	gv_inputs_free(&in);
	gv_scan_engine_free(&engine);
	return errors ? 2 : found ? 1 : 0;
}
