/*
 * The neighbourhood of an entity (breadth-first walk, depth at most 4, at
 * most 25 edges per node and 300 nodes in all, so a hub like a big
 * freemail domain cannot blow up the answer), and the recommendations
 * derived from the data, each with the evidence behind it.
 * Messages are nodes too: an event is reached from the entities it touches
 * (their posting row) and leads to all of them (its edges text).
 * Statement ids 80..99.
 */
#include "intel/intel-map.h"
#include "intel/intel-report.h"

#include <string.h>

#define FANOUT 25
_Static_assert(FANOUT <= INTEL_POSTING_KEEP,
	       "posting rows keep fewer messages than a node shows");
#define MAX_NODES 300

static const struct gv_sql_stmt q_find = {
	80, "SELECT id FROM entity WHERE kind = $1 AND value = $2", NULL
};
/* A message by its uid (indexed through its hash), else by Message-ID. */
static const struct gv_sql_stmt q_find_msg = {
	81, "SELECT id FROM event WHERE uid_key = uid_key($1) AND uid = $1",
	"SELECT id FROM event WHERE uid = $1"
};
static const struct gv_sql_stmt q_find_msg_id = {
	96, "SELECT id FROM event WHERE message_id = $1 LIMIT 1", NULL
};
/* A node's relations: its rows of `relation` plus those of the runs not
 * merged yet. The report merges the runs before the walk
 * (intel_relation_runs_settle), so the run queries normally find none;
 * when the merge could not run (the store busy) they still answer, by
 * scanning the runs (SQLite keeps them as plain appended rows with no
 * index; an index by destination was a third of the relation cost of
 * ingest). Summed per key, ranked and named in rel_side() below. */
static const struct gv_sql_stmt q_out = {
	82, "SELECT type, dst, count FROM relation WHERE src = $1", NULL
};
static const struct gv_sql_stmt q_in = {
	83, "SELECT type, src, count FROM relation WHERE dst = $1", NULL
};
static const struct gv_sql_stmt q_out_runs = {
	88,
	"SELECT type, dst, count FROM relation_run WHERE run IN"
	" (SELECT run FROM relation_runs) AND src = $1",
	"SELECT type, dst, count FROM relation_run WHERE run ="
	" ANY(ARRAY(SELECT run FROM relation_runs)) AND src = $1"
};
static const struct gv_sql_stmt q_in_runs = {
	89,
	"SELECT type, src, count FROM relation_run"
	" WHERE run IN (SELECT run FROM relation_runs) AND dst = $1",
	"SELECT type, src, count FROM relation_run WHERE run ="
	" ANY(ARRAY(SELECT run FROM relation_runs)) AND dst = $1"
};
/* Messages of an entity: its posting row (its newest messages). */
static const struct gv_sql_stmt q_ent_msgs = {
	84, "SELECT events FROM posting WHERE entity = $1", NULL
};
static const struct gv_sql_stmt q_msg_uid = {
	86, "SELECT uid FROM event WHERE id = $1", NULL
};
/* Entities of a message: its edges text. */
static const struct gv_sql_stmt q_msg_ents = {
	85, "SELECT edges FROM event WHERE id = $1", NULL
};
static const struct gv_sql_stmt q_ent_one = {
	87, "SELECT kind, value FROM entity WHERE id = $1", NULL
};

struct node {
	int64_t id;
	bool msg;
	unsigned depth;
	char *label;
};

struct walk {
	struct node *nodes;
	size_t n, cap;
	struct intel_cache *seen;
	json_t *edges;
	size_t cur; /* node being expanded */
	bool reverse, to_msg;
};

static size_t add_node(struct walk *w, int64_t id, bool msg, unsigned depth,
		       const char *label, bool *is_new_r)
{
	char key[32];
	snprintf(key, sizeof(key), "%c%lld", msg ? 'm' : 'e', (long long)id);
	int64_t have = intel_cache_get(w->seen, 0, key);
	*is_new_r = have == 0;
	if (have > 0)
		return (size_t)have - 1;
	if (w->n == MAX_NODES)
		return SIZE_MAX;
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 32;
		w->nodes = gv_realloc(w->nodes, w->cap * sizeof(*w->nodes));
	}
	w->nodes[w->n] = (struct node){ .id = id,
					.msg = msg,
					.depth = depth,
					.label = gv_strdup(label) };
	intel_cache_put(w->seen, 0, key, (int64_t)w->n + 1);
	return w->n++;
}

static int edge_cb(void *ctx, const struct gv_sql_row *row)
{
	struct walk *w = ctx;
	char label[600];
	bool msg = w->to_msg;
	snprintf(label, sizeof(label), "%s:%.500s",
		 msg ? "message" :
		       gv_intel_kind_name((enum gv_intel_kind)row->col[2].i),
		 row->col[3].s ? row->col[3].s : "");
	bool is_new;
	size_t from = w->cur;
	size_t to = add_node(w, row->col[1].i, msg, w->nodes[from].depth + 1,
			     label, &is_new);
	if (to == SIZE_MAX)
		return 1; /* node budget spent */
	const char *a = w->nodes[from].label, *b = w->nodes[to].label;
	if (w->reverse) {
		const char *t = a;
		a = b;
		b = t;
	}
	/* message edges point from the message to the entity */
	if (w->to_msg) {
		const char *t = a;
		a = b;
		b = t;
	}
	json_array_append_new(
		w->edges,
		json_pack("{s:s s:s s:s s:I}", "from", a, "relation",
			  gv_intel_rel_name((enum gv_intel_rel)row->col[0].i),
			  "to", b, "count", (json_int_t)row->col[4].i));
	return 0;
}

/* Collects (role, event) of an entity's messages, newest first, up to
 * limit: the posting row lists them ascending, so it is read backwards. */
struct msgs_ctx {
	struct intel_edge *all;
	size_t n, cap, limit;
	struct intel_edge *row;
	size_t nrow, caprow;
};

static int msgs_cb(void *ctx, const struct gv_sql_row *row)
{
	struct msgs_ctx *m = ctx;
	m->nrow = 0;
	intel_edges_parse(row->col[0].s, &m->row, &m->nrow, &m->caprow);
	for (size_t i = m->nrow; i-- > 0 && m->n < m->limit;) {
		if (m->n == m->cap) {
			m->cap = m->cap ? m->cap * 2 : 32;
			m->all = gv_realloc(m->all, m->cap * sizeof(*m->all));
		}
		m->all[m->n++] = m->row[i];
	}
	return m->n >= m->limit ? 1 : 0;
}

struct text_ctx {
	char *text;
	int64_t kind;
};

static int text_cb(void *ctx, const struct gv_sql_row *row)
{
	struct text_ctx *t = ctx;
	size_t last = row->n - 1;
	t->kind = row->n > 1 ? row->col[0].i : 0;
	t->text = gv_strdup(row->col[last].s ? row->col[last].s : "");
	return 1;
}

static int edge_cmp(const void *a, const void *b)
{
	const struct intel_edge *x = a, *y = b;
	if (x->role != y->role)
		return x->role < y->role ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/* Feeds edge_cb the rows the old per-edge table gave: (role, id, kind,
 * value, 1). */
static int emit(struct gv_intel_store *st, struct walk *w,
		const struct intel_edge *e, bool to_msg, const char **error_r)
{
	struct gv_sql_val p[1] = { GV_SQL_I(e->id) };
	struct text_ctx t = { NULL, 0 };
	if (intel_sql_run(st, to_msg ? &q_msg_uid : &q_ent_one, p, 1, text_cb,
			  &t, error_r) < 0)
		return -1;
	if (t.text == NULL)
		return 0; /* gone */
	struct gv_sql_val cols[5] = { GV_SQL_I(e->role), GV_SQL_I(e->id),
				      GV_SQL_I(to_msg ? 1 : t.kind),
				      GV_SQL_S(t.text), GV_SQL_I(1) };
	struct gv_sql_row row = { 5, cols };
	int rc = edge_cb(w, &row);
	gv_free(t.text);
	return rc;
}

/* One relation of a node: (type, the other end, count). */
struct rel_row {
	int64_t type, other, count;
};

struct rel_ctx {
	struct rel_row *v;
	size_t n, cap;
};

static int rel_cb(void *ctx, const struct gv_sql_row *row)
{
	struct rel_ctx *r = ctx;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->v = gv_realloc(r->v, gv_mul_size(r->cap, sizeof(*r->v)));
	}
	r->v[r->n++] = (struct rel_row){ row->col[0].i, row->col[1].i,
					 row->col[2].i };
	return 0;
}

static int rel_key_cmp(const void *a, const void *b)
{
	const struct rel_row *x = a, *y = b;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return (x->other > y->other) - (x->other < y->other);
}

/* Count descending, then entity id, then type: the order the single
 * relation query gave (ties in entity id kept the b-tree's type order). */
static int rel_rank_cmp(const void *a, const void *b)
{
	const struct rel_row *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->other != y->other)
		return x->other < y->other ? -1 : 1;
	return (x->type > y->type) - (x->type < y->type);
}

/* The node's FANOUT strongest relations in one direction (out: it is the
 * source), summed over `relation` and the unmerged runs, fed to edge_cb
 * as (type, id, kind, value, count) rows. A relation whose other end is
 * not an entity is skipped, as the join to entity did. */
static int rel_side(struct gv_intel_store *st, struct walk *w, int64_t id,
		    bool out, const char **error_r)
{
	struct gv_sql_val p[1] = { GV_SQL_I(id) };
	struct rel_ctx r = { 0 };
	int rc = intel_sql_run_ints(st, out ? &q_out : &q_in, p, 1, rel_cb,
				    &r, error_r);
	size_t n_main = r.n;
	if (rc > 0)
		rc = intel_sql_run_ints(st, out ? &q_out_runs : &q_in_runs, p,
					1, rel_cb, &r, error_r);
	/* Keys of `relation` are distinct: only run rows can repeat one.
	 * The run rows are summed per key first, then added to the
	 * `relation` row of the same key or kept as rows of their own. */
	size_t m = r.n;
	if (rc > 0 && r.n > n_main) {
		struct rel_row *runs = r.v + n_main;
		size_t n_runs = r.n - n_main, k = 0;
		qsort(runs, n_runs, sizeof(*runs), rel_key_cmp);
		for (size_t i = 0; i < n_runs; i++) {
			if (k > 0 && rel_key_cmp(&runs[k - 1], &runs[i]) == 0)
				runs[k - 1].count += runs[i].count;
			else
				runs[k++] = runs[i];
		}
		for (size_t i = 0; i < n_main; i++) {
			struct rel_row *hit = bsearch(&r.v[i], runs, k,
						      sizeof(*runs), rel_key_cmp);
			if (hit != NULL) {
				r.v[i].count += hit->count;
				hit->count = -1; /* taken */
			}
		}
		m = n_main;
		for (size_t i = 0; i < k; i++)
			if (runs[i].count >= 0)
				r.v[m++] = runs[i];
	}
	/* the FANOUT best in rank order, by insertion (most rows rank below
	 * the current last and cost one comparison) */
	struct rel_row best[FANOUT + 1];
	size_t nb = 0;
	for (size_t i = 0; rc > 0 && i < m; i++) {
		if (nb == FANOUT && rel_rank_cmp(&r.v[i], &best[nb - 1]) >= 0)
			continue;
		size_t j = nb < FANOUT ? nb++ : nb - 1;
		for (; j > 0 && rel_rank_cmp(&r.v[i], &best[j - 1]) < 0; j--)
			best[j] = best[j - 1];
		best[j] = r.v[i];
	}
	for (size_t i = 0; rc > 0 && i < nb; i++) {
		struct gv_sql_val q[1] = { GV_SQL_I(best[i].other) };
		struct text_ctx t = { NULL, 0 };
		if (intel_sql_run(st, &q_ent_one, q, 1, text_cb, &t,
				  error_r) < 0) {
			rc = -1;
			break;
		}
		if (t.text == NULL)
			continue;
		struct gv_sql_val cols[5] = { GV_SQL_I(best[i].type),
					      GV_SQL_I(best[i].other),
					      GV_SQL_I(t.kind), GV_SQL_S(t.text),
					      GV_SQL_I(best[i].count) };
		struct gv_sql_row row = { 5, cols };
		int e = edge_cb(w, &row);
		gv_free(t.text);
		if (e != 0)
			break; /* node budget spent */
	}
	gv_free(r.v);
	return rc;
}

static int expand(struct gv_intel_store *st, struct walk *w, size_t i,
		  const char **error_r)
{
	struct gv_sql_val p[2] = { GV_SQL_I(w->nodes[i].id),
				   GV_SQL_I(FANOUT) };
	w->cur = i;
	if (w->nodes[i].msg) {
		w->reverse = w->to_msg = false;
		struct text_ctx t = { NULL, 0 };
		if (intel_sql_run(st, &q_msg_ents, p, 1, text_cb, &t,
				  error_r) < 0)
			return -1;
		struct intel_edge *es = NULL;
		size_t n = 0, cap = 0;
		intel_edges_parse(t.text, &es, &n, &cap);
		gv_free(t.text);
		if (n > 1)
			qsort(es, n, sizeof(*es), edge_cmp);
		int rc = 1;
		for (size_t k = 0; k < n && k < FANOUT; k++) {
			int r = emit(st, w, &es[k], false, error_r);
			if (r < 0)
				rc = -1;
			if (r != 0)
				break; /* error, or node budget spent */
		}
		gv_free(es);
		return rc;
	}
	w->to_msg = false;
	w->reverse = false;
	if (rel_side(st, w, w->nodes[i].id, true, error_r) < 0)
		return -1;
	w->reverse = true;
	if (rel_side(st, w, w->nodes[i].id, false, error_r) < 0)
		return -1;
	w->reverse = false;
	w->to_msg = true;
	struct msgs_ctx m = { .limit = FANOUT };
	int rc = intel_sql_run(st, &q_ent_msgs, p, 1, msgs_cb, &m, error_r);
	for (size_t k = 0; rc > 0 && k < m.n; k++) {
		int r = emit(st, w, &m.all[k], true, error_r);
		if (r < 0)
			rc = -1;
		else if (r == 1)
			break; /* node budget spent */
	}
	gv_free(m.all);
	gv_free(m.row);
	w->to_msg = false;
	return rc;
}

int report_neighbors(struct gv_intel_store *st,
		     const struct gv_intel_report_query *q, json_t *doc,
		     const char **error_r)
{
	const char *colon = q->entity ? strchr(q->entity, ':') : NULL;
	if (colon == NULL) {
		*error_r = "neighbors: entity must be KIND:VALUE "
			   "(e.g. user:alice@example.org)";
		return -1;
	}
	char kname[32];
	snprintf(kname, sizeof(kname), "%.*s", (int)(colon - q->entity),
		 q->entity);
	char *value = gv_strdup(colon + 1);
	bool msg = strcmp(kname, "message") == 0;
	enum gv_intel_kind kind = msg ? 0 : gv_intel_kind_parse(kname);
	int64_t id = 0;
	int rc;
	if (!msg && kind == 0) {
		gv_free(value);
		*error_r = "neighbors: unknown entity kind";
		return -1;
	}
	if (!msg)
		intel_normalize(kind, value);
	struct gv_sql_val p[2] = { msg ? GV_SQL_S(value) : GV_SQL_I(kind),
				   GV_SQL_S(value) };
	rc = intel_sql_int(st, msg ? &q_find_msg : &q_find, p, msg ? 1 : 2,
			   &id, error_r);
	if (rc == 0 && msg)
		rc = intel_sql_int(st, &q_find_msg_id, p, 1, &id, error_r);
	if (rc <= 0) {
		gv_free(value);
		if (rc == 0)
			*error_r = "neighbors: no such entity in the store";
		return -1;
	}
	unsigned depth = q->depth ? q->depth : 2;
	if (depth > 4)
		depth = 4;
	struct walk w = { .seen = intel_cache_new(4096), .edges = json_array() };
	char label[600];
	snprintf(label, sizeof(label), "%s:%.500s", msg ? "message" : kname,
		 value);
	bool is_new;
	add_node(&w, id, msg, 0, label, &is_new);
	rc = 1;
	for (size_t i = 0; rc > 0 && i < w.n; i++)
		if (w.nodes[i].depth < depth)
			rc = expand(st, &w, i, error_r);
	json_t *nodes = json_array();
	for (size_t i = 0; i < w.n; i++) {
		json_array_append_new(nodes,
				      json_pack("{s:s s:i}", "node",
						w.nodes[i].label, "depth",
						(int)w.nodes[i].depth));
		gv_free(w.nodes[i].label);
	}
	json_object_set_new(doc, "rows", nodes);
	json_object_set_new(doc, "edges", w.edges);
	json_object_set_new(doc, "truncated", json_boolean(w.n == MAX_NODES));
	gv_free(w.nodes);
	intel_cache_free(&w.seen);
	gv_free(value);
	return rc;
}

/* ---- recommendations ---- */

static const struct gv_sql_stmt q_rec_repeat = {
	90,
	"SELECT u.value, sum(t.malicious),"
	" sum(CASE WHEN t.malicious > 0 THEN 1 ELSE 0 END)"
	" FROM day_target t JOIN entity u ON u.id = t.usr"
	" WHERE t.day BETWEEN $1 AND $2 GROUP BY u.value"
	" HAVING sum(t.malicious) >= 3"
	" AND sum(CASE WHEN t.malicious > 0 THEN 1 ELSE 0 END) >= 2"
	" ORDER BY 2 DESC, u.value LIMIT $3",
	NULL
};
/* From the per-day file-type rollup: delivered = not quarantined or
 * rejected = count - malicious. */
static const struct gv_sql_stmt q_rec_macro = {
	91,
	"SELECT ft.value, sum(s.count - s.malicious), sum(s.count)"
	" FROM day_stat s JOIN entity ft ON ft.id = s.entity"
	" WHERE s.kind = $4 AND s.day BETWEEN $1 AND $2"
	" AND (lower(ft.value) LIKE '%macro%' OR lower(ft.value) LIKE '%msword%'"
	" OR lower(ft.value) LIKE '%ms-excel%' OR lower(ft.value) LIKE"
	" '%ms-powerpoint%' OR lower(ft.value) LIKE '%ms-office%'"
	" OR lower(ft.value) LIKE '%cdfv2%' OR lower(ft.value) LIKE '%composite%')"
	" GROUP BY ft.value HAVING sum(s.count - s.malicious) > 0"
	" ORDER BY 2 DESC LIMIT $3",
	NULL
};
/* The finding-based recommendations first pick the rules of interest from
 * the per-day rule rollup (small), then read only those rules' findings,
 * which the finding table keeps in rule order. A rule entity's value is
 * "analyzer/rule". */
#define RULES_LIKE(cond)                                                     \
	" f.rule IN (SELECT DISTINCT d.entity FROM day_stat d"              \
	" JOIN entity en ON en.id = d.entity WHERE d.kind = 8"               \
	" AND d.day BETWEEN $4 AND $5 AND (" cond "))"
#define ANALYZER(v) "substr(" v ", 1, instr(" v ", '/') - 1)"
#define RULE(v) "substr(" v ", instr(" v ", '/') + 1)"
#define ANALYZER_PG(v) "substr(" v ", 1, strpos(" v ", '/') - 1)"
#define RULE_PG(v) "substr(" v ", strpos(" v ", '/') + 1)"
#define LOOKALIKE                                                            \
	"lower(en.value) LIKE '%lookalike%' OR lower(en.value) LIKE"         \
	" '%homoglyph%' OR lower(en.value) LIKE '%typosquat%'"
#define AUTH                                                                 \
	"lower(en.value) LIKE '%spf%' OR lower(en.value) LIKE '%dkim%'"      \
	" OR lower(en.value) LIKE '%dmarc%' OR en.value LIKE 'auth/%'"
#define INTEL "en.value LIKE 'intel/%'"
#define Q_LOOKALIKE(a, r)                                                    \
	"SELECT " a("rv.value") ", " r("rv.value") ", f.evidence,"           \
	" count(DISTINCT e.id) FROM finding f JOIN entity rv ON rv.id = f.rule" \
	" JOIN event e ON e.id = f.event"                                    \
	" WHERE e.ts BETWEEN $1 AND $2 AND" RULES_LIKE(LOOKALIKE)            \
	" GROUP BY rv.value, f.evidence ORDER BY 4 DESC, 2, 3 LIMIT $3"
#define Q_AUTH(r)                                                            \
	"SELECT s.value, count(DISTINCT e.id), min(" r("rv.value") ")"        \
	" FROM finding f JOIN entity rv ON rv.id = f.rule"                   \
	" JOIN event e ON e.id = f.event"                                    \
	" JOIN entity s ON s.id = e.sender"                                  \
	" WHERE e.ts BETWEEN $1 AND $2 AND" RULES_LIKE(AUTH)                 \
	" GROUP BY s.value ORDER BY 2 DESC, s.value LIMIT $3"
#define Q_INTEL(r)                                                           \
	"SELECT " r("rv.value") ", f.evidence, count(DISTINCT e.id)"         \
	" FROM finding f JOIN entity rv ON rv.id = f.rule"                   \
	" JOIN event e ON e.id = f.event WHERE e.ts BETWEEN $1 AND $2"       \
	" AND e.action < 2 AND" RULES_LIKE(INTEL)                            \
	" GROUP BY rv.value, f.evidence ORDER BY 3 DESC, 1, 2 LIMIT $3"
static const struct gv_sql_stmt q_rec_lookalike = {
	92, Q_LOOKALIKE(ANALYZER, RULE), Q_LOOKALIKE(ANALYZER_PG, RULE_PG)
};
static const struct gv_sql_stmt q_rec_auth = { 93, Q_AUTH(RULE),
					       Q_AUTH(RULE_PG) };
static const struct gv_sql_stmt q_rec_intel = { 94, Q_INTEL(RULE),
						Q_INTEL(RULE_PG) };

/* Lookalikes of protected brands kept by geneva domains (alerts.c). */
static const struct gv_sql_stmt q_rec_lk_domains = {
	95,
	"SELECT b.value, count(*), max(l.score),"
	" min(CASE WHEN l.score = (SELECT max(score) FROM lookalike x"
	" WHERE x.brand = l.brand) THEN d.value END)"
	" FROM lookalike l JOIN entity b ON b.id = l.brand"
	" JOIN entity d ON d.id = l.domain"
	" WHERE l.last_seen >= $1 AND l.first_seen <= $2"
	" GROUP BY b.value ORDER BY 2 DESC, b.value LIMIT $3",
	NULL
};

struct rec_ctx {
	json_t *rows;
	const char *topic, *fmt;
	int kind; /* which recommendation, for its wording */
};

static int rec_cb(void *ctx, const struct gv_sql_row *row)
{
	struct rec_ctx *c = ctx;
	char text[700];
	const char *a = row->col[0].s ? row->col[0].s : "-";
	json_t *ev = json_object();
	switch (c->kind) {
	case 0:
		snprintf(text, sizeof(text),
			 "%.300s is targeted again and again: give them "
			 "targeted awareness training and stricter filtering "
			 "(quarantine instead of tag)",
			 a);
		json_object_set_new(ev, "malicious_messages",
				    json_integer(row->col[1].i));
		json_object_set_new(ev, "days_attacked",
				    json_integer(row->col[2].i));
		break;
	case 1:
		snprintf(text, sizeof(text),
			 "Office documents (%.200s) that can carry macros "
			 "reached users: block or sandbox macro-enabled "
			 "attachments from outside",
			 a);
		json_object_set_new(ev, "delivered_messages",
				    json_integer(row->col[1].i));
		json_object_set_new(ev, "messages", json_integer(row->col[2].i));
		break;
	case 2:
		snprintf(text, sizeof(text),
			 "lookalikes of our names are in use (%.200s): watch "
			 "and take down the domains, add them to the RPZ",
			 row->col[2].s ? row->col[2].s : a);
		json_object_set_new(ev, "rule",
				    json_string(row->col[1].s ? row->col[1].s :
								""));
		json_object_set_new(ev, "messages",
				    json_integer(row->col[3].i));
		break;
	case 3:
		snprintf(text, sizeof(text),
			 "mail claiming to be from %.300s fails sender "
			 "authentication: enforce DMARC (p=reject) for it",
			 a);
		json_object_set_new(ev, "messages", json_integer(row->col[1].i));
		json_object_set_new(ev, "rule",
				    json_string(row->col[2].s ? row->col[2].s :
								""));
		break;
	case 5:
		snprintf(text, sizeof(text),
			 "%lld lookalike domain(s) of %.200s were seen (closest: "
			 "%.200s): put them in the RPZ and request takedowns",
			 (long long)row->col[1].i, a,
			 row->col[3].s ? row->col[3].s : "-");
		json_object_set_new(ev, "brand", json_string(a));
		json_object_set_new(ev, "lookalikes",
				    json_integer(row->col[1].i));
		json_object_set_new(ev, "best_score",
				    json_integer(row->col[2].i));
		json_object_set_new(ev, "closest",
				    json_string(row->col[3].s ? row->col[3].s :
								""));
		break;
	default:
		snprintf(text, sizeof(text),
			 "threat-intel hits were delivered (%.300s): quarantine "
			 "on indicator hits",
			 row->col[1].s ? row->col[1].s : a);
		json_object_set_new(ev, "messages", json_integer(row->col[2].i));
	}
	json_array_append_new(c->rows,
			      json_pack("{s:s s:s s:o}", "topic", c->topic,
					"recommendation", text, "evidence",
					ev));
	return 0;
}

int report_recommendations(struct gv_intel_store *st,
			   const struct gv_intel_report_query *q, json_t *rows,
			   const char **error_r)
{
	int64_t until = q->until ? q->until : INT64_MAX;
	struct gv_sql_val pd[4] = { GV_SQL_I(report_day(q->since, false)),
				    GV_SQL_I(report_day(q->until, true)),
				    GV_SQL_I((int64_t)q->limit),
				    GV_SQL_I(GV_ENT_FILETYPE) };
	struct gv_sql_val pt[5] = { GV_SQL_I(q->since), GV_SQL_I(until),
				    GV_SQL_I((int64_t)q->limit), pd[0], pd[1] };
	struct {
		const struct gv_sql_stmt *q;
		const char *topic;
		bool by_day;
		size_t np;
	} recs[] = {
		{ &q_rec_repeat, "repeatedly-targeted-user", true, 3 },
		{ &q_rec_macro, "macro-documents-delivered", true, 4 },
		{ &q_rec_lookalike, "lookalike-domains", false, 5 },
		{ &q_rec_auth, "sender-authentication-failures", false, 5 },
		{ &q_rec_intel, "intel-hits-delivered", false, 5 },
		{ &q_rec_lk_domains, "lookalike-domains-registered", false,
		  3 },
	};
	for (size_t i = 0; i < GV_ARRAY_LEN(recs); i++) {
		struct rec_ctx c = { .rows = rows,
				     .topic = recs[i].topic,
				     .kind = (int)i };
		if (intel_sql_run(st, recs[i].q, recs[i].by_day ? pd : pt,
				  recs[i].np, rec_cb, &c, error_r) < 0)
			return -1;
	}
	return 1;
}
