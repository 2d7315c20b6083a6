/*
 * Event ingestion: one transaction per batch. Each new event gets its row,
 * its message->entity edges (event_entity) and findings; everything that
 * is a sum (entity counts, entity-entity relations, the per-day rollups the
 * reports read) is aggregated in memory first and written once per batch,
 * which is what makes tens of thousands of events per second possible.
 * An event whose uid is already stored is skipped entirely, so replaying a
 * journal or retrying a batch never double-counts. Statement ids 20..39.
 */
#include "intel/intel-map.h"
#include "intel/intel-private.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct gv_sql_stmt q_event_ins = {
	20,
	"INSERT INTO event(uid, ts, day, message_id, subject, sender, action,"
	" score, campaign, source) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9,"
	" $10) ON CONFLICT(uid) DO NOTHING RETURNING id",
	NULL
};
/* Edges and findings are written with multi-row INSERTs of ROWS rows (the
 * statement text is built once): one statement execution per ROWS rows
 * instead of per row is most of the ingest speed. */
#define EDGE_ROWS 32
#define FINDING_ROWS 16
static char edge_sql[EDGE_ROWS * 24 + 128];
static char finding_sql[FINDING_ROWS * 48 + 160];
static const struct gv_sql_stmt q_edges = { 21, edge_sql, NULL };
static const struct gv_sql_stmt q_findings = { 22, finding_sql, NULL };
static const struct gv_sql_stmt q_edge1 = {
	26,
	"INSERT INTO event_entity(event, role, entity) VALUES($1, $2, $3)"
	" ON CONFLICT DO NOTHING",
	NULL
};
static const struct gv_sql_stmt q_finding1 = {
	27,
	"INSERT INTO finding(event, idx, analyzer, rule, score, evidence, part)"
	" VALUES($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
	NULL
};
static void build_sql(char *out, size_t size, const char *head, int cols,
		      int rows)
{
	size_t n = (size_t)snprintf(out, size, "%s VALUES", head);
	int k = 1;
	for (int r = 0; r < rows; r++) {
		n += (size_t)snprintf(out + n, size - n, "%s(", r ? "," : "");
		for (int c = 0; c < cols; c++)
			n += (size_t)snprintf(out + n, size - n, "%s$%d",
					      c ? "," : "", k++);
		n += (size_t)snprintf(out + n, size - n, ")");
	}
	snprintf(out + n, size - n, " ON CONFLICT DO NOTHING");
	gv_assert(n + 24 < size);
}

static void build_all(void)
{
	build_sql(edge_sql, sizeof(edge_sql),
		  "INSERT INTO event_entity(event, role, entity)", 3,
		  EDGE_ROWS);
	build_sql(finding_sql, sizeof(finding_sql),
		  "INSERT INTO finding(event, idx, analyzer, rule, score,"
		  " evidence, part)",
		  7, FINDING_ROWS);
}

/* Batch-wide sums and pending rows, flushed before commit. */
struct batch {
	struct gv_intel_store *st;
	struct gv_pool *pool;
	struct gv_sql_val *edges; /* 3 per edge */
	size_t n_edges, cap_edges;
	struct gv_sql_val *findings; /* 7 per finding */
	size_t n_findings, cap_findings;
	struct intel_agg campaign; /* (campaign,day,0) */
	struct intel_agg target_all; /* (user,0,0): all-time per user */
	struct intel_agg ent; /* (id,0,0) */
	struct intel_agg rel; /* (src,type,dst) */
	struct intel_agg target; /* (day,user,0) */
	struct intel_agg target_campaign; /* (day,user,campaign) */
	struct intel_agg stat; /* (day,kind,entity) */
};

/* The current event being ingested. seen[] holds the entities already
 * counted for it, so a URL linked five times counts one message. */
struct ev_ctx {
	struct batch *b;
	const struct gv_intel_event *ev;
	int64_t id, ts, day;
	bool mal;
	int64_t seen[1024];
	size_t n_seen;
	bool last_first; /* the last touch() met its entity for the first time */
};

/* true the first time id is met in this event (past 1024 distinct
 * entities, every later sighting counts: a bound on work per event). */
static bool first_time(struct ev_ctx *e, int64_t id)
{
	for (size_t i = 0; i < e->n_seen; i++)
		if (e->seen[i] == id)
			return false;
	if (e->n_seen < GV_ARRAY_LEN(e->seen))
		e->seen[e->n_seen++] = id;
	return true;
}

/* Appends one row of ncol values to a growing array (text values point
 * into the batch pool or the caller's events, alive until the flush). */
static void add_rows(struct gv_sql_val **arr, size_t *n, size_t *cap,
		     const struct gv_sql_val *row, size_t ncol)
{
	if (*n + ncol > *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		*arr = gv_realloc(*arr, gv_mul_size(*cap, sizeof(**arr)));
	}
	memcpy(*arr + *n, row, ncol * sizeof(*row));
	*n += ncol;
}

/* Resolves a value to an entity (normalised copy), records the edge from
 * the message and the sighting. Returns the id, 0 when the value is empty
 * or invalid, -1 on error. */
static int64_t touch(struct ev_ctx *e, enum gv_intel_kind kind,
		     const char *value, enum gv_intel_rel role,
		     const char **error_r)
{
	e->last_first = false;
	if (value == NULL || *value == '\0')
		return 0;
	char *v = gv_pstrndup(e->b->pool, value, strnlen(value, 4096));
	if (!intel_normalize(kind, v) && kind != GV_ENT_URL)
		return 0;
	int64_t id;
	if (intel_entity_id(e->b->st, kind, v, e->ts, &id, error_r) < 0)
		return -1;
	if (e->id > 0 && role != 0) {
		struct gv_sql_val p[3] = { GV_SQL_I(e->id), GV_SQL_I(role),
					   GV_SQL_I(id) };
		add_rows(&e->b->edges, &e->b->n_edges, &e->b->cap_edges, p, 3);
		e->last_first = first_time(e, id);
		if (e->last_first)
			intel_agg_add(&e->b->ent, id, 0, 0, e->ts, e->mal, 0);
	}
	return id;
}

static void relate(struct ev_ctx *e, int64_t src, enum gv_intel_rel type,
		   int64_t dst)
{
	if (src > 0 && dst > 0)
		intel_agg_add(&e->b->rel, src, type, dst, e->ts, e->mal, 0);
}

/* Per-day frequency: called right after the touch() that resolved id, so
 * it counts the message once only when that touch was the first. */
static void stat(struct ev_ctx *e, enum gv_intel_kind kind, int64_t id)
{
	if (id > 0 && e->last_first)
		intel_agg_add(&e->b->stat, e->day, kind, id, e->ts, e->mal, 0);
}

/* The skeleton of a lure URL: registrable domain plus the first path
 * segment with digits folded, so "x.com/inv/123" and "x.com/inv/456" meet. */
static char *lure_key(struct gv_pool *pool, const struct gv_intel_url *u)
{
	const char *dom = u->domain ? u->domain : u->host;
	if (dom == NULL || u->url == NULL)
		return NULL;
	const char *p = strstr(u->url, "://");
	p = p ? strchr(p + 3, '/') : NULL;
	char seg[64] = "";
	size_t n = 0;
	if (p != NULL)
		for (p++; *p && *p != '/' && *p != '?' && n < sizeof(seg) - 1;
		     p++)
			seg[n++] = (*p >= '0' && *p <= '9') ? '#' : *p;
	seg[n] = '\0';
	char *key = gv_psprintf(pool, "lure:%s/%s", dom, seg);
	gv_ascii_lower(key, strlen(key));
	return key;
}

/* Campaign of an event: the one attribution gave it, else a cluster key
 * from shared attachment hash, lure URL pattern or sending network. */
static const char *campaign_key(struct ev_ctx *e)
{
	const struct gv_intel_event *ev = e->ev;
	if (ev->campaign && *ev->campaign)
		return ev->campaign;
	if (ev->action == GV_ACT_ACCEPT)
		return NULL;
	for (size_t i = 0; i < ev->n_attachments; i++)
		if (ev->attachments[i].sha256)
			return gv_psprintf(e->b->pool, "attachment:%s",
					   ev->attachments[i].sha256);
	for (size_t i = 0; i < ev->n_urls; i++) {
		char *k = lure_key(e->b->pool, &ev->urls[i]);
		if (k)
			return k;
	}
	for (size_t i = 0; i < ev->n_ips; i++) {
		unsigned a, b, c;
		if (ev->ips[i] && sscanf(ev->ips[i], "%u.%u.%u.", &a, &b,
					 &c) == 3)
			return gv_psprintf(e->b->pool, "infra:%u.%u.%u.0/24",
					   a, b, c);
	}
	const char *d = intel_email_domain(ev->from ? ev->from :
						      ev->envelope_from);
	return d ? gv_psprintf(e->b->pool, "sender-domain:%s", d) : NULL;
}

static int add_parts(struct ev_ctx *e, int64_t sender, int64_t campaign,
		     const char **error_r)
{
	const struct gv_intel_event *ev = e->ev;
	const char *senders[] = { ev->envelope_from, ev->reply_to,
				  ev->return_path };
	for (size_t i = 0; i < GV_ARRAY_LEN(senders); i++)
		if (touch(e, GV_ENT_SENDER, senders[i], GV_REL_SENT_BY,
			  error_r) < 0)
			return -1;
	for (size_t i = 0; i < ev->n_envelope_rcpts; i++) {
		int64_t u = touch(e, GV_ENT_USER, ev->envelope_rcpts[i],
				  GV_REL_TARGETS, error_r);
		if (u < 0)
			return -1;
		if (u == 0 || !e->last_first)
			continue; /* invalid, or this user listed twice */
		intel_agg_add(&e->b->target, e->day, u, 0, e->ts, e->mal,
			      ev->score);
		intel_agg_add(&e->b->target_all, u, 0, 0, e->ts, e->mal,
			      ev->score);
		if (campaign > 0) {
			intel_agg_add(&e->b->target_campaign, e->day, u,
				      campaign, e->ts, e->mal, 0);
			relate(e, campaign, GV_REL_TARGETS, u);
		}
		relate(e, sender, GV_REL_TARGETS, u);
	}
	for (size_t i = 0; i < ev->n_urls; i++) {
		const struct gv_intel_url *u = &ev->urls[i];
		int64_t url = touch(e, GV_ENT_URL, u->url, GV_REL_LINKS_TO,
				    error_r);
		int64_t dom = url < 0 ? -1 :
			      touch(e, GV_ENT_DOMAIN,
				    u->domain ? u->domain : u->host,
				    GV_REL_LINKS_TO, error_r);
		if (dom < 0)
			return -1;
		relate(e, url, GV_REL_HOSTED_ON, dom);
	}
	for (size_t i = 0; i < ev->n_ips; i++) {
		int64_t ip = touch(e, GV_ENT_IP, ev->ips[i], GV_REL_SENT_FROM,
				   error_r);
		if (ip < 0)
			return -1;
		relate(e, sender, GV_REL_SENT_FROM, ip);
	}
	for (size_t i = 0; i < ev->n_attachments; i++) {
		const struct gv_intel_attachment *a = &ev->attachments[i];
		int64_t h = touch(e, GV_ENT_HASH, a->sha256 ? a->sha256 : a->md5,
				  GV_REL_HAS_ATTACHMENT, error_r);
		int64_t t = h < 0 ? -1 :
			    touch(e, GV_ENT_FILETYPE, a->type,
				  GV_REL_HAS_ATTACHMENT, error_r);
		if (t < 0)
			return -1;
		relate(e, h, GV_REL_IS_TYPE, t);
		stat(e, GV_ENT_FILETYPE, t);
	}
	for (size_t i = 0; i < ev->n_families; i++) {
		int64_t m = touch(e, GV_ENT_MALWARE, ev->families[i],
				  GV_REL_FAMILY, error_r);
		if (m < 0)
			return -1;
		stat(e, GV_ENT_MALWARE, m);
		relate(e, campaign, GV_REL_USES, m);
	}
	return 1;
}

static int add_findings(struct ev_ctx *e, const char **error_r)
{
	const struct gv_intel_event *ev = e->ev;
	for (size_t i = 0; i < ev->n_findings; i++) {
		const struct gv_intel_finding *f = &ev->findings[i];
		char *rule = gv_psprintf(e->b->pool, "%s/%s",
					 f->analyzer ? f->analyzer : "-",
					 f->rule_id ? f->rule_id : "-");
		int64_t r = touch(e, GV_ENT_RULE, rule, GV_REL_MATCHED_RULE,
				  error_r);
		if (r < 0)
			return -1;
		stat(e, GV_ENT_RULE, r);
		struct gv_sql_val p[7] = {
			GV_SQL_I(e->id),	   GV_SQL_I((int64_t)i),
			GV_SQL_S(f->analyzer), GV_SQL_S(f->rule_id),
			GV_SQL_D(f->score),	   GV_SQL_S(f->evidence),
			GV_SQL_S(f->part)
		};
		add_rows(&e->b->findings, &e->b->n_findings,
			 &e->b->cap_findings, p, 7);
	}
	return 1;
}

/* 1 stored, 0 duplicate, -1 error. */
static int ingest_one(struct batch *b, const struct gv_intel_event *ev,
		      const char **error_r)
{
	gv_assert(ev->event_id != NULL);
	struct ev_ctx e = { .b = b,
			    .ev = ev,
			    .ts = ev->time,
			    .day = ev->time / 86400,
			    .mal = GV_INTEL_MALICIOUS(ev->action) };
	const char *from = ev->from ? ev->from : ev->envelope_from;
	int64_t sender = touch(&e, GV_ENT_SENDER, from, 0, error_r);
	const char *ck = sender < 0 ? NULL : campaign_key(&e);
	int64_t campaign = ck ? touch(&e, GV_ENT_CAMPAIGN, ck, 0, error_r) : 0;
	if (sender < 0 || campaign < 0)
		return -1;
	struct gv_sql_val p[10] = {
		GV_SQL_S(ev->event_id), GV_SQL_I(e.ts),
		GV_SQL_I(e.day),	GV_SQL_S(ev->message_id),
		GV_SQL_S(ev->subject),	sender ? GV_SQL_I(sender) : GV_SQL_S(NULL),
		GV_SQL_I(ev->action),	GV_SQL_D(ev->score),
		campaign ? GV_SQL_I(campaign) : GV_SQL_S(NULL),
		GV_SQL_S(ev->source)
	};
	int rc = intel_sql_int(b->st, &q_event_ins, p, 10, &e.id, error_r);
	if (rc <= 0)
		return rc;
	/* Now that the event exists, its edges to sender and campaign. */
	if (sender > 0) {
		const char *f = from;
		if (touch(&e, GV_ENT_SENDER, f, GV_REL_SENT_BY, error_r) < 0)
			return -1;
	}
	if (ck && touch(&e, GV_ENT_CAMPAIGN, ck, GV_REL_PART_OF_CAMPAIGN,
			error_r) < 0)
		return -1;
	if (campaign > 0)
		intel_agg_add(&b->campaign, campaign, e.day, 0, e.ts, e.mal, 0);
	if (add_parts(&e, sender, campaign, error_r) < 0 ||
	    add_findings(&e, error_r) < 0)
		return -1;
	return 1;
}

/* Writes pending rows: full ROWS-row statements, then one row at a time. */
static int flush_rows(struct gv_intel_store *st, const struct gv_sql_val *v,
		      size_t nvals, size_t ncol, size_t rows,
		      const struct gv_sql_stmt *many,
		      const struct gv_sql_stmt *one, const char **error_r)
{
	size_t i = 0, chunk = ncol * rows;
	for (; i + chunk <= nvals; i += chunk)
		if (intel_sql_run(st, many, v + i, chunk, NULL, NULL,
				  error_r) < 0)
			return -1;
	for (; i < nvals; i += ncol)
		if (intel_sql_run(st, one, v + i, ncol, NULL, NULL, error_r) <
		    0)
			return -1;
	return 1;
}

static int flush_batch(struct batch *b, const char **error_r)
{
	struct gv_intel_store *st = b->st;
	uint64_t t0 = gv_now_us();
	if (flush_rows(st, b->edges, b->n_edges, 3, EDGE_ROWS, &q_edges,
		       &q_edge1, error_r) < 0 ||
	    flush_rows(st, b->findings, b->n_findings, 7, FINDING_ROWS,
		       &q_findings, &q_finding1, error_r) < 0)
		return -1;
	if (getenv("GV_INTEL_PROFILE"))
		fprintf(stderr, "step 9 rows %zu us %llu\n", b->n_edges / 3,
			(unsigned long long)(gv_now_us() - t0));
	struct {
		struct intel_agg *agg;
		enum intel_rollup which;
	} steps[] = {
		{ &b->campaign, INTEL_ROLLUP_CAMPAIGN },
		{ &b->ent, INTEL_ROLLUP_ENTITY },
		{ &b->rel, INTEL_ROLLUP_RELATION },
		{ &b->target, INTEL_ROLLUP_TARGET },
		{ &b->target_all, INTEL_ROLLUP_TARGET_ALL },
		{ &b->target_campaign, INTEL_ROLLUP_TARGET_CAMPAIGN },
		{ &b->stat, INTEL_ROLLUP_STAT },
	};
	for (size_t i = 0; i < GV_ARRAY_LEN(steps); i++) {
		uint64_t t = gv_now_us();
		if (intel_rollup_flush(st, steps[i].which, steps[i].agg,
				       error_r) < 0)
			return -1;
		if (getenv("GV_INTEL_PROFILE"))
			fprintf(stderr, "step %zu rows %zu us %llu\n", i,
				steps[i].agg->used,
				(unsigned long long)(gv_now_us() - t));
	}
	return 1;
}

int gv_intel_store_ingest(struct gv_intel_store *st,
			  const struct gv_intel_event *const *events, size_t n,
			  size_t *inserted_r, const char **error_r)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, build_all);
	struct batch b = { .st = st, .pool = gv_pool_new(65536) };
	intel_agg_init(&b.campaign);
	intel_agg_init(&b.target_all);
	intel_agg_init(&b.ent);
	intel_agg_init(&b.rel);
	intel_agg_init(&b.target);
	intel_agg_init(&b.target_campaign);
	intel_agg_init(&b.stat);
	size_t inserted = 0;
	uint64_t t0 = gv_now_us();
	int ret = intel_begin(st, error_r);
	for (size_t i = 0; ret > 0 && i < n; i++) {
		int rc = ingest_one(&b, events[i], error_r);
		if (rc < 0)
			ret = -1;
		else
			inserted += (size_t)rc;
	}
	if (getenv("GV_INTEL_PROFILE"))
		fprintf(stderr, "step 8 rows %zu us %llu\n", n,
			(unsigned long long)(gv_now_us() - t0));
	if (ret > 0)
		ret = flush_batch(&b, error_r);
	if (ret > 0)
		ret = intel_commit(st, error_r);
	else if (st->in_tx)
		intel_rollback(st);
	intel_agg_free(&b.campaign);
	intel_agg_free(&b.target_all);
	gv_free(b.edges);
	gv_free(b.findings);
	intel_agg_free(&b.ent);
	intel_agg_free(&b.rel);
	intel_agg_free(&b.target);
	intel_agg_free(&b.target_campaign);
	intel_agg_free(&b.stat);
	gv_pool_free(&b.pool);
	if (ret > 0 && inserted_r)
		*inserted_r = inserted;
	return ret;
}
