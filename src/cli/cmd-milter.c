/* geneva milter [--config FILE] [--foreground] [--socket SPEC]
 *               [--pidfile FILE] [--user USER] */
#include <getopt.h>
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
		{ NULL, 0, NULL, 0 },
	};
	struct gv_milter_options o = { 0 };
	const char *config = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "c:fs:p:u:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'f': o.foreground = true; break;
		case 's': o.socket = optarg; break;
		case 'p': o.pidfile = optarg; break;
		case 'u': o.user = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "geneva milter: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	o.config_path = gv_cli_config_path(config);
	return gv_milter_main(&o);
}
