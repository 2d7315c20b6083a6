/*
 * geneva report targeted|malware|campaigns|neighbors ENTITY|recommendations|
 *   alerts|lookalikes
 *   [--since T] [--until T] [--limit N] [--depth N] [--json] + store options
 * Table on stdout by default, the JSON document (docs/schema/report.json)
 * with --json.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/intel-cli.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: geneva report KIND [options]\n\n"
		"  targeted          top targeted users (malicious messages,\n"
		"                    distinct campaigns, severity)\n"
		"  malware           malware families, rules and file types\n"
		"                    per day\n"
		"  campaigns         clusters of messages (shared attachment,\n"
		"                    lure URL pattern, infrastructure) and\n"
		"                    their targets\n"
		"  neighbors KIND:VALUE  graph around an entity\n"
		"                    (user:, sender:, domain:, url:, ip:, hash:,\n"
		"                    campaign:, message:ID)\n"
		"  recommendations   what to do, with the evidence\n"
		"  alerts            alerts kept by the detectors (watch,\n"
		"                    domains, scan), newest first\n"
		"  lookalikes        lookalike domains of protected brands\n\n"
		"  --since T --until T  period (YYYY-MM-DD, ISO time, unix)\n"
		"  --limit N         rows (default 20)   --depth N (neighbors)\n"
		"  --json            JSON document instead of a table\n"
		"  --db PATH | --store URI | --config FILE\n");
}

int gv_cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "store", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "limit", required_argument, NULL, 'l' },
		{ "depth", required_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct gv_cli_store_opts so = { 0 };
	struct gv_intel_report_query q = { 0 };
	bool json = false;
	uint64_t v;
	int c;
	while ((c = getopt_long(argc, argv, "d:s:c:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': so.db = optarg; break;
		case 's': so.store = optarg; break;
		case 'c': so.config = optarg; break;
		case 'S':
			if ((q.since = gv_cli_parse_time(optarg, false)) < 0)
				goto bad;
			break;
		case 'U':
			if ((q.until = gv_cli_parse_time(optarg, true)) < 0)
				goto bad;
			break;
		case 'l':
			if (gv_parse_u64(optarg, 100000, &v) < 0)
				goto bad;
			q.limit = (size_t)v;
			break;
		case 'D':
			if (gv_parse_u64(optarg, 4, &v) < 0)
				goto bad;
			q.depth = (unsigned)v;
			break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	static const struct {
		const char *name;
		enum gv_intel_report_kind kind;
	} kinds[] = {
		{ "targeted", GV_REPORT_TARGETED },
		{ "malware", GV_REPORT_MALWARE },
		{ "campaigns", GV_REPORT_CAMPAIGNS },
		{ "neighbors", GV_REPORT_NEIGHBORS },
		{ "neighbours", GV_REPORT_NEIGHBORS },
		{ "recommendations", GV_REPORT_RECOMMENDATIONS },
		{ "alerts", GV_REPORT_ALERTS },
		{ "lookalikes", GV_REPORT_LOOKALIKES },
	};
	size_t k = 0;
	while (k < GV_ARRAY_LEN(kinds) && strcmp(kinds[k].name, argv[optind]))
		k++;
	if (k == GV_ARRAY_LEN(kinds)) {
		fprintf(stderr, "geneva report: unknown report '%s'\n",
			argv[optind]);
		return 2;
	}
	q.kind = kinds[k].kind;
	if (q.kind == GV_REPORT_NEIGHBORS) {
		if (optind + 1 >= argc) {
			fprintf(stderr, "geneva report neighbors: KIND:VALUE "
					"needed\n");
			return 2;
		}
		q.entity = argv[optind + 1];
	}
	struct gv_intel_store *st;
	if (gv_cli_intel_store(&so, &st) < 0)
		return 2;
	char *doc = NULL;
	const char *err;
	int rc = gv_intel_report(st, &q, &doc, &err);
	gv_intel_store_close(&st);
	if (rc < 0) {
		fprintf(stderr, "geneva: report %s: %s\n", argv[optind], err);
		return 2;
	}
	if (json)
		printf("%s\n", doc);
	else
		gv_intel_report_print_table(doc, stdout);
	gv_free(doc);
	return 0;
bad:
	fprintf(stderr, "geneva report: bad value '%s'\n", optarg);
	return 2;
}
