/*
 * geneva watch [options] LOGFILE…
 *
 * Reads IMAP server logs (Dovecot 2.3), reports bulk mailbox downloads and
 * copies, and sends them as alerts (src/respond). Without --follow the
 * files are read once (exit 1 when something was found); with --follow
 * they are followed across rotation until SIGINT/SIGTERM, and the state
 * file keeps positions and baselines so a restart neither misses nor
 * repeats an alert.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/alert-glue.h"
#include "cli/commands.h"
#include "cli/intel-cli.h"
#include "respond/respond.h"
#include "util/util.h"
#include "watch/watch.h"

#define DEFAULT_CONFIG "/etc/geneva/geneva.yaml"
#define DEFAULT_STATE "/var/lib/geneva/watch.state"

struct watch_run {
	struct gv_alerts *alerts; /* NULL with --no-alerts */
	bool json;
	unsigned found;
	bool emit_failed;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: geneva watch [options] LOGFILE...\n"
		"Report bulk mailbox downloads and copies in IMAP server logs "
		"(Dovecot 2.3).\n\n"
		"  -c, --config FILE  geneva.yaml (sections watch: and alerts:)\n"
		"  -f, --follow       keep following the logs (rotation-safe)\n"
		"  -s, --state FILE   positions and baselines (default with "
		"--follow:\n"
		"                     watch.state_file or " DEFAULT_STATE ")\n"
		"      --json         one alert per line as JSON "
		"(docs/alerts.md)\n"
		"      --stats        print line counters to stderr at the end\n"
		"      --no-alerts    print findings only; send nothing\n"
		"      --spool DIR    alert spool (overrides alerts.spool_dir)\n"
		"      --webhook URL  alert webhook (overrides "
		"alerts.webhook.url)\n"
		"      --db PATH | --store URI  keep alerts in this intel store\n"
		"                     (else intel.store when the config names one)\n"
		"exit: 0 nothing found, 1 found, 2 error.\n");
}

static const char *fmt_share(double share, char *buf, size_t cap)
{
	if (share < 0)
		snprintf(buf, cap, "unknown");
	else
		snprintf(buf, cap, "%.0f%%", share * 100);
	return buf;
}

/* Turns a finding into the common alert model and emits it. */
static void on_finding(void *ctx, const struct gv_watch_finding *f)
{
	struct watch_run *r = ctx;
	static const char *verbs[] = { "downloaded", "copied",
				       "downloaded or copied" };
	char title[512], summary[1500], notice[1200], ts[32], share[16];
	char msgs[24], bytes[24], usual[24], start[24], sev[8];
	struct gv_alert al;
	time_t tt = (time_t)f->time;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fmt_share(f->share, share, sizeof(share));
	snprintf(msgs, sizeof(msgs), "%llu", (unsigned long long)f->messages);
	snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)f->bytes);
	snprintf(usual, sizeof(usual), "%llu",
		 (unsigned long long)f->usual_messages);
	snprintf(start, sizeof(start), "%lld", (long long)f->session_start);
	snprintf(sev, sizeof(sev), "%d", f->severity);
	const char *verb = verbs[f->kind];
	snprintf(title, sizeof(title), "Mailbox of %s %s in bulk (%s "
		 "messages, %s of the mailbox)", f->user, verb,
		 f->messages ? msgs : "all", share);
	snprintf(summary, sizeof(summary),
		 "%s %s %s %s message%s (%s bytes) of %s, %s of the mailbox, "
		 "from IP %s%s%s at %s.%s%s%s Usual per session: %s.",
		 f->kind == GV_WATCH_WINDOW ? "Sessions of" : "A session of",
		 f->user, verb, f->messages ? msgs : "all",
		 f->messages == 1 ? "" : "s",
		 bytes, f->mailbox[0] ? f->mailbox : "the mailbox", share,
		 f->rip[0] ? f->rip : "unknown",
		 f->client[0] ? " with client " : "", f->client, ts,
		 f->new_ip ? " The IP is new for this user." : "",
		 f->new_client ? " The client is new for this user." : "",
		 f->unusual_hour ? " The hour is unusual for this user." : "",
		 usual);
	snprintf(notice, sizeof(notice),
		 "Your mailbox (%s) was %s from IP address %s at %s: %s "
		 "messages, %s of the mailbox%s%s.", f->user, verb,
		 f->rip[0] ? f->rip : "(unknown)", ts,
		 f->messages ? msgs : "all", share,
		 f->client[0] ? ", by the mail program " : "", f->client);
	gv_alert_init(&al, GV_ALERT_MAILBOX, (enum gv_severity)f->severity,
		      "watch");
	al.subject_user = f->user;
	al.title = title;
	al.summary = summary;
	al.user_notice = notice;
	al.dedup_key = f->dedup_key;
	al.time = f->time;
	gv_alert_add(&al, "finding", f->kind == GV_WATCH_DOWNLOAD ? "download" :
		     f->kind == GV_WATCH_COPY ? "copy" : "window");
	gv_alert_add(&al, "session", f->session);
	gv_alert_add(&al, "rip", f->rip);
	gv_alert_add(&al, "client", f->client);
	gv_alert_add(&al, "service", f->service);
	gv_alert_add(&al, "mailbox", f->mailbox);
	gv_alert_add(&al, "messages", msgs);
	gv_alert_add(&al, "bytes", bytes);
	gv_alert_add(&al, "share", share);
	gv_alert_add(&al, "whole_mailbox", f->whole_mailbox ? "yes" : "no");
	gv_alert_add(&al, "new_ip", f->new_ip ? "yes" : "no");
	gv_alert_add(&al, "new_client", f->new_client ? "yes" : "no");
	gv_alert_add(&al, "unusual_hour", f->unusual_hour ? "yes" : "no");
	gv_alert_add(&al, "usual_messages", usual);
	gv_alert_add(&al, "session_start", start);
	const char *id = "-", *err = NULL;
	if (r->alerts) {
		int e = gv_alert_emit(r->alerts, &al, &err);
		if (e < 0) {
			fprintf(stderr, "geneva: alerts: %s\n", err);
			r->emit_failed = true;
		} else if (e == 0) {
			/* the same alert again (e.g. the rest of a session's
			 * log lines read after a restart): already reported,
			 * so neither printed nor counted again */
			return;
		}
		id = gv_alerts_last_id(r->alerts);
	}
	r->found++;
	if (r->json) {
		char *j = gv_alert_to_json(&al, id);
		printf("%s\n", j);
		gv_free(j);
	} else {
		printf("%s severity=%s user=%s rip=%s %s id=%s\n", ts,
		       gv_severity_name(al.severity), f->user, f->rip, title, id);
	}
	fflush(stdout);
}

static int run_loop(struct gv_watch *w, struct watch_run *r, bool follow,
		    const char *state, uint32_t poll_ms)
{
	const char *err = NULL;
	uint64_t last_save = gv_now_ms(), save_cost = 0;
	do {
		unsigned before = r->found;
		if (gv_watch_poll(w, &err) < 0) {
			fprintf(stderr, "geneva: %s: cannot read\n", err);
			return 2;
		}
		/* save right after findings so a restart does not repeat them;
		 * else every 2 s, or less often when the state is big (at most
		 * 5 % of the time goes to saving) */
		uint64_t every = save_cost * 20 > 2000 ? save_cost * 20 : 2000;
		if (state && gv_watch_state_dirty(w) &&
		    (r->found != before || !follow ||
		     gv_now_ms() - last_save > every)) {
			uint64_t t0 = gv_now_ms();
			if (gv_watch_state_save(w, state, &err) < 0) {
				fprintf(stderr, "geneva: %s: %s\n", state, err);
				return 2;
			}
			last_save = gv_now_ms();
			save_cost = last_save - t0;
		}
		if (r->alerts)
			gv_alerts_flush(r->alerts, 0);
		if (follow && !stop_requested) {
			struct timespec ts = { poll_ms / 1000,
					       (long)(poll_ms % 1000) * 1000000 };
			nanosleep(&ts, NULL);
		}
	} while (follow && !stop_requested);
	if (state && gv_watch_state_save(w, state, &err) < 0) {
		fprintf(stderr, "geneva: %s: %s\n", state, err);
		return 2;
	}
	return 0;
}

int gv_cmd_watch(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "follow", no_argument, NULL, 'f' },
		{ "state", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "stats", no_argument, NULL, 'S' },
		{ "no-alerts", no_argument, NULL, 'n' },
		{ "spool", required_argument, NULL, 'p' },
		{ "webhook", required_argument, NULL, 'w' },
		{ "db", required_argument, NULL, 'D' },
		{ "store", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *state = NULL, *spool = NULL, *hook = NULL;
	bool follow = false, stats = false, no_alerts = false;
	struct watch_run r = { 0 };
	struct gv_cli_store_opts so = { 0 };
	struct gv_intel_recorder *rec = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:fs:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'f': follow = true; break;
		case 's': state = optarg; break;
		case 'j': r.json = true; break;
		case 'S': stats = true; break;
		case 'n': no_alerts = true; break;
		case 'p': spool = optarg; break;
		case 'w': hook = optarg; break;
		case 'D': so.db = optarg; break;
		case 'B': so.store = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (config == NULL)
		config = DEFAULT_CONFIG;
	struct gv_watch_file_config wc;
	struct gv_alerts_config ac;
	void *wstore = NULL, *astore = NULL;
	const char *err = NULL;
	if (gv_watch_config_load(config, &wc, &wstore, &err) < 0 ||
	    gv_alerts_config_load(config, &ac, &astore, &err) < 0) {
		fprintf(stderr, "geneva: %s: %s\n", config, err);
		gv_watch_config_free(&wstore);
		return 2;
	}
	if (state == NULL && follow)
		state = wc.state_file ? wc.state_file : DEFAULT_STATE;
	if (spool)
		ac.spool_dir = spool;
	if (hook)
		ac.webhook_url = hook;
	struct gv_watch *w = gv_watch_new(&wc.detector, on_finding, &r);
	int ret = 2;
	if (state && gv_watch_state_load(w, state, &err) < 0) {
		fprintf(stderr, "geneva: %s: %s\n", state, err);
		goto out;
	}
	size_t nfiles = 0;
	for (int i = optind; i < argc; i++, nfiles++)
		gv_watch_add_file(w, argv[i]);
	for (size_t i = 0; nfiles == 0 && i < wc.n_logs; i++)
		gv_watch_add_file(w, wc.logs[i]);
	if (optind >= argc && wc.n_logs == 0) {
		usage(stderr);
		goto out;
	}
	so.config = config;
	if (gv_cli_intel_recorder_start(&so, true, &rec) < 0)
		goto out;
	if (!no_alerts) {
		r.alerts = gv_alerts_new(&ac);
		gv_cli_alerts_attach(r.alerts, rec);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ret = run_loop(w, &r, follow, state, wc.poll_ms ? wc.poll_ms : 200);
	if (ret == 0)
		ret = r.emit_failed ? 2 : r.found ? 1 : 0;
	if (stats) {
		struct gv_watch_stats st;
		gv_watch_get_stats(w, &st);
		fprintf(stderr, "lines=%llu events=%llu ignored=%llu blank=%llu "
			"garbage=%llu findings=%llu users=%llu sessions_open=%llu "
			"cpu_s=%.3f\n", (unsigned long long)st.lines,
			(unsigned long long)st.events,
			(unsigned long long)st.ignored,
			(unsigned long long)st.blank,
			(unsigned long long)st.garbage,
			(unsigned long long)st.findings,
			(unsigned long long)st.users,
			(unsigned long long)st.sessions_open, gv_cpu_seconds());
	}
out:
	gv_alerts_free(&r.alerts);
	if (gv_cli_intel_recorder_stop(&rec) < 0)
		ret = 2;
	gv_watch_free(&w);
	gv_watch_config_free(&wstore);
	gv_alerts_config_free(&astore);
	return ret;
}
