/*
 * intel-bench STORE_URI N [BATCH] [--recorder JOURNAL_DIR]
 * (BATCH defaults to the recorder's default batch, GV_INTEL_BATCH_SIZE)
 *
 * Ingests N synthetic scan events into the store (the writer thread's path:
 * gv_intel_store_ingest in transactions of BATCH events, or with
 * --recorder the whole gv_intel_record -> queue -> writer path), then times
 * the report queries over everything stored. Prints key=value lines.
 *
 * The events look like a mid-size organisation's mail over 30 days:
 * 20,000 users, 5,000 senders, 2,000 domains, 20,000 URLs, 1,000 relay IPs,
 * 400 attachment hashes, 60 rules, 40 campaign names; 1-3 recipients,
 * 0-3 URLs, 1-2 IPs, 1-4 findings per message, a quarter with an
 * attachment, 30% quarantined or rejected. A fixed seed makes runs
 * comparable.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "intel/intel.h"
#include "util/util.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static char first_user[128] = "user:user0@corp.example"; /* neighbors root */

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* Skewed pick: a few hot values, a long tail (like real targeting). */
static uint32_t skew(uint32_t n)
{
	uint32_t a = rnd(n), b = rnd(n);
	return a < b ? a : b;
}

struct gen {
	struct gv_pool *pool;
	struct gv_intel_event ev;
};

static void make(struct gv_pool *p, struct gv_intel_event *ev, uint64_t i,
		 int64_t t0)
{
	memset(ev, 0, sizeof(*ev));
	/* 64 hex digits spread like the scan's BLAKE2b ids (record.c), so
	 * the uid index is written at random places as in production */
	uint64_t hx[4], mix = i * 0x9e3779b97f4a7c15ull + 1;
	for (int k = 0; k < 4; k++) {
		mix ^= mix >> 31;
		mix *= 0xbf58476d1ce4e5b9ull;
		mix ^= mix >> 27;
		hx[k] = mix;
	}
	ev->event_id = gv_psprintf(p, "%016" PRIx64 "%016" PRIx64 "%016" PRIx64
				   "%016" PRIx64, hx[0], hx[1], hx[2], hx[3]);
	ev->time = t0 + (int64_t)(i * (30ull * 86400) / 1000000ull) % (30 * 86400);
	ev->message_id = gv_psprintf(p, "<%" PRIu64 "@mx.example>", i);
	ev->subject = "Your invoice";
	uint32_t s = skew(5000);
	ev->from = gv_psprintf(p, "sender%u@d%u.example", s, s % 2000);
	ev->envelope_from = ev->from;
	size_t nr = 1 + rnd(3);
	const char **r = gv_palloc(p, nr * sizeof(*r));
	for (size_t k = 0; k < nr; k++)
		r[k] = gv_psprintf(p, "user%u@corp.example", skew(20000));
	ev->envelope_rcpts = r;
	ev->n_envelope_rcpts = nr;
	if (i == 0)
		snprintf(first_user, sizeof(first_user), "user:%s", r[0]);
	uint32_t roll = rnd(100);
	ev->action = roll < 20 ? GV_ACT_QUARANTINE :
		     roll < 30 ? GV_ACT_REJECT :
		     roll < 45 ? GV_ACT_TAG :
				 GV_ACT_ACCEPT;
	ev->score = ev->action * 25.0 + rnd(25);
	size_t nu = rnd(4);
	struct gv_intel_url *u = gv_palloc(p, (nu + 1) * sizeof(*u));
	for (size_t k = 0; k < nu; k++) {
		uint32_t id = skew(20000), d = id % 2000;
		u[k].domain = gv_psprintf(p, "d%u.example", d);
		u[k].host = gv_psprintf(p, "www.d%u.example", d);
		u[k].url = gv_psprintf(p, "https://www.d%u.example/p/%u", d, id);
	}
	ev->urls = u;
	ev->n_urls = nu;
	size_t ni = 1 + rnd(2);
	const char **ips = gv_palloc(p, ni * sizeof(*ips));
	for (size_t k = 0; k < ni; k++) {
		uint32_t x = skew(1000);
		ips[k] = gv_psprintf(p, "198.%u.%u.%u", 18 + x / 65536 % 2,
				     x / 256 % 256, x % 256);
	}
	ev->ips = ips;
	ev->n_ips = ni;
	size_t nf = 1 + rnd(4);
	struct gv_intel_finding *f = gv_palloc(p, nf * sizeof(*f));
	static const char *const an[] = { "url", "sender", "auth", "lure",
					  "attach", "text" };
	for (size_t k = 0; k < nf; k++) {
		uint32_t rule = skew(60);
		f[k].analyzer = an[rule % 6];
		f[k].rule_id = gv_psprintf(p, "%s.rule%u", an[rule % 6], rule);
		f[k].score = 5 + rnd(40);
		f[k].evidence = "synthetic";
		f[k].part = "1";
	}
	ev->findings = f;
	ev->n_findings = nf;
	if (rnd(4) == 0) {
		struct gv_intel_attachment *a = gv_palloc(p, sizeof(*a));
		uint32_t h = skew(400);
		a->name = "invoice.docm";
		a->type = h % 3 ? "application/pdf" :
				  "application/vnd.ms-word.document.macroEnabled.12";
		a->size = 1000 + h;
		a->sha256 = gv_psprintf(p, "%064x", h);
		ev->attachments = a;
		ev->n_attachments = 1;
	}
	if (ev->action >= GV_ACT_QUARANTINE && rnd(3) == 0)
		ev->campaign = gv_psprintf(p, "Operation %u", skew(40));
	ev->source = "bench";
}

static double report_ms(struct gv_intel_store *st,
			enum gv_intel_report_kind kind, const char *entity)
{
	struct gv_intel_report_query q = { .kind = kind,
					   .limit = 20,
					   .entity = entity };
	if (kind == GV_REPORT_TARGETED && entity != NULL) {
		/* "last 7 days" of the 30 the events span: the per-day
		 * rollup path instead of the all-time one. */
		q.entity = NULL;
		q.since = 1767225600 + 23 * 86400;
		q.until = 1767225600 + 30 * 86400;
	}
	char *json;
	const char *err;
	uint64_t t = gv_now_us();
	if (gv_intel_report(st, &q, &json, &err) < 0)
		gv_fatal("report: %s", err);
	double ms = (double)(gv_now_us() - t) / 1000.0;
	gv_free(json);
	return ms;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		gv_fatal("usage: intel-bench STORE_URI N [BATCH] "
			 "[--recorder JOURNAL_DIR]");
	uint64_t n, batch = GV_INTEL_BATCH_SIZE;
	if (gv_parse_u64(argv[2], 100000000, &n) < 0 ||
	    (argc > 3 && argv[3][0] != '-' &&
	     gv_parse_u64(argv[3], 1000000, &batch) < 0))
		gv_fatal("bad N or BATCH");
	const char *journal = NULL;
	bool gen_only = false;
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--recorder") == 0 && i + 1 < argc)
			journal = argv[i + 1];
		gen_only |= strcmp(argv[i], "--gen-only") == 0;
	}
	if (gen_only) {
		/* The cost of making the synthetic events, to subtract. */
		double c0 = gv_cpu_seconds();
		struct gv_intel_event ev;
		for (uint64_t i = 0; i < n; i += 1000) {
			struct gv_pool *p = gv_pool_new(1 << 20);
			for (uint64_t k = i; k < i + 1000 && k < n; k++)
				make(p, &ev, k, 1767225600);
			gv_pool_free(&p);
		}
		printf("generate_only events=%" PRIu64 " cpu_seconds=%.2f\n", n,
		       gv_cpu_seconds() - c0);
		return 0;
	}
	gv_log_set_level(GV_LOG_WARN);
	struct gv_intel_store_settings ss = { .uri = argv[1] };
	struct gv_intel_store *st;
	const char *err;
	if (gv_intel_store_open(&ss, &st, &err) < 0)
		gv_fatal("%s: %s", argv[1], err);
	int64_t t0 = 1767225600; /* 2026-01-01 */
	uint64_t start = gv_now_us();
	double cpu0 = gv_cpu_seconds();
	size_t stored = 0;
	/* ingest path: only the store's calls are timed (making the
	 * synthetic events is the harness's cost, printed apart) */
	uint64_t gen_us = 0;
	double gen_cpu = 0;
	if (journal == NULL) {
		struct gv_intel_event *evs = gv_calloc(batch, sizeof(*evs));
		const struct gv_intel_event **ptrs =
			gv_calloc(batch, sizeof(*ptrs));
		for (uint64_t i = 0; i < n; i += batch) {
			struct gv_pool *p = gv_pool_new(1 << 20);
			size_t m = (size_t)(n - i < batch ? n - i : batch);
			uint64_t g0 = gv_now_us();
			double gc0 = gv_cpu_seconds();
			for (size_t k = 0; k < m; k++) {
				make(p, &evs[k], i + k, t0);
				ptrs[k] = &evs[k];
			}
			gen_us += gv_now_us() - g0;
			gen_cpu += gv_cpu_seconds() - gc0;
			size_t ins;
			if (gv_intel_store_ingest(st, ptrs, m, &ins, &err) < 0)
				gv_fatal("ingest: %s", err);
			stored += ins;
			gv_pool_free(&p);
		}
		gv_free(evs);
		gv_free(ptrs);
	} else {
		mkdir(journal, 0700);
		struct gv_intel_recorder_settings rs = {
			.store = ss, .journal_dir = journal,
			.batch_size = (size_t)batch, .queue_size = (size_t)batch * 2
		};
		struct gv_intel_recorder *rec;
		if (gv_intel_recorder_start(&rs, &rec, &err) < 0)
			gv_fatal("recorder: %s", err);
		for (uint64_t i = 0; i < n; i++) {
			struct gv_pool *p = gv_pool_new(8192);
			struct gv_intel_event ev;
			make(p, &ev, i, t0);
			if (gv_intel_record(rec, &ev, &err) < 0)
				gv_fatal("record: %s", err);
			gv_pool_free(&p);
		}
		struct gv_intel_recorder_stats rst;
		if (gv_intel_recorder_stop(&rec, &rst, &err) != 1)
			gv_fatal("recorder stop: %s", err);
		stored = rst.stored;
		printf("journaled=%" PRIu64 "\n", rst.journaled);
	}
	double secs = (double)(gv_now_us() - start - gen_us) / 1e6;
	double cpu = gv_cpu_seconds() - cpu0 - gen_cpu;
	/* events per CPU second: the figure that does not depend on what else
	 * the (shared) machine runs; for PostgreSQL it leaves out the server's
	 * own CPU, so the wall-clock rate is the one to read there. */
	printf("backend=%s path=%s events=%" PRIu64 " stored=%zu batch=%" PRIu64
	       " seconds=%.2f events_per_s=%.0f cpu_seconds=%.2f"
	       " events_per_cpu_s=%.0f generate_seconds=%.2f\n",
	       gv_intel_store_backend(st), journal ? "recorder" : "ingest", n,
	       stored, batch, secs, (double)n / secs, cpu, (double)n / cpu,
	       (double)gen_us / 1e6);
	struct gv_intel_counts c;
	if (gv_intel_store_counts(st, &c, &err) < 0)
		gv_fatal("counts: %s", err);
	printf("store_events=%" PRIu64 " entities=%" PRIu64
	       " relations=%" PRIu64 " findings=%" PRIu64 "\n",
	       c.events, c.entities, c.relations, c.findings);
	/* Each report twice: the first run may read cold pages. */
	for (int round = 0; round < 2; round++)
		printf("round=%d targeted_ms=%.1f targeted_7d_ms=%.1f "
		       "malware_ms=%.1f campaigns_ms=%.1f "
		       "recommendations_ms=%.1f neighbors_ms=%.1f\n",
		       round, report_ms(st, GV_REPORT_TARGETED, NULL),
		       report_ms(st, GV_REPORT_TARGETED, "7d"),
		       report_ms(st, GV_REPORT_MALWARE, NULL),
		       report_ms(st, GV_REPORT_CAMPAIGNS, NULL),
		       report_ms(st, GV_REPORT_RECOMMENDATIONS, NULL),
		       report_ms(st, GV_REPORT_NEIGHBORS, first_user));
	gv_intel_store_close(&st);
	return 0;
}
