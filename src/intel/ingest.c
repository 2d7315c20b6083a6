/*
 * Event ingestion: one transaction per batch. Each new event gets its row
 * (with its message->entity edges as text) and its findings; the batch
 * writes one posting row per entity it mentions (entity->messages), and
 * everything that is a sum (entity counts, entity-entity relations, the
 * per-day rollups the reports read) is aggregated in memory first and
 * written once per batch in key order: per-row writes at random places in
 * the b-trees are what ingest time is made of (docs/intel.md, bench).
 * An event whose uid is already stored is skipped entirely, so replaying a
 * journal or retrying a batch never double-counts. Statement ids 20..39.
 */
#include "intel/intel-map.h"
#include "intel/intel-private.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* Event rows go in multi-row INSERTs too, with ids reserved for the
 * batch's new events up front: which uids are stored already is asked 64
 * at a time first, by uid_key (intel_uid_key). A writer on another connection
 * that takes the same id in between makes the batch fail (unique
 * constraint) and it is retried (the recorder journals it), never
 * doubled; the same uid from two writers at once cannot happen on SQLite
 * (BEGIN IMMEDIATE: one writer, and the check is inside its transaction)
 * and fails the batch on PostgreSQL (uid is UNIQUE there). */
#define EVENT_ROWS 9 /* x EVENT_COLS: at most 128 parameters (sql-pg.c) */
#define EVENT_COLS 13
#define UID_CHECK 64
static char event_sql[EVENT_ROWS * 72 + 200];
static char uid_sql[UID_CHECK * 6 + 64];
static char uid_sql_pg[UID_CHECK * 6 + 64];
static const struct gv_sql_stmt q_events = { 20, event_sql, NULL };
/* SQLite through the uid_key index (the uid text is not indexed there),
 * parameters the keys (integers, in key order); PostgreSQL through its
 * UNIQUE(uid), parameters the uids (a plan cached while the table was
 * small would scan it for the uid_key form). */
static const struct gv_sql_stmt q_uids = { 24, uid_sql, uid_sql_pg };
static const struct gv_sql_stmt q_event1 = {
	25,
	"INSERT INTO event(id, uid, ts, day, message_id, subject, sender,"
	" action, score, campaign, source, edges, uid_key) VALUES($1, $2, $3,"
	" $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
	NULL
};
/* n new ids: SQLite after the largest (the transaction holds the write
 * lock once it writes); PostgreSQL from the identity's sequence. */
static const struct gv_sql_stmt q_reserve = {
	29,
	"WITH RECURSIVE r(i) AS (SELECT coalesce(max(id), 0) + 1 FROM event"
	" UNION ALL SELECT i + 1 FROM r LIMIT $1) SELECT i FROM r",
	"SELECT nextval(pg_get_serial_sequence('event', 'id'))"
	" FROM generate_series(1, CAST($1 AS INTEGER))"
};
/* Findings and postings are written with multi-row INSERTs of ROWS rows
 * (the statement text is built once): one statement execution per ROWS
 * rows instead of per row. */
#define FINDING_ROWS 16
#define POSTING_ROWS 30
#define POSTING_READ 64
static char finding_sql[FINDING_ROWS * 40 + 160];
static char posting_sql[POSTING_ROWS * 24 + 128];
static char posting_read_sql[POSTING_READ * 6 + 80];
static char posting_read_pg[POSTING_READ * 6 + 96];
static const struct gv_sql_stmt q_findings = { 22, finding_sql, NULL };
static const struct gv_sql_stmt q_postings = { 23, posting_sql, NULL };
/* PostgreSQL: lock the rows read, so two hosts updating one entity's
 * posting row take turns instead of one overwriting the other's. */
static const struct gv_sql_stmt q_posting_read = { 26, posting_read_sql,
						   posting_read_pg };
static const struct gv_sql_stmt q_finding1 = {
	27,
	"INSERT INTO finding(rule, event, idx, score, evidence, part)"
	" VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
	NULL
};
#define POSTING_UPSERT " ON CONFLICT(entity) DO UPDATE SET events = excluded.events"
static const struct gv_sql_stmt q_posting1 = {
	28, "INSERT INTO posting(entity, events) VALUES($1, $2)" POSTING_UPSERT,
	NULL
};
static void build_sql(char *out, size_t size, const char *head, int cols,
		      int rows, const char *tail)
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
	snprintf(out + n, size - n, "%s", tail);
	gv_assert(n + strlen(tail) + 1 < size);
}

static void build_all(void)
{
	build_sql(finding_sql, sizeof(finding_sql),
		  "INSERT INTO finding(rule, event, idx, score, evidence,"
		  " part)",
		  6, FINDING_ROWS, " ON CONFLICT DO NOTHING");
	build_sql(posting_sql, sizeof(posting_sql),
		  "INSERT INTO posting(entity, events)", 2, POSTING_ROWS,
		  POSTING_UPSERT);
	size_t m = (size_t)snprintf(posting_read_sql, sizeof(posting_read_sql),
				    "SELECT entity, events FROM posting WHERE"
				    " entity IN (");
	for (int i = 1; i <= POSTING_READ; i++)
		m += (size_t)snprintf(posting_read_sql + m,
				      sizeof(posting_read_sql) - m, "%s$%d",
				      i > 1 ? "," : "", i);
	snprintf(posting_read_sql + m, sizeof(posting_read_sql) - m, ")");
	snprintf(posting_read_pg, sizeof(posting_read_pg), "%s FOR UPDATE",
		 posting_read_sql);
	build_sql(event_sql, sizeof(event_sql),
		  "INSERT INTO event(id, uid, ts, day, message_id, subject,"
		  " sender, action, score, campaign, source, edges, uid_key)",
		  EVENT_COLS, EVENT_ROWS, "");
	size_t n = (size_t)snprintf(uid_sql, sizeof(uid_sql),
				    "SELECT uid FROM event WHERE uid_key IN (");
	size_t k = (size_t)snprintf(uid_sql_pg, sizeof(uid_sql_pg),
				    "SELECT uid FROM event WHERE uid IN (");
	for (int i = 1; i <= UID_CHECK; i++) {
		n += (size_t)snprintf(uid_sql + n, sizeof(uid_sql) - n,
				      "%s$%d", i > 1 ? ", " : "", i);
		k += (size_t)snprintf(uid_sql_pg + k, sizeof(uid_sql_pg) - k,
				      "%s$%d", i > 1 ? ", " : "", i);
	}
	snprintf(uid_sql + n, sizeof(uid_sql) - n, ")");
	snprintf(uid_sql_pg + k, sizeof(uid_sql_pg) - k, ")");
	gv_assert(n + 2 < sizeof(uid_sql) && k + 2 < sizeof(uid_sql_pg));
}

/* One message edge, for the batch's postings (entity -> its messages).
 * Keys first, for intel_sort3. */
struct post {
	int64_t entity, event;
	int64_t role;
};

/* One finding row; keys (rule, event, idx) first, for intel_sort3. */
struct finding_row {
	int64_t rule, event, idx;
	double score;
	const char *evidence, *part;
};


/* The uids a batch has met (stored already, or earlier in the batch): open
 * addressing on intel_uid_key, the strings compared on a key match. The
 * strings are the events' own or copies in the batch pool: nothing is
 * allocated per event (an entity cache here cost a copy and a free of
 * every uid). */
struct uid_set {
	int64_t *keys; /* 0: empty (keys are stored + 1) */
	const char **uids;
	size_t cap, used;
};

static void uid_set_init(struct uid_set *u, size_t n)
{
	u->cap = 64;
	while (u->cap < 2 * n + 2)
		u->cap *= 2;
	u->keys = gv_calloc(u->cap, sizeof(*u->keys));
	u->uids = gv_calloc(u->cap, sizeof(*u->uids));
	u->used = 0;
}

static void uid_set_free(struct uid_set *u)
{
	gv_free(u->keys);
	gv_free(u->uids);
}

static size_t uid_slot(const struct uid_set *u, int64_t k, const char *uid)
{
	size_t i = (size_t)k & (u->cap - 1);
	for (; u->keys[i] != 0; i = (i + 1) & (u->cap - 1))
		if (u->keys[i] == k && (uid == NULL || strcmp(u->uids[i], uid) == 0))
			break;
	return i;
}

/* Adds uid; false when it was there already. */
static bool uid_set_add(struct uid_set *u, const char *uid)
{
	int64_t k = intel_uid_key(uid) + 1;
	size_t i = uid_slot(u, k, uid);
	if (u->keys[i] != 0)
		return false;
	if (2 * (u->used + 1) > u->cap) { /* more than the batch: grow */
		struct uid_set g;
		g.cap = u->cap * 2;
		g.keys = gv_calloc(g.cap, sizeof(*g.keys));
		g.uids = gv_calloc(g.cap, sizeof(*g.uids));
		g.used = u->used;
		for (size_t j = 0; j < u->cap; j++)
			if (u->keys[j] != 0) {
				size_t t = uid_slot(&g, u->keys[j], NULL);
				while (g.keys[t] != 0)
					t = (t + 1) & (g.cap - 1);
				g.keys[t] = u->keys[j];
				g.uids[t] = u->uids[j];
			}
		uid_set_free(u);
		*u = g;
		i = uid_slot(u, k, uid);
	}
	u->keys[i] = k;
	u->uids[i] = uid;
	u->used++;
	return true;
}

/* Batch-wide sums and pending rows, flushed before commit. */
struct batch {
	struct gv_intel_store *st;
	struct gv_pool *pool;
	struct post *posts;
	size_t n_posts, cap_posts;
	struct finding_row *findings;
	size_t n_findings, cap_findings;
	struct gv_sql_val *events; /* EVENT_COLS per new event */
	size_t n_events, cap_events;
	int64_t *ids; /* reserved for the new events, in order */
	size_t n_ids, next_id;
	struct uid_set uids; /* stored or already in this batch */
	struct old_posting *old; /* flush_postings: the chunk's stored rows */
	size_t n_old;
	struct intel_agg campaign; /* (campaign,day,0) */
	struct intel_agg target_all; /* (user,0,0): all-time per user */
	struct intel_agg ent; /* (id,0,0) */
	struct intel_agg rel; /* (src,type,dst) */
	struct intel_agg target; /* (day,user,0) */
	struct intel_agg target_campaign; /* (day,user,campaign) */
	struct intel_agg stat; /* (day,kind,entity) */
	/* per-event scratch, reused */
	struct post *edges; /* (entity, 0, role), distinct */
	size_t n_edges, cap_edges;
	int64_t *rules; /* the rule entity of each finding */
	size_t cap_rules;
	struct gv_buf text;
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

static void *grow(void *arr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return arr;
	size_t ncap = *cap ? *cap * 2 : 1024;
	while (ncap < need)
		ncap *= 2;
	*cap = ncap;
	return gv_realloc(arr, gv_mul_size(ncap, elem));
}

/* Adds one of the event's sums to a batch aggregate. Only new events are
 * ingested (prepare() decided) and a failure rolls the whole batch back,
 * so the sums go straight in. */
static void op(struct ev_ctx *e, struct intel_agg *agg, int64_t k0,
	       int64_t k1, int64_t k2, double score)
{
	intel_agg_add(agg, k0, k1, k2, e->ts, e->mal, score);
}

/* Records the message edge (role, id) once per message. Linear in the
 * message's edges: a message has tens of them; the lists are bounded by
 * the scan's own limits (URLs, recipients, findings per message). */
static void edge(struct ev_ctx *e, int64_t role, int64_t id)
{
	struct batch *b = e->b;
	for (size_t i = 0; i < b->n_edges; i++)
		if (b->edges[i].entity == id && b->edges[i].role == role)
			return;
	b->edges = grow(b->edges, &b->cap_edges, b->n_edges + 1,
			sizeof(*b->edges));
	b->edges[b->n_edges++] = (struct post){ id, 0, role };
}

/* Appends "role.id" (with a leading space unless first): the edge-list
 * text format, written by hand because printf dominated the ingest's own
 * CPU time at a dozen edges per message. */
static void put_edge(struct gv_buf *t, bool first, int64_t role, int64_t id)
{
	char tmp[48], *p = tmp + sizeof(tmp);
	uint64_t v = (uint64_t)(id < 0 ? 0 : id);
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	*--p = '.';
	v = (uint64_t)(role < 0 ? 0 : role);
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	if (!first)
		*--p = ' ';
	gv_buf_append(t, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* Entity cache namespace of values known to be in normal form (touch();
 * entity kinds are small, cluster.c uses 1000 and up). */
#define RAW_KIND(kind) (500 + (int)(kind))

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
	/* Most values arrive in their normal form already. Those are also
	 * cached under RAW_KIND(kind) once seen, so meeting one again costs
	 * one look-up: no copy, no normalising. Only values that normalised
	 * to themselves go there, so the answer is the one the slow path
	 * gives. (The cache is emptied with the other entries on rollback.) */
	size_t len = strnlen(value, 4096);
	struct intel_cache *cache = e->b->st->cache;
	int64_t id = len < 4096 ? intel_cache_get(cache, RAW_KIND(kind), value) :
				  0;
	if (id == 0) {
		char *v = gv_pstrndup(e->b->pool, value, len);
		bool valid = intel_normalize(kind, v);
		if (!valid && kind != GV_ENT_URL)
			return 0;
		if (intel_entity_id(e->b->st, kind, v, e->ts, &id, error_r) < 0)
			return -1;
		if (valid && len < 4096 && strcmp(v, value) == 0)
			intel_cache_put(cache, RAW_KIND(kind), value, id);
	}
	if (role != 0) {
		edge(e, role, id);
		e->last_first = first_time(e, id);
		if (e->last_first)
			op(e, &e->b->ent, id, 0, 0, 0);
	}
	return id;
}

/* touch() for an entity known by id. */
static void touch_id(struct ev_ctx *e, int64_t id, enum gv_intel_rel role)
{
	edge(e, role, id);
	e->last_first = first_time(e, id);
	if (e->last_first)
		op(e, &e->b->ent, id, 0, 0, 0);
}

/* Relations go to the batch's relation run (rollup.c). The index build
 * reads attributions from `relation` alone (index.c): no type added here
 * may be one it reads (indicates, reported-by, attributed-to, an actor's
 * uses). */
static void relate(struct ev_ctx *e, int64_t src, enum gv_intel_rel type,
		   int64_t dst)
{
	if (src > 0 && dst > 0)
		op(e, &e->b->rel, src, type, dst, 0);
}

/* Per-day frequency: called right after the touch() that resolved id, so
 * it counts the message once only when that touch was the first. */
static void stat(struct ev_ctx *e, enum gv_intel_kind kind, int64_t id)
{
	if (id > 0 && e->last_first)
		op(e, &e->b->stat, e->day, kind, id, 0);
}

/* Entity-to-entity relations are the threat graph: a sender targets a
 * user, or sends from a relay, only in the store's sense when the scan
 * flagged the message (tag or worse). For accepted mail the event row and
 * its message edges keep who sent what to whom (the walk connects sender
 * and users through the message); an all-pairs sender -> user table of
 * every clean message would be the organisation's whole correspondence
 * graph — a privacy burden nothing reads — and was two thirds of ingest
 * time (bench/intel.sh, docs/intel.md). */
static int add_parts(struct ev_ctx *e, int64_t sender, int64_t campaign,
		     const char **error_r)
{
	const struct gv_intel_event *ev = e->ev;
	int64_t threat = ev->action != GV_ACT_ACCEPT ? sender : 0;
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
		op(e, &e->b->target, e->day, u, 0, ev->score);
		op(e, &e->b->target_all, u, 0, 0, ev->score);
		if (campaign > 0) {
			op(e, &e->b->target_campaign, e->day, u, campaign, 0);
			relate(e, campaign, GV_REL_TARGETS, u);
		}
		relate(e, threat, GV_REL_TARGETS, u);
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
		relate(e, threat, GV_REL_SENT_FROM, ip);
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
	struct batch *b = e->b;
	b->rules = grow(b->rules, &b->cap_rules, ev->n_findings,
			sizeof(*b->rules));
	for (size_t i = 0; i < ev->n_findings; i++) {
		const struct gv_intel_finding *f = &ev->findings[i];
		/* "analyzer/rule" (touch() copies it) */
		char rule[4096];
		const char *an = f->analyzer ? f->analyzer : "-";
		const char *id = f->rule_id ? f->rule_id : "-";
		size_t la = strnlen(an, 1024), lr = strnlen(id, 2048);
		memcpy(rule, an, la);
		rule[la] = '/';
		memcpy(rule + la + 1, id, lr);
		rule[la + 1 + lr] = '\0';
		int64_t r = touch(e, GV_ENT_RULE, rule, GV_REL_MATCHED_RULE,
				  error_r);
		if (r < 0)
			return -1;
		b->rules[i] = r;
		stat(e, GV_ENT_RULE, r);
	}
	return 1;
}

/* The event is new (its row is in): its findings, postings and sums. */
static void commit_event(struct ev_ctx *e)
{
	struct batch *b = e->b;
	const struct gv_intel_event *ev = e->ev;
	b->findings = grow(b->findings, &b->cap_findings,
			   b->n_findings + ev->n_findings,
			   sizeof(*b->findings));
	for (size_t i = 0; i < ev->n_findings; i++) {
		const struct gv_intel_finding *f = &ev->findings[i];
		b->findings[b->n_findings++] = (struct finding_row){
			b->rules[i], e->id, (int64_t)i, f->score, f->evidence,
			f->part
		};
	}
	b->posts = grow(b->posts, &b->cap_posts, b->n_posts + b->n_edges,
			sizeof(*b->posts));
	for (size_t i = 0; i < b->n_edges; i++)
		b->posts[b->n_posts++] = (struct post){ b->edges[i].entity,
							e->id,
							b->edges[i].role };
}

void intel_edges_parse(const char *text, struct intel_edge **arr, size_t *n,
		       size_t *cap)
{
	const char *p = text;
	while (p != NULL && *p != '\0') {
		char *end;
		long long role = strtoll(p, &end, 10);
		if (end == p || *end != '.') {
			p = strchr(p, ' ');
			p = p ? p + 1 : NULL;
			continue;
		}
		const char *q = end + 1;
		long long id = strtoll(q, &end, 10);
		if (end != q) {
			*arr = grow(*arr, cap, *n + 1, sizeof(**arr));
			(*arr)[(*n)++] = (struct intel_edge){ role, id };
		}
		p = *end == ' ' ? end + 1 : (*end == '\0' ? end : NULL);
		if (p == NULL) {
			p = strchr(end, ' ');
			p = p ? p + 1 : NULL;
		}
	}
}

/* The message's edges as text, "role.entity role.entity ...": what the
 * graph walk and the export read back (event -> entities) without a
 * per-edge row. */
static const char *edges_text(struct batch *b)
{
	gv_buf_reset(&b->text);
	for (size_t i = 0; i < b->n_edges; i++)
		put_edge(&b->text, i == 0, b->edges[i].role, b->edges[i].entity);
	return gv_buf_cstr(&b->text);
}

/* Only for an event that is new (prepare() decided): resolves every
 * entity, collects the event's edges and sums, then queues its row and
 * adds its sums, findings and postings to the batch. 1 stored, -1 error. */
static int ingest_one(struct batch *b, const struct gv_intel_event *ev,
		      const char **error_r)
{
	gv_assert(ev->event_id != NULL);
	struct ev_ctx e = { .b = b,
			    .ev = ev,
			    .ts = ev->time,
			    .day = ev->time / 86400,
			    .mal = GV_INTEL_MALICIOUS(ev->action) };
	b->n_edges = 0;
	const char *from = ev->from ? ev->from : ev->envelope_from;
	int64_t sender = touch(&e, GV_ENT_SENDER, from, GV_REL_SENT_BY,
			       error_r);
	if (sender < 0)
		return -1;
	/* Campaign: the one attribution gave it, else (not accepted) its
	 * cluster by shared attachment, lure URL pattern or infrastructure. */
	int64_t campaign = 0;
	if (ev->campaign && *ev->campaign) {
		campaign = touch(&e, GV_ENT_CAMPAIGN, ev->campaign,
				 GV_REL_PART_OF_CAMPAIGN, error_r);
	} else if (ev->action != GV_ACT_ACCEPT) {
		if (intel_cluster_assign(b->st, b->pool, ev, e.ts, &campaign,
					 error_r) < 0)
			return -1;
		if (campaign > 0)
			touch_id(&e, campaign, GV_REL_PART_OF_CAMPAIGN);
	}
	if (campaign < 0)
		return -1;
	if (campaign > 0)
		op(&e, &b->campaign, campaign, e.day, 0, 0);
	if (add_parts(&e, sender, campaign, error_r) < 0 ||
	    add_findings(&e, error_r) < 0)
		return -1;
	gv_assert(b->next_id < b->n_ids);
	e.id = b->ids[b->next_id++];
	struct gv_sql_val p[EVENT_COLS] = {
		GV_SQL_I(e.id),
		GV_SQL_S(ev->event_id), GV_SQL_I(e.ts),
		GV_SQL_I(e.day),	GV_SQL_S(ev->message_id),
		GV_SQL_S(ev->subject),	sender ? GV_SQL_I(sender) : GV_SQL_S(NULL),
		GV_SQL_I(ev->action),	GV_SQL_D(ev->score),
		campaign ? GV_SQL_I(campaign) : GV_SQL_S(NULL),
		GV_SQL_S(ev->source),
		GV_SQL_S(gv_pstrdup(b->pool, edges_text(b))),
		GV_SQL_I(intel_uid_key(ev->event_id))
	};
	b->events = grow(b->events, &b->cap_events, b->n_events + EVENT_COLS,
			 sizeof(*b->events));
	memcpy(b->events + b->n_events, p, sizeof(p));
	b->n_events += EVENT_COLS;
	commit_event(&e);
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


struct old_posting {
	int64_t entity;
	const char *events;
};

static int old_cb(void *ctx, const struct gv_sql_row *row)
{
	struct batch *b = ctx;
	/* the slot of this entity among the chunk's (sorted, distinct) */
	size_t lo = 0, hi = b->n_old;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (b->old[mid].entity < row->col[0].i)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < b->n_old && b->old[lo].entity == row->col[0].i &&
	    row->col[1].s != NULL)
		b->old[lo].events = gv_pstrdup(b->pool, row->col[1].s);
	return 0;
}

static int edge_order(const void *a, const void *b)
{
	const struct intel_edge *x = a, *y = b;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return (x->role > y->role) - (x->role < y->role);
}

/* Postings: one row per entity, its newest INTEL_POSTING_KEEP message
 * edges ("role.event ...", ascending by event) — the entity -> messages
 * direction of the graph, which the walk reads no further than that. A
 * batch reads the rows of the entities it mentions (64 per statement),
 * merges its own edges in and writes them back (30 per statement): the
 * table stays one small row per entity, so a batch rewrites a few
 * megabytes of it rather than adding rows all over a table that grows
 * with every message. */
static int flush_postings(struct batch *b, const char **error_r)
{
	if (b->n_posts == 0)
		return 1;
	intel_sort3(b->posts, b->n_posts, sizeof(*b->posts));
	/* group starts: entity i's posts are posts[start[i] .. start[i+1]) */
	size_t n_ent = 0, *start = gv_calloc(b->n_posts + 1, sizeof(*start));
	for (size_t i = 0; i < b->n_posts; i++)
		if (i == 0 || b->posts[i].entity != b->posts[i - 1].entity)
			start[n_ent++] = i;
	start[n_ent] = b->n_posts;
	struct gv_sql_val vals[POSTING_ROWS * 2];
	struct intel_edge *es = NULL;
	size_t n_es = 0, cap_es = 0;
	struct gv_buf t;
	gv_buf_init(&t, SIZE_MAX);
	struct old_posting old[POSTING_READ];
	b->old = old;
	int ret = 1;
	size_t nrow = 0;
	for (size_t c = 0; ret > 0 && c < n_ent; c += POSTING_READ) {
		size_t cn = n_ent - c < POSTING_READ ? n_ent - c : POSTING_READ;
		struct gv_sql_val p[POSTING_READ];
		for (size_t k = 0; k < POSTING_READ; k++) {
			size_t e = c + (k < cn ? k : cn - 1);
			p[k] = GV_SQL_I(b->posts[start[e]].entity);
		}
		for (size_t k = 0; k < cn; k++)
			old[k] = (struct old_posting){
				b->posts[start[c + k]].entity, NULL
			};
		b->n_old = cn;
		if (intel_sql_run(b->st, &q_posting_read, p, POSTING_READ,
				  old_cb, b, error_r) < 0) {
			ret = -1;
			break;
		}
		for (size_t k = 0; ret > 0 && k < cn; k++) {
			n_es = 0;
			intel_edges_parse(old[k].events, &es, &n_es, &cap_es);
			for (size_t j = start[c + k]; j < start[c + k + 1]; j++) {
				es = grow(es, &cap_es, n_es + 1, sizeof(*es));
				es[n_es++] = (struct intel_edge){
					b->posts[j].role, b->posts[j].event
				};
			}
			if (old[k].events != NULL)
				qsort(es, n_es, sizeof(*es), edge_order);
			size_t from = n_es > INTEL_POSTING_KEEP ?
					      n_es - INTEL_POSTING_KEEP :
					      0;
			gv_buf_reset(&t);
			for (size_t j = from; j < n_es; j++)
				put_edge(&t, j == from, es[j].role, es[j].id);
			struct gv_sql_val *v = vals + nrow * 2;
			v[0] = GV_SQL_I(old[k].entity);
			v[1] = GV_SQL_S(gv_pstrdup(b->pool, gv_buf_cstr(&t)));
			if (++nrow == POSTING_ROWS) {
				if (intel_sql_run(b->st, &q_postings, vals,
						  POSTING_ROWS * 2, NULL, NULL,
						  error_r) < 0)
					ret = -1;
				nrow = 0;
			}
		}
	}
	for (size_t r = 0; ret > 0 && r < nrow; r++)
		if (intel_sql_run(b->st, &q_posting1, vals + r * 2, 2, NULL, NULL,
				  error_r) < 0)
			ret = -1;
	b->old = NULL;
	gv_free(es);
	gv_free(start);
	gv_buf_free(&t);
	return ret;
}

/* Findings in key order (one sequential append per rule instead of a
 * jump between rules every row), FINDING_ROWS per statement. */
static int flush_findings(struct batch *b, const char **error_r)
{
	intel_sort3(b->findings, b->n_findings, sizeof(*b->findings));
	struct gv_sql_val v[FINDING_ROWS * 6];
	size_t n = 0;
	for (size_t i = 0; i < b->n_findings; i++) {
		const struct finding_row *f = &b->findings[i];
		struct gv_sql_val *p = v + n;
		p[0] = GV_SQL_I(f->rule);
		p[1] = GV_SQL_I(f->event);
		p[2] = GV_SQL_I(f->idx);
		p[3] = GV_SQL_D(f->score);
		p[4] = GV_SQL_S(f->evidence);
		p[5] = GV_SQL_S(f->part);
		n += 6;
		if (n == GV_ARRAY_LEN(v)) {
			if (flush_rows(b->st, v, n, 6, FINDING_ROWS,
				       &q_findings, &q_finding1, error_r) < 0)
				return -1;
			n = 0;
		}
	}
	return flush_rows(b->st, v, n, 6, FINDING_ROWS, &q_findings,
			  &q_finding1, error_r);
}

static int flush_batch(struct batch *b, const char **error_r)
{
	struct gv_intel_store *st = b->st;
	bool prof = getenv("GV_INTEL_PROFILE") != NULL;
	uint64_t t0 = gv_now_us();
	/* GV_INTEL_PROFILE=1: microseconds per step on stderr (steps
	 * 11-13 event rows, postings, findings; 0-6 the rollups; 8 the
	 * events' entities and sums; 10 the commit) */
	uint64_t tx = t0;
	if (flush_rows(st, b->events, b->n_events, EVENT_COLS, EVENT_ROWS,
		       &q_events, &q_event1, error_r) < 0)
		return -1;
	if (prof)
		fprintf(stderr, "step 11 rows %zu us %llu\n", b->n_ids,
			(unsigned long long)(gv_now_us() - tx));
	tx = gv_now_us();
	if (flush_postings(b, error_r) < 0)
		return -1;
	if (prof)
		fprintf(stderr, "step 12 rows %zu us %llu\n", b->n_posts,
			(unsigned long long)(gv_now_us() - tx));
	tx = gv_now_us();
	if (flush_findings(b, error_r) < 0)
		return -1;
	if (prof)
		fprintf(stderr, "step 13 rows %zu us %llu\n", b->n_findings,
			(unsigned long long)(gv_now_us() - tx));
	if (prof)
		fprintf(stderr, "step 9 rows %zu us %llu\n", b->n_posts,
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
				       b->n_ids ? b->ids[0] : 0, error_r) < 0)
			return -1;
		if (steps[i].which == INTEL_ROLLUP_RELATION &&
		    steps[i].agg->used > 0 &&
		    intel_relation_run_done(st, b->ids[0], error_r) < 0)
			return -1;
		if (prof)
			fprintf(stderr, "step %zu rows %zu us %llu\n", i,
				steps[i].agg->used,
				(unsigned long long)(gv_now_us() - t));
	}
	return 1;
}

static int uid_cb(void *ctx, const struct gv_sql_row *row)
{
	struct batch *b = ctx;
	if (row->col[0].s != NULL)
		uid_set_add(&b->uids, gv_pstrdup(b->pool, row->col[0].s));
	return 0;
}

static int id_cb(void *ctx, const struct gv_sql_row *row)
{
	struct batch *b = ctx;
	b->ids[b->n_ids++] = row->col[0].i;
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Marks which events are new (fresh[i]): not stored, not earlier in the
 * batch. Reserves their ids. Returns the number of new events, -1 error. */
static ssize_t prepare(struct batch *b, const struct gv_intel_event *const *evs,
		       size_t n, bool *fresh, const char **error_r)
{
	/* SQLite: the keys sorted, so consecutive look-ups walk the index
	 * in order */
	bool by_key = b->st->drv == &gv_sql_driver_sqlite;
	int64_t *keys = NULL;
	if (by_key && n > 0) {
		keys = gv_calloc(n, sizeof(*keys));
		for (size_t i = 0; i < n; i++)
			keys[i] = intel_uid_key(evs[i]->event_id);
		qsort(keys, n, sizeof(*keys), key_cmp);
	}
	for (size_t i = 0; i < n; i += UID_CHECK) {
		struct gv_sql_val p[UID_CHECK];
		for (size_t k = 0; k < UID_CHECK; k++) {
			size_t j = i + k < n ? i + k : i;
			p[k] = by_key ? GV_SQL_I(keys[j]) :
					GV_SQL_S(evs[j]->event_id);
		}
		if (intel_sql_run(b->st, &q_uids, p, UID_CHECK, uid_cb, b,
				  error_r) < 0) {
			gv_free(keys);
			return -1;
		}
	}
	gv_free(keys);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		gv_assert(evs[i]->event_id != NULL);
		fresh[i] = uid_set_add(&b->uids, evs[i]->event_id);
		if (fresh[i])
			m++;
	}
	if (m == 0)
		return 0;
	b->ids = gv_calloc(m, sizeof(*b->ids));
	struct gv_sql_val p[1] = { GV_SQL_I((int64_t)m) };
	if (intel_sql_run(b->st, &q_reserve, p, 1, id_cb, b, error_r) < 0)
		return -1;
	if (b->n_ids != m) {
		*error_r = "intel: event ids could not be reserved";
		return -1;
	}
	return (ssize_t)m;
}

int gv_intel_store_ingest(struct gv_intel_store *st,
			  const struct gv_intel_event *const *events, size_t n,
			  size_t *inserted_r, const char **error_r)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, build_all);
	struct batch b = { .st = st, .pool = gv_pool_new(65536) };
	struct intel_agg *aggs[] = { &b.campaign, &b.target_all, &b.ent,
				     &b.rel,	  &b.target,	 &b.target_campaign,
				     &b.stat };
	_Static_assert(GV_ARRAY_LEN(aggs) <= GV_ARRAY_LEN(st->agg_hint),
		       "a size hint per aggregate");
	for (size_t i = 0; i < GV_ARRAY_LEN(aggs); i++)
		intel_agg_init_for(aggs[i], st->agg_hint[i]);
	gv_buf_init(&b.text, SIZE_MAX);
	size_t inserted = 0;
	bool prof = getenv("GV_INTEL_PROFILE") != NULL;
	uint64_t t0 = gv_now_us();
	uid_set_init(&b.uids, n);
	bool *fresh = gv_calloc(n + 1, sizeof(*fresh));
	int ret = intel_begin(st, error_r);
	if (ret > 0 && prepare(&b, events, n, fresh, error_r) < 0)
		ret = -1;
	for (size_t i = 0; ret > 0 && i < n; i++) {
		if (!fresh[i])
			continue; /* stored already: replays never double-count */
		int rc = ingest_one(&b, events[i], error_r);
		if (rc < 0)
			ret = -1;
		else
			inserted += (size_t)rc;
	}
	gv_free(fresh);
	if (prof)
		fprintf(stderr, "step 8 rows %zu us %llu\n", n,
			(unsigned long long)(gv_now_us() - t0));
	if (ret > 0)
		ret = flush_batch(&b, error_r);
	uint64_t t1 = gv_now_us();
	if (ret > 0)
		ret = intel_commit(st, error_r);
	else if (st->in_tx)
		intel_rollback(st);
	if (prof)
		fprintf(stderr, "step 10 rows %zu us %llu\n", n,
			(unsigned long long)(gv_now_us() - t1));
	for (size_t i = 0; i < GV_ARRAY_LEN(aggs); i++) {
		st->agg_hint[i] = aggs[i]->used;
		intel_agg_free(aggs[i]);
	}
	gv_free(b.posts);
	gv_free(b.findings);
	gv_free(b.events);
	gv_free(b.ids);
	uid_set_free(&b.uids);
	gv_free(b.edges);
	gv_free(b.rules);
	gv_buf_free(&b.text);
	gv_pool_free(&b.pool);
	if (ret > 0 && inserted_r)
		*inserted_r = inserted;
	return ret;
}
