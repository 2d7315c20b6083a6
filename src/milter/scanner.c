/*
 * A scanner process (`geneva milter --scanner-fd FD ...`, started by the
 * worker with fork + exec of its own binary, never by a user): one thread,
 * one scan engine, one message at a time. It loads the configuration, the
 * site's classifier and (when configured) the intel index, recorder and
 * alerts (scanner-record.c), says "ready" on its socket, then answers one
 * reply frame per request frame until the worker closes the socket.
 *
 * Why a process per scanner: a crash (or a hang, which the worker ends
 * with SIGKILL) while scanning one message then costs only that message;
 * the worker retries it on another scanner and starts a new one. Being
 * exec'd, it shares no lock or library state with the worker's threads.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "learn/learn.h"
#include "milter/milter-private.h"

/* The newest model of the learn store, if there is a store (a reload
 * starts new scanners, which pick up a newer version). Without one the
 * engine runs on rules alone. */
static struct gv_learn_model *load_model(void)
{
	if (access(GV_LEARN_DEFAULT_DB, R_OK) != 0)
		return NULL;
	struct gv_learn_db *db;
	struct gv_learn_model *m = NULL;
	const char *err;
	if (gv_learn_db_open(GV_LEARN_DEFAULT_DB, &db, &err) < 0) {
		gv_log(GV_LOG_WARN, "event=learn_store_unusable error=\"%s\"", err);
		return NULL;
	}
	int64_t version = 0;
	if (gv_learn_db_load_model(db, &m, &version, &err) < 0)
		gv_log(GV_LOG_WARN, "event=learn_model_unusable error=\"%s\"", err);
	else if (m != NULL)
		gv_log(GV_LOG_DEBUG, "event=learn_model_loaded version=%lld", (long long)version);
	gv_learn_db_close(&db);
	return m;
}

static int reply_error(int fd, const char *err)
{
	const void *f[] = { "error", err };
	size_t l[] = { 5, strlen(err) };
	return gv_milter_frame_write(fd, 2, f, l);
}

static int scan_one(int fd, struct gv_scan_engine *engine,
		    struct gv_milter_scanner_record *x,
		    const struct gv_milter_frame *req)
{
	if (req->n < GV_REQ_RCPT0)
		return reply_error(fd, "bad request");
	struct gv_pool *pool = gv_pool_new(16 * 1024);
	const char *const *rcpts = req->field + GV_REQ_RCPT0;
	const char *ip = req->field[GV_REQ_CLIENT_IP];
	struct gv_scan_envelope env = {
		.client_ip = *ip ? ip : NULL,
		.helo = req->field[GV_REQ_HELO],
		.mail_from = req->field[GV_REQ_FROM],
		.rcpt_to = rcpts, .n_rcpt = req->n - GV_REQ_RCPT0,
	};
	struct gv_scan_result *r;
	const char *err;
	int rc;
	if (gv_scan_message(engine, pool, (const unsigned char *)req->field[GV_REQ_MESSAGE],
			    req->len[GV_REQ_MESSAGE], &env, &r, &err) < 0) {
		rc = reply_error(fd, err ? err : "scan failed");
		gv_pool_free(&pool);
		return rc;
	}
	char score[24];
	snprintf(score, sizeof(score), "%d", r->score);
	struct gv_buf js;
	gv_buf_init(&js, (size_t)16 << 20);
	const char *json = "";
	if (r->action == GV_ACTION_QUARANTINE &&
	    gv_scan_result_json(r, req->field[GV_REQ_QID], &js) > 0 && gv_buf_cstr(&js))
		json = gv_buf_cstr(&js);
	const void *f[GV_REP_N] = {
		[GV_REP_STATUS] = "ok",
		[GV_REP_ACTION] = gv_action_name(r->action),
		[GV_REP_SCORE] = score,
		[GV_REP_PARTIAL] = r->partial ? "1" : "0",
		[GV_REP_REASONS] = gv_milter_reasons(pool, r, 8, 400),
		[GV_REP_REJECT_REASONS] = gv_milter_reasons(pool, r, 3, 160),
		[GV_REP_JSON] = json,
	};
	size_t l[GV_REP_N];
	for (size_t i = 0; i < GV_REP_N; i++)
		l[i] = strlen(f[i]);
	rc = gv_milter_frame_write(fd, GV_REP_N, f, l);
	gv_buf_free(&js);
	/* after the answer: the store and the alert outbox never delay mail */
	gv_milter_scanner_record(x, r, &env, req->field[GV_REQ_QID]);
	gv_pool_free(&pool);
	return rc;
}

int gv_milter_scanner_main(const char *config_path, int fd, uint64_t max_message,
			   bool syslog)
{
	signal(SIGPIPE, SIG_IGN);
	/* the worker's end closes when it dies; this makes sure a scanner in
	 * the middle of a long scan does not outlive it either */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (syslog)
		gv_log_set_syslog(true, "geneva-milter");
	uint64_t t0 = gv_now_ms();
	struct gv_scan_engine *engine;
	const char *err;
	if (gv_scan_engine_load(config_path, &engine, &err) < 0) {
		reply_error(fd, err);
		return 2;
	}
	struct gv_learn_model *model = load_model();
	struct gv_learn_hook hook;
	if (model != NULL) {
		gv_learn_hook_init(&hook, model, NULL);
		struct gv_scan_classifier c = gv_learn_hook_classifier(&hook);
		gv_scan_engine_set_classifier(engine, &c);
	}
	struct gv_milter_scanner_record x;
	gv_milter_scanner_record_start(&x, config_path, engine);
	char ms[24];
	snprintf(ms, sizeof(ms), "%llu", (unsigned long long)(gv_now_ms() - t0));
	const void *rf[] = { "ready", ms };
	size_t rl[] = { 5, strlen(ms) };
	int rv = 0;
	if (gv_milter_frame_write(fd, 2, rf, rl) < 0)
		rv = 2;
	/* a request: the message plus envelope strings and recipients */
	uint64_t max_bytes = max_message + ((uint64_t)4 << 20);
	while (rv == 0) {
		struct gv_milter_frame req;
		int rc = gv_milter_frame_read(fd, GV_MILTER_FRAME_MAX_FIELDS, max_bytes, -1, &req);
		if (rc == 0)
			break; /* the worker let us go */
		if (rc < 0) {
			gv_log(GV_LOG_ERROR, "event=scanner_protocol_error pid=%ld", (long)getpid());
			rv = 2;
			break;
		}
		if (scan_one(fd, engine, &x, &req) < 0)
			rv = 2;
		gv_milter_frame_free(&req);
	}
	gv_milter_scanner_record_stop(&x);
	gv_scan_engine_free(&engine);
	gv_learn_model_free(&model);
	return rv;
}
