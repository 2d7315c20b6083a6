/*
 * geneva notify --campaign ID | --recipients FILE | --from-json FILE
 *
 * Writes a notice to every user targeted by a campaign and sends it
 * through the alert pipeline's user-mail sink (local MTA, durable outbox,
 * retries). Recipients come from the intelligence store (users two hops
 * from "campaign:ID": campaign -> message -> user, or a direct targets
 * relation), or from a file. Each notice is an alert of kind "notice"
 * with dedup key notify:CAMPAIGN:USER and the day's date as its time, so
 * running the command again the same day sends nothing twice.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "intel/intel.h"
#include "respond/respond.h"
#include "util/util.h"

#define DEFAULT_CONFIG "/etc/geneva/geneva.yaml"
#define MAX_RECIPIENTS 100000

struct rcpts {
	char **v;
	size_t n, cap;
};

static void add_rcpt(struct rcpts *r, const char *s, size_t len)
{
	while (len && (s[len - 1] == '\r' || s[len - 1] == ' '))
		len--;
	while (len && *s == ' ') {
		s++;
		len--;
	}
	if (len == 0 || *s == '#' || r->n >= MAX_RECIPIENTS)
		return;
	for (size_t i = 0; i < r->n; i++)
		if (strlen(r->v[i]) == len && strncmp(r->v[i], s, len) == 0)
			return;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->v = gv_realloc(r->v, gv_mul_size(r->cap, sizeof(char *)));
	}
	r->v[r->n++] = gv_strndup(s, len);
}

static int from_lines(const char *path, struct rcpts *r)
{
	unsigned char *data;
	size_t len;
	bool trunc;
	const char *err;
	if (gv_read_file(path, 64u << 20, &data, &len, &trunc, &err) < 0) {
		fprintf(stderr, "geneva: %s: %s\n", path, err);
		return -1;
	}
	const char *p = (const char *)data, *end = p + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		add_rcpt(r, p, n);
		p += n + 1;
	}
	gv_free(data);
	return 0;
}

/* A JSON array of addresses or of objects with "user"/"address". */
static int from_json(const char *path, struct rcpts *r)
{
	json_error_t e;
	json_t *root = json_load_file(path, 0, &e);
	if (!json_is_array(root)) {
		fprintf(stderr, "geneva: %s: expected a JSON array (%s)\n",
			path, e.text);
		json_decref(root);
		return -1;
	}
	size_t i;
	json_t *v;
	json_array_foreach(root, i, v) {
		const char *s = json_string_value(v);
		if (s == NULL)
			s = json_string_value(json_object_get(v, "user"));
		if (s == NULL)
			s = json_string_value(json_object_get(v, "address"));
		if (s)
			add_rcpt(r, s, strlen(s));
	}
	json_decref(root);
	return 0;
}

/* Users near campaign:ID in the store (neighbours report, depth 2). */
static int from_store(const char *config, const char *uri,
		      const char *campaign, struct rcpts *r)
{
	struct gv_intel_config *ic = NULL;
	struct gv_intel_store *st = NULL;
	const char *err = NULL;
	char *doc = NULL, entity[600];
	int ret = -1;
	if (uri == NULL && gv_intel_config_load(config, &ic, &err) < 0)
		goto fail;
	struct gv_intel_store_settings ss = { .uri = uri ? uri : ic->store };
	if (gv_intel_store_open(&ss, &st, &err) < 0)
		goto fail;
	snprintf(entity, sizeof(entity), "campaign:%s", campaign);
	struct gv_intel_report_query q = { .kind = GV_REPORT_NEIGHBORS,
					   .entity = entity, .depth = 2 };
	if (gv_intel_report(st, &q, &doc, &err) < 0)
		goto fail;
	json_error_t e;
	json_t *root = json_loads(doc, 0, &e), *row;
	size_t i;
	json_array_foreach(json_object_get(root, "rows"), i, row) {
		const char *node = json_string_value(json_object_get(row,
								     "node"));
		if (node && strncmp(node, "user:", 5) == 0)
			add_rcpt(r, node + 5, strlen(node + 5));
	}
	if (json_is_true(json_object_get(root, "truncated")))
		fprintf(stderr, "geneva: campaign %s: the store's neighbour "
			"walk was truncated; some users may be missing\n",
			campaign);
	json_decref(root);
	ret = 0;
	goto out;
fail:
	fprintf(stderr, "geneva: intel store: %s\n", err ? err : "error");
out:
	gv_free(doc);
	gv_intel_store_close(&st);
	gv_intel_config_free(&ic);
	return ret;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: geneva notify (--campaign ID | --recipients FILE | "
		"--from-json FILE) [options]\n"
		"Send a notice to every user targeted by a campaign "
		"(through alerts.mail).\n\n"
		"  -c, --config FILE   geneva.yaml (intel: store, alerts: mail)\n"
		"      --db PATH | --store URI  intel store (else intel.store)\n"
		"      --campaign ID   users targeted by campaign ID (intel "
		"store)\n"
		"      --recipients F  one address per line\n"
		"      --from-json F   JSON array of addresses or {\"user\":…}\n"
		"      --notice FILE   notice text (default: a short warning)\n"
		"      --spool DIR     alert spool (overrides alerts.spool_dir)\n"
		"  -n, --dry-run       list recipients, send nothing\n"
		"exit: 0 sent (or nothing to send), 2 error.\n");
}

int gv_cmd_notify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "campaign", required_argument, NULL, 'C' },
		{ "recipients", required_argument, NULL, 'r' },
		{ "from-json", required_argument, NULL, 'J' },
		{ "notice", required_argument, NULL, 'N' },
		{ "spool", required_argument, NULL, 'p' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "db", required_argument, NULL, 'd' },
		{ "store", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = DEFAULT_CONFIG, *campaign = NULL, *rfile = NULL;
	const char *jfile = NULL, *nfile = NULL, *spool = NULL, *uri = NULL;
	bool dry = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:nh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'C': campaign = optarg; break;
		case 'r': rfile = optarg; break;
		case 'J': jfile = optarg; break;
		case 'N': nfile = optarg; break;
		case 'p': spool = optarg; break;
		case 'n': dry = true; break;
		case 'd': /* a plain path is a SQLite store */
		case 'u': uri = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!campaign && !rfile && !jfile) {
		usage(stderr);
		return 2;
	}
	struct rcpts r = { 0 };
	int ret = 2;
	unsigned char *notice = NULL;
	void *astore = NULL;
	struct gv_alerts *alerts = NULL;
	const char *err = NULL;
	if ((rfile && from_lines(rfile, &r) < 0) ||
	    (jfile && from_json(jfile, &r) < 0) ||
	    (campaign && !rfile && !jfile &&
	     from_store(config, uri, campaign, &r) < 0))
		goto out;
	char text[2048];
	if (nfile) {
		size_t len;
		bool trunc;
		if (gv_read_file(nfile, 64 * 1024, &notice, &len, &trunc,
				 &err) < 0) {
			fprintf(stderr, "geneva: %s: %s\n", nfile, err);
			goto out;
		}
		snprintf(text, sizeof(text), "%.*s", (int)len, notice);
	} else {
		snprintf(text, sizeof(text),
			 "You received messages from a phishing or malware "
			 "campaign%s%s. Do not open their links or attachments. "
			 "If you already did, or entered your password after "
			 "following one of them, tell us at once.",
			 campaign ? " tracked as " : "", campaign ? campaign : "");
	}
	struct gv_alerts_config ac;
	if (gv_alerts_config_load(config, &ac, &astore, &err) < 0) {
		fprintf(stderr, "geneva: %s: %s\n", config, err);
		goto out;
	}
	if (spool)
		ac.spool_dir = spool;
	if (!dry)
		alerts = gv_alerts_new(&ac);
	int64_t day = (int64_t)time(NULL) / 86400 * 86400;
	char key[700], title[300];
	snprintf(title, sizeof(title), "messages of campaign %s reached you",
		 campaign ? campaign : "(list)");
	unsigned sent = 0, dup = 0;
	for (size_t i = 0; i < r.n; i++) {
		if (dry) {
			printf("%s\n", r.v[i]);
			continue;
		}
		struct gv_alert al;
		gv_alert_init(&al, GV_ALERT_NOTICE, GV_SEV_MEDIUM, "notify");
		snprintf(key, sizeof(key), "notify:%s:%s",
			 campaign ? campaign : "list", r.v[i]);
		al.subject_user = r.v[i];
		al.subject_addr = r.v[i];
		al.title = title;
		al.summary = text;
		al.user_notice = text;
		al.dedup_key = key;
		al.time = day;
		if (campaign)
			gv_alert_add(&al, "campaign", campaign);
		int e = gv_alert_emit(alerts, &al, &err);
		if (e < 0) {
			fprintf(stderr, "geneva: alerts: %s\n", err);
			goto out;
		}
		if (e > 0)
			sent++;
		else
			dup++;
	}
	if (alerts) {
		int pending = gv_alerts_flush(alerts, 0);
		printf("notices: recipients=%zu queued=%u already_sent=%u "
		       "pending_retry=%d\n", r.n, sent, dup, pending);
	}
	ret = 0;
out:
	gv_alerts_free(&alerts);
	gv_alerts_config_free(&astore);
	gv_free(notice);
	for (size_t i = 0; i < r.n; i++)
		gv_free(r.v[i]);
	gv_free(r.v);
	return ret;
}
