/* geneva: one command, many subcommands. This file only dispatches; each
 * subcommand lives in its own cmd-*.c file. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "util/util.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{ "scan", gv_cmd_scan, "scan messages (files, folders, mbox, Maildir, -)" },
	{ "eval", gv_cmd_eval, "detection rates on labelled folders; classifier cross-validation" },
	{ "learn", gv_cmd_learn, "train the classifier on this site's mail" },
	{ "unlearn", gv_cmd_unlearn, "remove messages from the classifier's training set" },
	{ "watch", gv_cmd_watch, "report bulk mailbox downloads/copies in IMAP logs" },
	{ "notify", gv_cmd_notify, "send a notice to users targeted by a campaign" },
	{ "intel", gv_cmd_intel, "import feeds, export/verify signed STIX evidence" },
	{ "report", gv_cmd_report, "targeted users, malware, campaigns, graph, recommendations" },
	{ "domains", gv_cmd_domains, "lookalike domains: watch feeds, permute, RPZ sinkhole, abuse reports" },
	{ "version", gv_cmd_version, "print the version" },
	{ "files", gv_cmd_files, "inspect files as mail attachments (archives, macros, YARA)" },
	{ "milter", gv_cmd_milter, "mail filter daemon for Postfix/Sendmail (milter protocol)" },
	{ "quarantine", gv_cmd_quarantine, "list, show, release or delete quarantined mail" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: geneva <command> [options] [args]\n\ncommands:\n");
	for (size_t i = 0; i < GV_ARRAY_LEN(subcommands); i++)
		fprintf(out, "  %-12s %s\n", subcommands[i].name,
			subcommands[i].summary);
	fprintf(out, "\n'geneva <command> --help' describes each command; "
		     "exit status: 0 clean/ok, 1 found, 2 error.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0)
		return gv_cmd_version(argc - 1, argv + 1);
	for (size_t i = 0; i < GV_ARRAY_LEN(subcommands); i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "geneva: unknown command '%s' (see geneva --help)\n",
		argv[1]);
	return 2;
}
