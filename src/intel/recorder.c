/*
 * The recorder: scanning threads hand events (and other detectors their
 * alerts and lookalikes: one queue of typed records) to a bounded
 * in-memory queue and go on; one writer thread of its own takes them in batches and stores
 * each batch in one transaction. When the store cannot be reached (or a
 * batch fails), the batch goes to the on-disk journal and the writer tries
 * to reconnect every retry_ms; once back, the journal is replayed before
 * new events, so the store sees events in order and none is lost. A full
 * queue does not block the scan: the caller appends its event to the
 * journal itself. Only when the journal cannot be written either (disk
 * full) is an event lost, and that is reported loudly (log + stats + the
 * result of gv_intel_recorder_stop).
 */
#include "intel/intel-journal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

struct item {
	struct gv_pool *pool;
	struct intel_rec rec;
};

struct gv_intel_recorder {
	struct gv_intel_recorder_settings set;
	char *uri, *journal_dir;
	struct intel_journal journal;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t has_work, idle;
	struct item *ring;
	size_t cap, head, count;
	bool stopping, busy;
	struct gv_intel_store *store; /* writer thread only */
	uint64_t next_try_ms;
	struct gv_intel_recorder_stats stats;
	char error[600];
	bool lost_any;
};

/* ---- deep copy (the caller's memory may go right after record) ---- */

static const char *dup(struct gv_pool *p, const char *s)
{
	return s ? gv_pstrdup(p, s) : NULL;
}

static const char *const *dupv(struct gv_pool *p, const char *const *v,
			       size_t n)
{
	const char **out = gv_palloc(p, (n + 1) * sizeof(*out));
	for (size_t i = 0; i < n; i++)
		out[i] = dup(p, v[i]);
	return out;
}

static struct gv_intel_event *event_copy(struct gv_pool *p,
					 const struct gv_intel_event *in)
{
	struct gv_intel_event *ev = gv_palloc(p, sizeof(*ev));
	*ev = *in;
	if (in->event_id == NULL) {
		unsigned char r[16];
		char hex[33];
		if (getrandom(r, sizeof(r), 0) != sizeof(r))
			gv_fatal("getrandom failed: %s", strerror(errno));
		intel_hex(r, sizeof(r), hex);
		ev->event_id = gv_pstrdup(p, hex);
	} else {
		ev->event_id = dup(p, in->event_id);
	}
	if (ev->time == 0)
		ev->time = (int64_t)time(NULL);
	ev->message_id = dup(p, in->message_id);
	ev->envelope_from = dup(p, in->envelope_from);
	ev->envelope_rcpts = dupv(p, in->envelope_rcpts, in->n_envelope_rcpts);
	ev->from = dup(p, in->from);
	ev->reply_to = dup(p, in->reply_to);
	ev->return_path = dup(p, in->return_path);
	ev->subject = dup(p, in->subject);
	ev->ips = dupv(p, in->ips, in->n_ips);
	ev->campaign = dup(p, in->campaign);
	ev->families = dupv(p, in->families, in->n_families);
	ev->source = dup(p, in->source);
	struct gv_intel_finding *f =
		gv_palloc(p, (in->n_findings + 1) * sizeof(*f));
	for (size_t i = 0; i < in->n_findings; i++) {
		f[i] = in->findings[i];
		f[i].analyzer = dup(p, f[i].analyzer);
		f[i].rule_id = dup(p, f[i].rule_id);
		f[i].evidence = dup(p, f[i].evidence);
		f[i].part = dup(p, f[i].part);
	}
	ev->findings = f;
	struct gv_intel_url *u = gv_palloc(p, (in->n_urls + 1) * sizeof(*u));
	for (size_t i = 0; i < in->n_urls; i++) {
		u[i].url = dup(p, in->urls[i].url);
		u[i].host = dup(p, in->urls[i].host);
		u[i].domain = dup(p, in->urls[i].domain);
		u[i].source = dup(p, in->urls[i].source);
	}
	ev->urls = u;
	struct gv_intel_attachment *a =
		gv_palloc(p, (in->n_attachments + 1) * sizeof(*a));
	for (size_t i = 0; i < in->n_attachments; i++) {
		a[i] = in->attachments[i];
		a[i].name = dup(p, a[i].name);
		a[i].type = dup(p, a[i].type);
		a[i].sha256 = dup(p, a[i].sha256);
		a[i].md5 = dup(p, a[i].md5);
	}
	ev->attachments = a;
	return ev;
}

static struct gv_intel_alert *alert_copy(struct gv_pool *p,
					 const struct gv_intel_alert *in)
{
	struct gv_intel_alert *a = gv_palloc(p, sizeof(*a));
	*a = *in;
	a->key = dup(p, in->key);
	a->detector = dup(p, in->detector);
	a->kind = dup(p, in->kind);
	a->user = dup(p, in->user);
	a->ip = dup(p, in->ip);
	a->domain = dup(p, in->domain);
	a->title = dup(p, in->title);
	a->summary = dup(p, in->summary);
	a->details = dup(p, in->details);
	if (a->time == 0)
		a->time = (int64_t)time(NULL);
	return a;
}

static struct gv_intel_lookalike *
lookalike_copy(struct gv_pool *p, const struct gv_intel_lookalike *in)
{
	struct gv_intel_lookalike *l = gv_palloc(p, sizeof(*l));
	*l = *in;
	l->domain = dup(p, in->domain);
	l->brand = dup(p, in->brand);
	l->technique = dup(p, in->technique);
	l->source = dup(p, in->source);
	if (l->first_seen == 0)
		l->first_seen = (int64_t)time(NULL);
	return l;
}

/* ---- storing a mixed batch ---- */

int intel_store_recs(struct gv_intel_store *st, const struct intel_rec *recs,
		     size_t n, size_t *inserted_r, const char **error_r)
{
	const void **by[3];
	size_t cnt[3] = { 0, 0, 0 };
	for (int t = 0; t < 3; t++)
		by[t] = gv_calloc(n + 1, sizeof(*by[t]));
	for (size_t i = 0; i < n; i++) {
		int t = (int)recs[i].type;
		by[t][cnt[t]++] = recs[i].p;
	}
	size_t ins[3] = { 0, 0, 0 };
	int rc = 1;
	if (cnt[INTEL_REC_EVENT] > 0)
		rc = gv_intel_store_ingest(
			st, (const struct gv_intel_event *const *)by[0], cnt[0],
			&ins[0], error_r);
	if (rc > 0 && cnt[INTEL_REC_ALERT] > 0)
		rc = gv_intel_store_alerts(
			st, (const struct gv_intel_alert *const *)by[1], cnt[1],
			&ins[1], error_r);
	if (rc > 0 && cnt[INTEL_REC_LOOKALIKE] > 0)
		rc = gv_intel_store_lookalikes(
			st, (const struct gv_intel_lookalike *const *)by[2],
			cnt[2], &ins[2], error_r);
	for (int t = 0; t < 3; t++)
		gv_free(by[t]);
	if (rc > 0)
		*inserted_r = ins[0] + ins[1] + ins[2];
	return rc;
}

/* ---- writer side ---- */

static void note_lost(struct gv_intel_recorder *r, size_t n, const char *why)
{
	pthread_mutex_lock(&r->lock);
	r->stats.lost += n;
	r->lost_any = true;
	snprintf(r->error, sizeof(r->error), "%zu event(s) not recorded: %s",
		 n, why);
	pthread_mutex_unlock(&r->lock);
	gv_log(GV_LOG_ERROR, "intel recorder lost=%zu reason=\"%s\"", n, why);
}

static void store_down(struct gv_intel_recorder *r, const char *why)
{
	if (r->store != NULL)
		gv_log(GV_LOG_WARN, "intel store unreachable, journaling: %s",
		       why);
	gv_intel_store_close(&r->store);
	r->next_try_ms = gv_now_ms() + (r->set.retry_ms ? r->set.retry_ms :
							   1000);
}

static int replay_cb(void *ctx, const struct intel_rec *recs, size_t n,
		     const char **error_r)
{
	struct gv_intel_recorder *r = ctx;
	size_t ins = 0;
	if (intel_store_recs(r->store, recs, n, &ins, error_r) < 0)
		return -1;
	pthread_mutex_lock(&r->lock);
	r->stats.replayed += n;
	r->stats.stored += ins;
	r->stats.duplicates += n - ins;
	r->stats.batches++;
	pthread_mutex_unlock(&r->lock);
	return 1;
}

/* Makes sure the store is open and the journal replayed; false when the
 * store is (still) unreachable. */
static bool store_ready(struct gv_intel_recorder *r)
{
	const char *err;
	if (r->store == NULL) {
		if (gv_now_ms() < r->next_try_ms)
			return false;
		struct gv_intel_store_settings s = r->set.store;
		s.uri = r->uri;
		if (gv_intel_store_open(&s, &r->store, &err) < 0) {
			store_down(r, err);
			return false;
		}
		gv_log(GV_LOG_INFO, "intel store reachable store=%s",
		       gv_intel_store_backend(r->store));
	}
	if (intel_journal_has_records(&r->journal)) {
		size_t n;
		if (intel_journal_replay(&r->journal, r->set.batch_size,
					 replay_cb, r, &n, &err) < 0) {
			store_down(r, err);
			return false;
		}
		gv_log(GV_LOG_INFO, "intel journal replayed events=%zu", n);
	}
	return true;
}

static void write_batch(struct gv_intel_recorder *r,
			const struct intel_rec *recs, size_t n)
{
	const char *err;
	if (store_ready(r)) {
		size_t ins = 0;
		if (intel_store_recs(r->store, recs, n, &ins, &err) > 0) {
			pthread_mutex_lock(&r->lock);
			r->stats.stored += ins;
			r->stats.duplicates += n - ins;
			r->stats.batches++;
			pthread_mutex_unlock(&r->lock);
			return;
		}
		store_down(r, err);
	}
	if (intel_journal_append(&r->journal, recs, n, &err) < 0) {
		note_lost(r, n, err);
		return;
	}
	pthread_mutex_lock(&r->lock);
	r->stats.journaled += n;
	pthread_mutex_unlock(&r->lock);
}

static void *writer(void *arg)
{
	struct gv_intel_recorder *r = arg;
	size_t max = r->set.batch_size;
	struct intel_rec *recs = gv_calloc(max, sizeof(*recs));
	struct gv_pool **pools = gv_calloc(max, sizeof(*pools));
	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (r->count == 0 && !r->stopping) {
			r->busy = false;
			pthread_cond_broadcast(&r->idle);
			if (intel_journal_has_records(&r->journal)) {
				/* Journaled events wait: retry the store (and
				 * replay) every 200 ms while idle. */
				struct timespec ts;
				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_nsec += 200 * 1000000L;
				if (ts.tv_nsec >= 1000000000L) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000L;
				}
				pthread_cond_timedwait(&r->has_work, &r->lock,
						       &ts);
				if (r->count == 0 && !r->stopping) {
					r->busy = true;
					pthread_mutex_unlock(&r->lock);
					store_ready(r);
					pthread_mutex_lock(&r->lock);
				}
				continue;
			}
			pthread_cond_wait(&r->has_work, &r->lock);
		}
		if (r->count == 0 && r->stopping)
			break;
		r->busy = true;
		size_t n = 0;
		while (n < max && r->count > 0) {
			struct item *it = &r->ring[r->head];
			recs[n] = it->rec;
			pools[n++] = it->pool;
			r->head = (r->head + 1) % r->cap;
			r->count--;
		}
		pthread_mutex_unlock(&r->lock);
		write_batch(r, recs, n);
		for (size_t i = 0; i < n; i++)
			gv_pool_free(&pools[i]);
		pthread_mutex_lock(&r->lock);
	}
	r->busy = false;
	pthread_cond_broadcast(&r->idle);
	pthread_mutex_unlock(&r->lock);
	gv_free(recs);
	gv_free(pools);
	return NULL;
}

/* ---- public ---- */

int gv_intel_recorder_start(const struct gv_intel_recorder_settings *set,
			    struct gv_intel_recorder **rec_r,
			    const char **error_r)
{
	if (set->journal_dir == NULL || set->store.uri == NULL) {
		*error_r = "intel recorder: store and journal_dir are required";
		return -1;
	}
	struct gv_intel_recorder *r = gv_calloc(1, sizeof(*r));
	r->set = *set;
	r->uri = gv_strdup(set->store.uri);
	r->journal_dir = gv_strdup(set->journal_dir);
	r->set.journal_dir = r->journal_dir;
	r->set.store.uri = r->uri;
	if (r->set.queue_size == 0)
		r->set.queue_size = GV_INTEL_QUEUE_SIZE;
	if (r->set.batch_size == 0)
		r->set.batch_size = GV_INTEL_BATCH_SIZE;
	r->cap = r->set.queue_size;
	if (intel_journal_open(&r->journal, r->journal_dir, error_r) < 0) {
		static __thread char buf[4300];
		snprintf(buf, sizeof(buf), "%s", *error_r);
		*error_r = buf;
		gv_free(r->uri);
		gv_free(r->journal_dir);
		gv_free(r);
		return -1;
	}
	r->ring = gv_calloc(r->cap, sizeof(*r->ring));
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->has_work, NULL);
	pthread_cond_init(&r->idle, NULL);
	r->busy = true; /* until the first pass: replays an old journal */
	int rc = pthread_create(&r->thread, NULL, writer, r);
	if (rc != 0)
		gv_fatal("intel recorder: pthread_create: %s", strerror(rc));
	*rec_r = r;
	return 1;
}

/* Queues one record (its pool goes with it), or journals it from the
 * caller's thread when the queue is full. */
static int enqueue(struct gv_intel_recorder *r, struct gv_pool *pool,
		   struct intel_rec rec, const char **error_r)
{
	pthread_mutex_lock(&r->lock);
	r->stats.recorded++;
	if (r->count < r->cap) {
		r->ring[(r->head + r->count) % r->cap] =
			(struct item){ .pool = pool, .rec = rec };
		r->count++;
		pthread_cond_signal(&r->has_work);
		pthread_mutex_unlock(&r->lock);
		return 1;
	}
	pthread_mutex_unlock(&r->lock);
	/* Queue full: journal it here rather than wait for the writer. */
	int rc = intel_journal_append(&r->journal, &rec, 1, error_r);
	gv_pool_free(&pool);
	if (rc < 0) {
		note_lost(r, 1, *error_r);
		return -1;
	}
	pthread_mutex_lock(&r->lock);
	r->stats.journaled++;
	pthread_mutex_unlock(&r->lock);
	return 1;
}

int gv_intel_record(struct gv_intel_recorder *r,
		    const struct gv_intel_event *event, const char **error_r)
{
	struct gv_pool *pool = gv_pool_new(2048);
	struct gv_intel_event *ev = event_copy(pool, event);
	return enqueue(r, pool, (struct intel_rec){ INTEL_REC_EVENT, ev },
		       error_r);
}

int gv_intel_record_alert(struct gv_intel_recorder *r,
			  const struct gv_intel_alert *alert,
			  const char **error_r)
{
	if (alert->key == NULL || *alert->key == '\0') {
		*error_r = "intel: an alert needs a key";
		return -1;
	}
	struct gv_pool *pool = gv_pool_new(2048);
	struct gv_intel_alert *a = alert_copy(pool, alert);
	return enqueue(r, pool, (struct intel_rec){ INTEL_REC_ALERT, a },
		       error_r);
}

int gv_intel_record_lookalike(struct gv_intel_recorder *r,
			      const struct gv_intel_lookalike *lk,
			      const char **error_r)
{
	if (lk->domain == NULL || *lk->domain == '\0' || lk->brand == NULL ||
	    *lk->brand == '\0') {
		*error_r = "intel: a lookalike needs a domain and a brand";
		return -1;
	}
	struct gv_pool *pool = gv_pool_new(1024);
	struct gv_intel_lookalike *l = lookalike_copy(pool, lk);
	return enqueue(r, pool, (struct intel_rec){ INTEL_REC_LOOKALIKE, l },
		       error_r);
}

void gv_intel_recorder_flush(struct gv_intel_recorder *r)
{
	pthread_mutex_lock(&r->lock);
	while (r->count > 0 || r->busy)
		pthread_cond_wait(&r->idle, &r->lock);
	pthread_mutex_unlock(&r->lock);
}

int gv_intel_recorder_stop(struct gv_intel_recorder **rp,
			   struct gv_intel_recorder_stats *stats_r,
			   const char **error_r)
{
	struct gv_intel_recorder *r = *rp;
	*rp = NULL;
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	pthread_cond_signal(&r->has_work);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	/* One last chance for journaled events (store back just now). */
	r->next_try_ms = 0;
	bool clean = store_ready(r) &&
		     !intel_journal_has_records(&r->journal);
	gv_intel_store_close(&r->store);
	intel_journal_close(&r->journal);
	if (stats_r)
		*stats_r = r->stats;
	int ret = r->lost_any ? -1 : clean ? 1 : 0;
	static __thread char buf[600];
	if (r->lost_any) {
		snprintf(buf, sizeof(buf), "intel recorder: %.500s", r->error);
		*error_r = buf;
	} else if (!clean) {
		snprintf(buf, sizeof(buf), "intel recorder: store unreachable; "
			 "events kept in %.400s/intel.journal", r->journal_dir);
		*error_r = buf;
	}
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->has_work);
	pthread_cond_destroy(&r->idle);
	gv_free(r->ring);
	gv_free(r->uri);
	gv_free(r->journal_dir);
	gv_free(r);
	return ret;
}
