/*
 * What a scanner process does with a result besides answering the worker:
 * record it in the intelligence store and raise alerts (src/record), when
 * the configuration names an intel store / has an alerts: section.
 *
 * Journals: the recorder keeps one journal per directory, and several
 * scanners (of two generations during a reload) run at once. Each scanner
 * claims a slot directory JOURNAL_DIR/milter-K by an exclusive flock on
 * JOURNAL_DIR/milter-K.lock, held for its life; the lock goes with the
 * process, so the next scanner to claim a dead one's slot replays what it
 * left. Alerts: scanners only queue them in the outbox (queue_only); the
 * worker's alert thread delivers, so a slow webhook never holds a scan.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "milter/milter-private.h"
#include "record/record.h"

#define MAX_SLOTS 256

/* Claims a free journal slot under base; 1 and the slot path, or -1. */
static int claim_slot(const char *base, char *path, size_t cap, int *lock_fd_r,
		      const char **error_r)
{
	static char ebuf[600];
	if (mkdir(base, 0700) < 0 && errno != EEXIST) {
		snprintf(ebuf, sizeof(ebuf), "journal dir %.400s: %s", base,
			 strerror(errno));
		*error_r = ebuf;
		return -1;
	}
	for (int k = 0; k < MAX_SLOTS; k++) {
		char lock[4200];
		snprintf(lock, sizeof(lock), "%s/milter-%d.lock", base, k);
		int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			snprintf(ebuf, sizeof(ebuf), "%.400s: %s", lock,
				 strerror(errno));
			*error_r = ebuf;
			return -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			snprintf(path, cap, "%s/milter-%d", base, k);
			if (mkdir(path, 0700) < 0 && errno != EEXIST) {
				snprintf(ebuf, sizeof(ebuf), "%.400s: %s",
					 path, strerror(errno));
				*error_r = ebuf;
				close(fd);
				return -1;
			}
			*lock_fd_r = fd;
			return 1;
		}
		close(fd);
	}
	*error_r = "no free journal slot (256 scanners hold one each)";
	return -1;
}

static void start_intel(struct gv_milter_scanner_record *x,
			const char *config_path, struct gv_scan_engine *engine)
{
	struct gv_intel_config *cfg = NULL;
	const char *err = NULL;
	if (gv_intel_config_load(config_path, &cfg, &err) < 0) {
		gv_log(GV_LOG_ERROR, "event=intel_unavailable error=\"%s\"", err);
		return;
	}
	if (!cfg->store_configured) {
		gv_intel_config_free(&cfg);
		return;
	}
	char jdir[4200];
	struct gv_record_settings rs = {
		.store = { .uri = cfg->store,
			   .busy_timeout_ms = cfg->busy_timeout_ms },
		.journal_dir = jdir,
		.queue_size = cfg->queue_size,
		.batch_size = cfg->batch_size,
		.source = "milter",
	};
	if (claim_slot(cfg->journal_dir, jdir, sizeof(jdir), &x->lock_fd,
		       &err) < 0 ||
	    gv_record_start(&rs, engine, &x->rec, &err) < 0)
		/* scanning goes on without indicators and recording: the
		 * message must not wait for the store */
		gv_log(GV_LOG_ERROR, "event=intel_unavailable store=%s error=\"%s\"",
		       cfg->store, err);
	gv_intel_config_free(&cfg);
}

/* The alert sinks of the config's alerts: section; NULL without one (or
 * when it does not load: logged). */
static struct gv_alerts *alerts_of(const char *config_path, bool queue_only)
{
	struct gv_alerts_config ac = { 0 };
	void *storage = NULL;
	const char *err = NULL;
	if (config_path &&
	    gv_alerts_config_load(config_path, &ac, &storage, &err) < 0) {
		gv_log(GV_LOG_ERROR, "event=alerts_unavailable error=\"%s\"", err);
		return NULL;
	}
	struct gv_alerts *a = NULL;
	if (ac.configured) {
		ac.queue_only = queue_only;
		a = gv_alerts_new(&ac);
	}
	gv_alerts_config_free(&storage);
	return a;
}

void gv_milter_scanner_record_start(struct gv_milter_scanner_record *x,
				    const char *config_path,
				    struct gv_scan_engine *engine)
{
	*x = (struct gv_milter_scanner_record){ .lock_fd = -1 };
	start_intel(x, config_path, engine);
	x->alerts = alerts_of(config_path, true);
	if (x->alerts)
		gv_record_alerts(x->alerts, gv_record_recorder(x->rec));
}

void gv_milter_scanner_record(struct gv_milter_scanner_record *x,
			      const struct gv_scan_result *r,
			      const struct gv_scan_envelope *env, const char *qid)
{
	const char *err = NULL;
	if (x->rec && gv_record_scan(x->rec, r, env, &err) < 0)
		gv_log(GV_LOG_ERROR, "event=intel_not_recorded qid=%s error=\"%s\"",
		       qid, err ? err : "?");
	/* the time of receipt, unless the Date header is from the last two
	 * days: then a message retried after a tempfail keeps its alert id */
	int64_t now = (int64_t)time(NULL);
	if (x->alerts &&
	    gv_alerts_verdict(x->alerts, r, env, "milter",
			      gv_record_message_time(r->msg, now, 2 * 86400),
			      &err) < 0)
		gv_log(GV_LOG_ERROR, "event=alert_failed qid=%s error=\"%s\"",
		       qid, err ? err : "?");
}

void gv_milter_scanner_record_stop(struct gv_milter_scanner_record *x)
{
	gv_alerts_free(&x->alerts);
	const char *err = NULL;
	if (x->rec && gv_record_stop(&x->rec, NULL, &err) < 0)
		gv_log(GV_LOG_ERROR, "event=intel_events_lost error=\"%s\"",
		       err ? err : "?");
	if (x->lock_fd >= 0)
		close(x->lock_fd);
	x->lock_fd = -1;
}

static void *alerts_thread(void *arg)
{
	struct gv_alerts *a = arg;
	for (;;) {
		gv_alerts_flush(a, 1000);
		struct timespec ts = { 0, 500 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return NULL;
}

void gv_milter_alerts_thread_start(const char *config_path)
{
	/* lives as long as the worker */
	struct gv_alerts *a = alerts_of(config_path, false);
	pthread_t th;
	if (a && pthread_create(&th, NULL, alerts_thread, a) == 0)
		pthread_detach(th);
	else if (a)
		gv_log(GV_LOG_ERROR, "event=alerts_unavailable error=\"no thread\"");
}
