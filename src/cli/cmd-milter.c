/* geneva milter [--config FILE] [--foreground] [--socket SPEC]
 *               [--pidfile FILE] [--user USER]
 * Internal (the worker starts its scanner processes so, docs/milter.md):
 * geneva milter --scanner-fd FD --scanner-max BYTES [--config FILE]
 *               [--scanner-syslog] */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "milter/milter.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: geneva milter [options]\n"
		"Runs the mail filter daemon for Postfix or Sendmail (docs/milter.md).\n\n"
		"  --config FILE     configuration (default %s if present)\n"
		"  --foreground      stay in the foreground, log to stderr\n"
		"  --socket SPEC     inet:PORT@HOST or unix:/path (overrides milter.socket)\n"
		"  --pidfile FILE    pidfile in background mode (overrides milter.pidfile)\n"
		"  --user USER       user to run as after opening the socket\n\n"
		"signals: HUP reloads configuration and rules, TERM stops after the\n"
		"sessions in flight. exit status: 0 stopped, 2 start-up error\n",
		GV_DEFAULT_CONFIG);
}

int gv_cmd_milter(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 's' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ "scanner-fd", required_argument, NULL, 'F' },
		{ "scanner-max", required_argument, NULL, 'M' },
		{ "scanner-syslog", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct gv_milter_options o = { 0 };
	const char *config = NULL;
	uint64_t scanner_fd = UINT64_MAX, scanner_max = 0;
	bool scanner_syslog = false;
	int c;
	while ((c = getopt_long(argc, argv, "c:fs:p:u:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'f': o.foreground = true; break;
		case 's': o.socket = optarg; break;
		case 'p': o.pidfile = optarg; break;
		case 'u': o.user = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'F':
		case 'M':
			if (gv_parse_u64(optarg, c == 'F' ? 1024 : ((uint64_t)1 << 33),
					 c == 'F' ? &scanner_fd : &scanner_max) < 0) {
				fprintf(stderr, "geneva milter: bad --scanner-%s\n",
					c == 'F' ? "fd" : "max");
				return 2;
			}
			break;
		case 'S': scanner_syslog = true; break;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "geneva milter: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (scanner_fd != UINT64_MAX) /* the config path exactly as the worker has it */
		return gv_milter_scanner_main(config, (int)scanner_fd, scanner_max, scanner_syslog);
	o.config_path = gv_cli_config_path(config);
	return gv_milter_main(&o);
}
