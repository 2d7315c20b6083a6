/*
 * The milter protocol callbacks (called by server.c): collect the envelope and the raw message (capped
 * at the generation's max_message bytes), scan at end of message on a
 * borrowed scanner process (pool.c), then answer: accept with X-Geneva headers, tag (headers
 * + optional subject prefix), quarantine (stored and fsync'ed first, then
 * discard or hold), reject (550 5.7.1), or tempfail (451 4.7.1) when
 * overloaded or on an internal error (failure_mode: accept turns those into
 * an accept marked "unscanned"). Every message ends in exactly one
 * `event=message` log line.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "milter/milter-private.h"
#include "milter/proto.h"

static struct gv_milter_state *state;

static const char *const own_headers[] = { "X-Geneva-Verdict", "X-Geneva-Score",
					   "X-Geneva-Reasons" };

struct session {
	char client_ip[INET6_ADDRSTRLEN];
	char *helo;
	bool counted;          /* in state->sessions */
	bool leadspc;          /* header values carry their leading space */
	unsigned long noreply; /* SMFIP_NR_* steps negotiated */
	/* the message in progress (from MAIL FROM to its end) */
	struct gv_milter_gen *gen;
	struct gv_pool *pool;
	char *from;
	const char **rcpts;
	size_t n_rcpts, cap_rcpts;
	struct gv_buf msg;
	bool oversize;
	char *subject;         /* raw value of the first Subject header */
	unsigned n_own[3];     /* X-Geneva-* headers that came with it */
};

/* What happened to one message, for the answer and the log line. */
struct outcome {
	const char *verdict;   /* scan action, or "none" */
	const char *action;    /* what the MTA was told */
	int score;
	bool partial;
	const char *reasons;
	const char *qid_store; /* quarantine id */
	const char *error;
	unsigned crashes;      /* scanner processes this message killed */
};

static void msg_end(struct session *s)
{
	gv_milter_gen_put(state, s->gen);
	s->gen = NULL;
	gv_pool_free(&s->pool);
	gv_buf_free(&s->msg);
	gv_free(s->rcpts);
	s->rcpts = NULL;
	s->n_rcpts = s->cap_rcpts = 0;
	s->from = s->subject = NULL;
	s->oversize = false;
	memset(s->n_own, 0, sizeof(s->n_own));
}

static struct session *session_of(struct gv_mctx *ctx)
{
	struct session *s = ctx->priv;
	if (s == NULL) {
		s = gv_calloc(1, sizeof(*s));
		ctx->priv = s;
	}
	return s;
}

/* Steps without a round trip: every decision is taken at end of message,
 * so HELO, MAIL, RCPT, headers, end of headers and body chunks need no
 * reply, and DATA and unknown commands are not even sent: one round trip
 * per message. (On TCP that needs the server's TCP_QUICKACK, server.c.)
 * The connect step keeps its reply: that is where max_sessions is
 * enforced, once per MTA connection. */
#define NOREPLY (GV_MP_NR_HDR | GV_MP_NR_EOH | GV_MP_NR_BODY | GV_MP_NR_HELO | \
		 GV_MP_NR_MAIL | GV_MP_NR_RCPT | GV_MP_NR_DATA | GV_MP_NR_UNKN)

/* Continue, or "no reply" when the MTA agreed not to wait for one. */
static enum gv_mstat cont(const struct session *s, unsigned long step)
{
	return (s->noreply & step) ? GV_M_NOREPLY : GV_M_CONTINUE;
}

void gv_milter_cb_negotiate(struct gv_mctx *ctx, uint32_t f0, uint32_t f1,
			    uint32_t *pf0, uint32_t *pf1)
{
	struct session *s = session_of(ctx);
	*pf0 = f0 & (GV_MA_ADDHDRS | GV_MA_CHGHDRS | GV_MA_QUARANTINE);
	/* headers verbatim; steps without replies (see NOREPLY) */
	uint32_t want = GV_MP_HDR_LEADSPC | NOREPLY | GV_MP_NODATA | GV_MP_NOUNKNOWN;
	*pf1 = f1 & want;
	s->leadspc = (*pf1 & GV_MP_HDR_LEADSPC) != 0;
	s->noreply = *pf1 & NOREPLY;
}

enum gv_mstat gv_milter_cb_connect(struct gv_mctx *ctx, const char *ip)
{
	struct session *s = session_of(ctx);
	unsigned n = s->counted ? atomic_load(&state->sessions)
				: atomic_fetch_add(&state->sessions, 1) + 1;
	s->counted = true;
	snprintf(s->client_ip, sizeof(s->client_ip), "%s", ip);
	struct gv_milter_gen *g = gv_milter_gen_get(state);
	unsigned max = g->cfg->max_sessions;
	gv_milter_gen_put(state, g);
	if (n > max) {
		gv_log(GV_LOG_WARN, "event=overload sessions=%u max_sessions=%u client=%s",
		       n, max, s->client_ip[0] ? s->client_ip : "-");
		gv_mctx_setreply(ctx, "451", "4.7.1",
			      "Geneva: too many sessions, try again later");
		return GV_M_TEMPFAIL;
	}
	return GV_M_CONTINUE;
}

enum gv_mstat gv_milter_cb_helo(struct gv_mctx *ctx, const char *helo)
{
	struct session *s = session_of(ctx);
	gv_free(s->helo);
	s->helo = gv_strndup(helo ? helo : "", 255);
	return cont(s, GV_MP_NR_HELO);
}

enum gv_mstat gv_milter_cb_envfrom(struct gv_mctx *ctx, const char *arg)
{
	struct session *s = session_of(ctx);
	msg_end(s);
	s->gen = gv_milter_gen_get(state);
	s->pool = gv_pool_new(16 * 1024);
	s->from = gv_milter_addr(s->pool, arg);
	gv_buf_init(&s->msg, s->gen->max_message);
	return cont(s, GV_MP_NR_MAIL);
}

enum gv_mstat gv_milter_cb_envrcpt(struct gv_mctx *ctx, const char *arg)
{
	struct session *s = session_of(ctx);
	if (s->pool == NULL)
		return cont(s, GV_MP_NR_RCPT);
	if (s->n_rcpts == s->cap_rcpts) {
		s->cap_rcpts = s->cap_rcpts ? s->cap_rcpts * 2 : 4;
		s->rcpts = gv_realloc(s->rcpts, gv_mul_size(s->cap_rcpts, sizeof(char *)));
	}
	s->rcpts[s->n_rcpts++] = gv_milter_addr(s->pool, arg);
	return cont(s, GV_MP_NR_RCPT);
}

enum gv_mstat gv_milter_cb_header(struct gv_mctx *ctx, const char *name, const char *value)
{
	struct session *s = session_of(ctx);
	if (s->pool == NULL || name == NULL)
		return cont(s, GV_MP_NR_HDR);
	for (size_t i = 0; i < GV_ARRAY_LEN(own_headers); i++)
		if (strcasecmp(name, own_headers[i]) == 0)
			s->n_own[i]++;
	if (s->subject == NULL && strcasecmp(name, "Subject") == 0)
		s->subject = gv_pstrdup(s->pool, value ? value : "");
	if (!s->oversize &&
	    gv_milter_append_header(&s->msg, name, value, s->leadspc) < 0)
		s->oversize = true;
	return cont(s, GV_MP_NR_HDR);
}

enum gv_mstat gv_milter_cb_eoh(struct gv_mctx *ctx)
{
	struct session *s = session_of(ctx);
	if (s->pool && !s->oversize && gv_buf_append(&s->msg, "\r\n", 2) < 0)
		s->oversize = true;
	return cont(s, GV_MP_NR_EOH);
}

enum gv_mstat gv_milter_cb_body(struct gv_mctx *ctx, const unsigned char *chunk, size_t len)
{
	struct session *s = session_of(ctx);
	/* past the cap nothing more is kept: memory stays bounded and the
	 * answer comes at end of message */
	if (s->pool && !s->oversize && gv_buf_append(&s->msg, chunk, len) < 0)
		s->oversize = true;
	return cont(s, GV_MP_NR_BODY);
}

/* A header value as the MTA expects it back (see on_negotiate). */
static char *hval(const struct session *s, const char *v)
{
	return gv_psprintf(s->pool, "%s%s", s->leadspc ? " " : "", v);
}

static int add_headers(struct gv_mctx *ctx, struct session *s, const char *verdict,
		       int score, const char *reasons)
{
	/* headers of the same names that came with the message are removed
	 * (highest index first): only ours can be trusted downstream */
	for (size_t i = 0; i < GV_ARRAY_LEN(own_headers); i++)
		for (unsigned k = s->n_own[i]; k > 0; k--)
			if (gv_mctx_chgheader(ctx, own_headers[i], k, NULL) < 0)
				return -1;
	char score_s[24];
	snprintf(score_s, sizeof(score_s), "%d", score);
	if (gv_mctx_addheader(ctx, "X-Geneva-Verdict", hval(s, verdict)) < 0 ||
	    gv_mctx_addheader(ctx, "X-Geneva-Score", hval(s, score_s)) < 0 ||
	    gv_mctx_addheader(ctx, "X-Geneva-Reasons",
			   hval(s, *reasons ? reasons : "none")) < 0)
		return -1;
	return 0;
}

static int prefix_subject(struct gv_mctx *ctx, struct session *s, const char *prefix)
{
	if (*prefix == '\0')
		return 0;
	const char *old = s->subject ? s->subject : "";
	while (*old == ' ' || *old == '\t')
		old++;
	if (strncmp(old, prefix, strlen(prefix)) == 0)
		return 0;
	char *v = gv_psprintf(s->pool, "%s%s%s", s->leadspc ? " " : "", prefix, old);
	int rc = s->subject ? gv_mctx_chgheader(ctx, "Subject", 1, v)
			    : gv_mctx_addheader(ctx, "Subject", v);
	return rc < 0 ? -1 : 0;
}

static enum gv_mstat tempfail(struct gv_mctx *ctx, struct outcome *o, const char *why)
{
	char text[200];
	snprintf(text, sizeof(text), "Geneva: temporary failure (%s), try again later", why);
	gv_mctx_setreply(ctx, "451", "4.7.1", text);
	o->action = "tempfail";
	o->error = why;
	return GV_M_TEMPFAIL;
}

/* Overload or internal error: tempfail, or accept marked unscanned. */
static enum gv_mstat failure(struct gv_mctx *ctx, struct session *s, struct outcome *o,
			const char *why)
{
	if (s->gen->cfg->failure_mode == GV_MILTER_FAIL_TEMPFAIL)
		return tempfail(ctx, o, why);
	o->action = "accept-unscanned";
	o->error = why;
	if (add_headers(ctx, s, "unscanned", 0, why) < 0)
		return tempfail(ctx, o, "header change failed");
	return GV_M_ACCEPT;
}

static enum gv_mstat quarantine(struct gv_mctx *ctx, struct session *s, struct outcome *o,
			   const struct gv_milter_verdict *r, const char *qid)
{
	const char *vj = r->json;
	struct gv_quarantine_entry e = {
		.queue_id = qid, .sender = s->from, .rcpts = s->rcpts,
		.n_rcpts = s->n_rcpts, .client_ip = s->client_ip, .helo = s->helo,
		.subject = s->subject ? s->subject + strspn(s->subject, " \t") : "",
		.action = o->verdict, .score = r->score,
		.reasons = o->reasons, .verdict_json = vj,
	};
	const char *err;
	int rc = gv_quarantine_put(state->store, &e, s->msg.data, s->msg.len, &err);
	if (rc < 0) {
		gv_log(GV_LOG_ERROR, "event=quarantine_error qid=%s error=%s", qid,
		       gv_milter_logval(s->pool, err, 300));
		return failure(ctx, s, o, "quarantine store failed");
	}
	o->qid_store = gv_pstrdup(s->pool, e.id);
	if (s->gen->cfg->quarantine_mode == GV_MILTER_Q_DISCARD) {
		o->action = "discard";
		return GV_M_DISCARD;
	}
	/* hold: Postfix keeps it in its hold queue; our copy is the record */
	char *why = gv_psprintf(s->pool, "Geneva quarantine %s", e.id);
	if (gv_mctx_quarantine(ctx, why) < 0 ||
	    add_headers(ctx, s, o->verdict, r->score, o->reasons) < 0)
		return failure(ctx, s, o, "hold failed");
	o->action = "hold";
	return GV_M_ACCEPT;
}

static enum gv_mstat decide(struct gv_mctx *ctx, struct session *s, struct outcome *o,
		       const struct gv_milter_verdict *r, const char *qid)
{
	const struct gv_milter_config *cfg = s->gen->cfg;
	o->verdict = gv_action_name(r->action);
	o->score = r->score;
	o->partial = r->partial;
	o->reasons = r->reasons;
	switch (r->action) {
	case GV_ACTION_REJECT: {
		char *text = gv_psprintf(s->pool, "Rejected by Geneva (queue id %s): %s",
					 qid, r->reject_reasons);
		gv_mctx_setreply(ctx, "550", "5.7.1", gv_milter_safe_text(s->pool, text, 250));
		o->action = "reject";
		return GV_M_REJECT;
	}
	case GV_ACTION_QUARANTINE:
		return quarantine(ctx, s, o, r, qid);
	case GV_ACTION_TAG:
		if (prefix_subject(ctx, s, cfg->subject_prefix) < 0)
			return failure(ctx, s, o, "header change failed");
		/* fall through */
	case GV_ACTION_ACCEPT:
	default:
		if (cfg->add_headers &&
		    add_headers(ctx, s, o->verdict, r->score, o->reasons) < 0)
			return failure(ctx, s, o, "header change failed");
		o->action = "accept";
		return GV_M_ACCEPT;
	}
}

static char *joined_rcpts(const struct session *s)
{
	struct gv_buf b;
	gv_buf_init(&b, 4096);
	for (size_t i = 0; i < s->n_rcpts; i++) {
		if ((i && gv_buf_putc(&b, ',') < 0) ||
		    gv_buf_append(&b, s->rcpts[i], strlen(s->rcpts[i])) < 0)
			break;
	}
	const char *c = gv_buf_cstr(&b);
	char *out = gv_milter_logval(s->pool, c ? c : "", 4096);
	gv_buf_free(&b);
	return out;
}

static void log_message(const struct session *s, const char *qid,
			const struct outcome *o, uint64_t us)
{
	gv_log(o->error && strcmp(o->action, "tempfail") == 0 ? GV_LOG_WARN : GV_LOG_INFO,
	       "event=message qid=%s from=%s rcpt=%s client=%s size=%zu verdict=%s"
	       " score=%d action=%s reasons=%s quarantine_id=%s partial=%d%s%s%s"
	       " generation=%u ms=%.1f",
	       gv_milter_logval(s->pool, qid, 64), gv_milter_logval(s->pool, s->from, 512),
	       joined_rcpts(s), s->client_ip[0] ? s->client_ip : "-", s->msg.len,
	       o->verdict, o->score, o->action,
	       gv_milter_logval(s->pool, o->reasons ? o->reasons : "", 500),
	       o->qid_store ? o->qid_store : "-", o->partial,
	       o->error ? " error=" : "",
	       o->error ? gv_milter_logval(s->pool, o->error, 200) : "",
	       o->crashes ? gv_psprintf(s->pool, " scanner_crashes=%u", o->crashes) : "",
	       s->gen->id, (double)us / 1000.0);
}

/* The verdict for a message that killed GV_MILTER_CRASH_LIMIT scanners
 * (crash.c): quarantine, so it stops coming back, with a finding that
 * says why. The JSON follows docs/scan-json.md with what is known. */
static void crash_verdict(struct session *s, const char *qid, unsigned total,
			  struct gv_milter_verdict *v)
{
	char id[64];
	size_t k = 0;
	for (const char *p = qid; *p && k + 1 < sizeof(id); p++)
		if ((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
			id[k++] = *p;
	id[k] = '\0';
	memset(v, 0, sizeof(*v));
	v->action = GV_ACTION_QUARANTINE;
	v->partial = true;
	v->reasons = "milter.scanner_crashed";
	v->reject_reasons = v->reasons;
	v->json = gv_psprintf(s->pool,
		"{\"version\":%d,\"source\":\"%s\",\"message_id\":\"\",\"subject\":\"\","
		"\"from\":null,\"reply_to\":null,\"to\":[],"
		"\"verdict\":{\"action\":\"quarantine\",\"score\":0,\"partial\":true},"
		"\"findings\":[{\"analyzer\":\"milter\",\"rule\":\"milter.scanner_crashed\","
		"\"score\":0,\"evidence\":\"scanner processes died %u times on this message\","
		"\"part\":\"\"}],\"urls\":[],\"attachments\":[],\"parts\":[],\"elapsed_ms\":0}",
		GV_SCAN_JSON_VERSION, id, total);
}

static enum gv_mstat scan_and_decide(struct gv_mctx *ctx, struct session *s, struct outcome *o,
				const char *qid)
{
	struct gv_milter_job job = {
		.qid = qid, .client_ip = s->client_ip, .helo = s->helo,
		.from = s->from, .rcpts = s->rcpts, .n_rcpts = s->n_rcpts,
		.data = s->msg.data, .len = s->msg.len,
	};
	struct gv_milter_verdict v;
	/* a scanner lost under this message: retry once on another one,
	 * unless the message has killed GV_MILTER_CRASH_LIMIT scanners by now
	 * (counting its earlier SMTP attempts): then it is quarantined */
	enum gv_milter_scan_rc sr;
	unsigned total = 0;
	uint64_t digest = 0;
	for (;;) {
		sr = gv_milter_scan(state, s->gen, &job, s->pool, &v);
		if (sr != GV_MILTER_SCAN_CRASHED)
			break;
		if (o->crashes++ == 0)
			digest = gv_milter_digest(s->msg.data, s->msg.len, s->from,
						  state->crash_seed);
		total = gv_milter_crash_note(state, digest, 1);
		if (o->crashes >= 2 || total >= GV_MILTER_CRASH_LIMIT)
			break;
	}
	switch (sr) {
	case GV_MILTER_SCAN_OK:
		return decide(ctx, s, o, &v, qid);
	case GV_MILTER_SCAN_ERROR:
		gv_log(GV_LOG_ERROR, "event=scan_error qid=%s error=%s", qid,
		       gv_milter_logval(s->pool, v.error, 300));
		return failure(ctx, s, o, "scan error");
	case GV_MILTER_SCAN_OVERLOAD: /* after a crash: no other scanner in time */
		return failure(ctx, s, o, o->crashes ? "scanner crashed"
					   : "overloaded: no free scanner");
	case GV_MILTER_SCAN_CRASHED:
	default:
		if (total >= GV_MILTER_CRASH_LIMIT) {
			crash_verdict(s, qid, total, &v);
			return decide(ctx, s, o, &v, qid);
		}
		return failure(ctx, s, o, "scanner crashed");
	}
}

enum gv_mstat gv_milter_cb_eom(struct gv_mctx *ctx)
{
	struct session *s = session_of(ctx);
	if (s->pool == NULL) /* no MAIL FROM seen: nothing sane to do */
		return GV_M_TEMPFAIL;
	uint64_t t0 = gv_now_us();
	const char *qid = ctx->qid[0] ? ctx->qid : NULL;
	qid = qid ? gv_pstrdup(s->pool, qid) : "-";
	struct outcome o = { .verdict = "none", .action = "?" };
	const struct gv_milter_config *cfg = s->gen->cfg;
	enum gv_mstat rc;
	if (s->oversize) {
		o.error = "message larger than milter.max_message_bytes";
		if (cfg->oversize_tempfail) {
			gv_mctx_setreply(ctx, "452", "4.3.1", "Geneva: message too big to scan now");
			o.action = "tempfail";
			rc = GV_M_TEMPFAIL;
		} else {
			gv_mctx_setreply(ctx, "552", "5.3.4", "Message too big for the content filter");
			o.action = "reject";
			rc = GV_M_REJECT;
		}
	} else {
		rc = scan_and_decide(ctx, s, &o, qid);
	}
	log_message(s, qid, &o, gv_now_us() - t0);
	atomic_fetch_add(&state->messages, 1);
	msg_end(s);
	return rc;
}

void gv_milter_cb_abort(struct gv_mctx *ctx)
{
	msg_end(session_of(ctx));
}

void gv_milter_cb_close(struct gv_mctx *ctx)
{
	struct session *s = ctx->priv;
	if (s != NULL) {
		if (s->counted)
			atomic_fetch_sub(&state->sessions, 1);
		msg_end(s);
		gv_free(s->helo);
		gv_free(s);
		ctx->priv = NULL;
	}
}

void gv_milter_register(struct gv_milter_state *st)
{
	state = st;
}
