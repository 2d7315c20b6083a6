/* geneva quarantine [--config FILE] [--dir DIR] [--json] list | show ID [--raw]
 *                   | release ID... | delete ID...
 * The store (docs/quarantine.md) belongs to the milter's user: run as
 * root, this command switches its effective ids to the store's owner so
 * every file it creates stays usable by the milter. */
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/learn-glue.h"
#include "quarantine/quarantine.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: geneva quarantine [options] list\n"
		"       geneva quarantine [options] show ID [--raw]\n"
		"       geneva quarantine [options] release ID...\n"
		"       geneva quarantine [options] delete ID...\n"
		"Lists, shows, releases (re-injects through the local MTA, unchanged\n"
		"apart from an X-Geneva-Released header) or deletes quarantined mail.\n\n"
		"  --config FILE   configuration (default %s if present)\n"
		"  --dir DIR       store directory (overrides quarantine.dir)\n"
		"  --json          JSON output (one object per line)\n"
		"  --raw           show: print the stored message itself\n\n"
		"exit status: 0 ok, 1 an ID was not found, 2 an error\n",
		GV_DEFAULT_CONFIG);
}

static void when(int64_t t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm);
}

static void print_entry(const struct gv_quarantine_entry *e)
{
	char *s = gv_quarantine_entry_to_json(e, true);
	printf("%s\n", s ? s : "{}");
	free(s);
}

/* Printable, single-line, cut to width for the table. */
static void cell(const char *s, int width)
{
	int n = 0;
	for (; s && *s && n < width; s++, n++)
		putchar((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f ? *s : '?');
	printf("%*s", width - n, "");
}

static int do_list(struct gv_quarantine *q, bool json)
{
	struct gv_pool *pool = gv_pool_new(64 * 1024);
	struct gv_quarantine_entry *v;
	size_t n;
	const char *err;
	if (gv_quarantine_list(q, pool, &v, &n, &err) < 0) {
		fprintf(stderr, "geneva: quarantine: %s\n", err);
		gv_pool_free(&pool);
		return 2;
	}
	if (!json)
		printf("%-31s %-19s %5s %-8s %-28s %-28s %s\n", "ID", "RECEIVED (UTC)",
		       "SCORE", "STATE", "FROM", "TO", "SUBJECT");
	for (size_t i = 0; i < n; i++) {
		if (json) {
			print_entry(&v[i]);
			continue;
		}
		char t[32];
		when(v[i].received, t, sizeof(t));
		printf("%-31s %-19s %5d %-8s ", v[i].id, t, v[i].score,
		       v[i].released ? "released" : "held");
		cell(*v[i].sender ? v[i].sender : "<>", 28);
		putchar(' ');
		cell(v[i].n_rcpts ? v[i].rcpts[0] : "", 28);
		putchar(' ');
		cell(v[i].subject, 60);
		putchar('\n');
	}
	if (!json)
		fprintf(stderr, "%zu quarantined messages\n", n);
	gv_pool_free(&pool);
	return 0;
}

static int do_show(struct gv_quarantine *q, const char *id, bool json, bool raw)
{
	struct gv_pool *pool = gv_pool_new(64 * 1024);
	struct gv_quarantine_entry e;
	unsigned char *data = NULL;
	size_t len = 0;
	const char *err;
	int rc = gv_quarantine_get(q, pool, id, &e, raw ? &data : NULL, &len, &err);
	int status = 0;
	if (rc < 0) {
		fprintf(stderr, "geneva: %s: %s\n", id, err);
		status = 2;
	} else if (rc == 0) {
		fprintf(stderr, "geneva: %s: no such quarantined message\n", id);
		status = 1;
	} else if (raw) {
		fwrite(data, 1, len, stdout);
	} else if (json) {
		print_entry(&e);
	} else {
		char t[32];
		when(e.received, t, sizeof(t));
		printf("id:        %s\nreceived:  %s UTC\nqueue id:  %s\nclient:    %s (helo %s)\n"
		       "from:      <%s>\n", e.id, t, e.queue_id, e.client_ip, e.helo, e.sender);
		for (size_t i = 0; i < e.n_rcpts; i++)
			printf("to:        <%s>\n", e.rcpts[i]);
		printf("subject:   ");
		for (const char *c = e.subject; *c; c++)
			putchar((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f ? *c : '?');
		printf("\nverdict:   %s, score %d\nreasons:   %s\nsize:      %llu bytes\n"
		       "state:     %s\n", e.action, e.score, e.reasons,
		       (unsigned long long)e.size, e.released ? "released" : "held");
	}
	gv_free(data);
	gv_pool_free(&pool);
	return status;
}

/* Root switches its effective ids to the store's owner (see top). */
static void become_owner(const char *dir)
{
	struct stat st;
	if (geteuid() != 0 || stat(dir, &st) < 0 || st.st_uid == 0)
		return;
	if (setegid(st.st_gid) < 0 || seteuid(st.st_uid) < 0)
		fprintf(stderr, "geneva: %s: cannot switch to the store's owner\n", dir);
	gv_leak_check_after_id_change();
}

/* A release is a person saying "this was not phishing": ham feedback for
 * the classifier (docs/learn.md). */
static void release_feedback(struct gv_quarantine *q, const char *id)
{
	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_quarantine_entry e;
	unsigned char *data = NULL;
	size_t len = 0;
	const char *err;
	if (gv_quarantine_get(q, pool, id, &e, &data, &len, &err) == 1)
		gv_cli_learn_released(NULL, data, len);
	gv_free(data);
	gv_pool_free(&pool);
}

static int each_id(struct gv_quarantine *q, const char *verb, char **ids, int n,
		   const char *sendmail)
{
	int status = 0;
	for (int i = 0; i < n; i++) {
		const char *err = "?";
		int rc = strcmp(verb, "release") == 0
				 ? gv_quarantine_release(q, ids[i], sendmail, &err)
				 : gv_quarantine_delete(q, ids[i], &err);
		if (rc < 0) {
			fprintf(stderr, "geneva: %s: %s\n", ids[i], err);
			status = 2;
		} else if (rc == 0) {
			fprintf(stderr, "geneva: %s: no such quarantined message\n", ids[i]);
			if (status == 0)
				status = 1;
		} else {
			printf("%s %sd\n", ids[i], verb);
			if (strcmp(verb, "release") == 0)
				release_feedback(q, ids[i]);
		}
	}
	return status;
}

int gv_cmd_quarantine(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "raw", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *dir = NULL;
	bool json = false, raw = false;
	int c;
	while ((c = getopt_long(argc, argv, "c:d:jrh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'd': dir = optarg; break;
		case 'j': json = true; break;
		case 'r': raw = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	const char *verb = argv[optind++];
	bool list = strcmp(verb, "list") == 0, show = strcmp(verb, "show") == 0;
	bool many = strcmp(verb, "release") == 0 || strcmp(verb, "delete") == 0;
	if ((!list && !show && !many) || (list && optind != argc) ||
	    (show && optind + 1 != argc) || (many && optind >= argc)) {
		fprintf(stderr, "geneva quarantine: bad command line (see --help)\n");
		return 2;
	}
	struct gv_quarantine_config *cfg;
	const char *err;
	if (gv_quarantine_config_load(gv_cli_config_path(config), &cfg, &err) < 0) {
		fprintf(stderr, "geneva: %s\n", err);
		return 2;
	}
	if (dir == NULL)
		dir = cfg->dir;
	struct stat st;
	if (stat(dir, &st) < 0) {
		fprintf(stderr, "geneva: %s: no quarantine store here\n", dir);
		gv_quarantine_config_free(&cfg);
		return 2;
	}
	become_owner(dir);
	signal(SIGPIPE, SIG_IGN);
	struct gv_quarantine *q;
	int status = 2;
	if (gv_quarantine_open(dir, &q, &err) < 0) {
		fprintf(stderr, "geneva: %s\n", err);
	} else {
		if (list)
			status = do_list(q, json);
		else if (show)
			status = do_show(q, argv[optind], json, raw);
		else
			status = each_id(q, verb, argv + optind, argc - optind, cfg->sendmail);
		gv_quarantine_close(&q);
	}
	gv_quarantine_config_free(&cfg);
	return status;
}
