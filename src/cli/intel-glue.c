/*
 * Glue between `geneva scan` and the intel module: the indicator hook the
 * scan engine calls (answered from a compiled index snapshot, never from
 * the store), and the conversion of a scan result into the intel event that
 * the recorder queues. See intel-cli.h.
 *
 * Attribution of a message (campaign, malware families) comes from the
 * indicator hits of that same scan: the hook notes them, record() uses and
 * clears them. That pairing assumes one scan at a time per glue object,
 * which is how the CLI scans; the milter will keep one glue per worker.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/intel-cli.h"

struct gv_cli_intel_scan {
	struct gv_intel_index *index;
	struct gv_intel_recorder *rec;
	struct gv_scan_intel hook;
	char campaign[256];
	char families[4][128];
	size_t n_families;
	size_t recorded;
};

static char *resolve_uri(const struct gv_cli_store_opts *o,
			 struct gv_intel_config **cfg_r)
{
	const char *err;
	*cfg_r = NULL;
	if (gv_intel_config_load(gv_cli_config_path(o->config), cfg_r,
				 &err) < 0) {
		fprintf(stderr, "geneva: %s\n", err);
		return NULL;
	}
	if (o->db) {
		size_t n = strlen(o->db) + 8;
		char *u = gv_malloc(n);
		snprintf(u, n, "sqlite:%s", o->db);
		return u;
	}
	return gv_strdup(o->store ? o->store : (*cfg_r)->store);
}

int gv_cli_intel_store(const struct gv_cli_store_opts *o,
		       struct gv_intel_store **store_r)
{
	struct gv_intel_config *cfg;
	char *uri = resolve_uri(o, &cfg);
	if (uri == NULL)
		return -1;
	struct gv_intel_store_settings s = { .uri = uri,
					     .busy_timeout_ms =
						     cfg->busy_timeout_ms };
	const char *err;
	int rc = gv_intel_store_open(&s, store_r, &err);
	if (rc < 0)
		fprintf(stderr, "geneva: %s: %s\n", uri, err);
	gv_free(uri);
	gv_intel_config_free(&cfg);
	return rc;
}

int64_t gv_cli_parse_time(const char *s, bool end)
{
	uint64_t v;
	if (gv_parse_u64(s, INT64_MAX, &v) > 0)
		return (int64_t)v;
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	bool date_only = false;
	if (rest == NULL) {
		memset(&tm, 0, sizeof(tm));
		rest = strptime(s, "%Y-%m-%d", &tm);
		date_only = true;
	}
	if (rest == NULL || (*rest != '\0' && strcmp(rest, "Z") != 0))
		return -1;
	int64_t t = (int64_t)timegm(&tm);
	return date_only && end ? t + 86399 : t;
}

/* ---- the scan engine's indicator hook ---- */

static int hook_lookup(void *ctx, struct gv_pool *pool, const char *kind,
		       const char *value, const char **what_r, int *score_r)
{
	struct gv_cli_intel_scan *s = ctx;
	enum gv_intel_kind k = strcmp(kind, "url") == 0	   ? GV_ENT_URL :
			       strcmp(kind, "domain") == 0 ? GV_ENT_DOMAIN :
			       strcmp(kind, "email") == 0  ? GV_ENT_SENDER :
			       strcmp(kind, "ip") == 0	   ? GV_ENT_IP :
			       strcmp(kind, "sha256") == 0 ||
					       strcmp(kind, "md5") == 0 ?
							   GV_ENT_HASH :
							   0;
	struct gv_intel_hit hit;
	if (k == 0 || gv_intel_index_lookup(s->index, k, value, &hit) != 1)
		return 0;
	*what_r = gv_psprintf(pool, "indicator %s (feed %s%s%s%s%s%s%s)",
			      hit.value, *hit.feed ? hit.feed : "-",
			      hit.campaign ? ", campaign " : "",
			      hit.campaign ? hit.campaign : "",
			      hit.actor ? ", actor " : "",
			      hit.actor ? hit.actor : "",
			      hit.malware ? ", malware " : "",
			      hit.malware ? hit.malware : "");
	*score_r = hit.campaign || hit.actor || hit.malware ? 100 : 80;
	if (hit.campaign && s->campaign[0] == '\0')
		snprintf(s->campaign, sizeof(s->campaign), "%s", hit.campaign);
	if (hit.malware && s->n_families < 4)
		snprintf(s->families[s->n_families++], 128, "%s", hit.malware);
	return 1;
}

/* mkdir -p, mode 0700 for what it creates. */
static int mkdir_p(const char *dir)
{
	char p[4200];
	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(p, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

/* The recorder of the store at uri; journal next to a --db file, else
 * intel.journal_dir. 1 ok, -1 error (error_r). */
static int start_recorder(const struct gv_cli_store_opts *o,
			  const struct gv_intel_config *cfg, const char *uri,
			  struct gv_intel_recorder **rec_r, const char **error_r)
{
	char jdir[4200];
	if (o->db)
		snprintf(jdir, sizeof(jdir), "%s.journal", o->db);
	else
		snprintf(jdir, sizeof(jdir), "%s", cfg->journal_dir);
	if (mkdir_p(jdir) < 0) {
		static char ebuf[4400];
		snprintf(ebuf, sizeof(ebuf), "journal dir %.4200s: %s", jdir,
			 strerror(errno));
		*error_r = ebuf;
		return -1;
	}
	struct gv_intel_recorder_settings rs = {
		.store = { .uri = uri, .busy_timeout_ms = cfg->busy_timeout_ms },
		.journal_dir = jdir,
		.queue_size = cfg->queue_size,
		.batch_size = cfg->batch_size,
	};
	return gv_intel_recorder_start(&rs, rec_r, error_r);
}

int gv_cli_intel_recorder_start(const struct gv_cli_store_opts *o,
				bool only_if_set,
				struct gv_intel_recorder **rec_r)
{
	*rec_r = NULL;
	struct gv_intel_config *cfg;
	char *uri = resolve_uri(o, &cfg);
	if (uri == NULL)
		return -1;
	const char *err = NULL;
	int rc = 0;
	if (!only_if_set || o->db || o->store || cfg->store_configured)
		rc = start_recorder(o, cfg, uri, rec_r, &err);
	if (rc < 0)
		fprintf(stderr, "geneva: %s: %s\n", uri, err);
	gv_free(uri);
	gv_intel_config_free(&cfg);
	return rc < 0 ? -1 : 0;
}

int gv_cli_intel_recorder_stop(struct gv_intel_recorder **rec)
{
	if (*rec == NULL)
		return 0;
	struct gv_intel_recorder_stats st;
	const char *err;
	int rc = gv_intel_recorder_stop(rec, &st, &err);
	if (rc <= 0)
		fprintf(stderr, "geneva: %s\n", err);
	return rc > 0 ? 0 : -1;
}

int gv_cli_intel_scan_start(const struct gv_cli_store_opts *o,
			    struct gv_scan_engine *engine,
			    struct gv_cli_intel_scan **s_r)
{
	struct gv_intel_config *cfg;
	char *uri = resolve_uri(o, &cfg);
	if (uri == NULL)
		return -1;
	struct gv_cli_intel_scan *s = gv_calloc(1, sizeof(*s));
	struct gv_intel_store_settings ss = {
		.uri = uri, .busy_timeout_ms = cfg->busy_timeout_ms
	};
	struct gv_intel_store *st;
	const char *err;
	int rc = gv_intel_store_open(&ss, &st, &err);
	if (rc > 0) {
		rc = gv_intel_index_build(st, &s->index, &err);
		gv_intel_store_close(&st);
	}
	if (rc > 0)
		rc = start_recorder(o, cfg, uri, &s->rec, &err);
	if (rc < 0) {
		fprintf(stderr, "geneva: %s: %s\n", uri, err);
		gv_intel_index_unref(&s->index);
		gv_free(s);
	} else {
		s->hook = (struct gv_scan_intel){ .ctx = s,
						  .lookup = hook_lookup };
		gv_scan_engine_set_intel(engine, &s->hook);
		*s_r = s;
	}
	gv_free(uri);
	gv_intel_config_free(&cfg);
	return rc < 0 ? -1 : 0;
}

struct gv_intel_recorder *gv_cli_intel_scan_recorder(struct gv_cli_intel_scan *s)
{
	return s ? s->rec : NULL;
}

/* ---- scan result -> intel event ---- */

static const char *nz(const char *s)
{
	return s && *s ? s : NULL;
}

/* Stable id: the same bytes for the same recipients are the same event, so
 * scanning a folder twice does not count its messages twice. */
static void event_id(const struct gv_scan_result *r, const char *const *rcpt,
		     size_t n, char out[65])
{
	crypto_hash_sha256_state h;
	unsigned char d[32];
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, r->msg->raw, r->msg->raw_len);
	for (size_t i = 0; i < n; i++)
		crypto_hash_sha256_update(&h, (const unsigned char *)rcpt[i],
					  strlen(rcpt[i]) + 1);
	crypto_hash_sha256_final(&h, d);
	static const char hx[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[64] = '\0';
}

void gv_cli_intel_scan_record(struct gv_cli_intel_scan *s,
			      const struct gv_scan_result *r,
			      const struct gv_scan_envelope *env)
{
	const struct gv_mail_message *m = r->msg;
	struct gv_pool *pool = gv_pool_new(16384);
	/* Targets: the envelope recipients, else To/Cc of the message. */
	const char *const *rcpt = env ? env->rcpt_to : NULL;
	size_t n_rcpt = env ? env->n_rcpt : 0;
	if (n_rcpt == 0 && m->n_to > 0) {
		const char **v = gv_palloc(pool, m->n_to * sizeof(*v));
		for (size_t i = 0; i < m->n_to; i++)
			v[n_rcpt++] = m->to[i].addr;
		rcpt = v;
	}
	char id[65];
	event_id(r, rcpt, n_rcpt, id);
	struct gv_intel_finding *f =
		gv_palloc(pool, (r->n_findings + 1) * sizeof(*f));
	for (size_t i = 0; i < r->n_findings; i++)
		f[i] = (struct gv_intel_finding){
			.analyzer = r->findings[i].analyzer,
			.rule_id = r->findings[i].rule,
			.score = r->findings[i].score,
			.evidence = r->findings[i].evidence,
			.part = r->findings[i].part,
		};
	struct gv_intel_url *u = gv_palloc(pool, (m->n_urls + 1) * sizeof(*u));
	for (size_t i = 0; i < m->n_urls; i++)
		u[i] = (struct gv_intel_url){ .url = m->urls[i].url,
					      .host = m->urls[i].host,
					      .domain = m->urls[i].registrable };
	const char **ips = gv_palloc(pool, (m->n_received_ips + 2) *
						   sizeof(*ips));
	size_t n_ips = 0;
	if (env && env->client_ip)
		ips[n_ips++] = env->client_ip;
	for (size_t i = 0; i < m->n_received_ips; i++)
		ips[n_ips++] = m->received_ips[i];
	struct gv_intel_attachment *a =
		gv_palloc(pool, (r->n_files + 1) * sizeof(*a));
	for (size_t i = 0; i < r->n_files; i++)
		a[i] = (struct gv_intel_attachment){
			.name = r->files[i].path,
			.type = r->files[i].true_type,
			.size = r->files[i].size,
			.sha256 = nz(r->files[i].sha256),
			.md5 = nz(r->files[i].md5),
		};
	/* Malware families: named by indicator hits, or the ClamAV signature
	 * / YARA rule that detected an attachment ("clamav.X", "yara.X"). */
	const char *fam[12];
	size_t n_fam = 0;
	for (size_t i = 0; i < s->n_families; i++)
		fam[n_fam++] = s->families[i];
	for (size_t i = 0; i < r->n_findings && n_fam < GV_ARRAY_LEN(fam);
	     i++) {
		const char *rule = r->findings[i].rule;
		const char *name =
			strncmp(rule, "clamav.", 7) == 0 ? rule + 7 :
			strncmp(rule, "yara.", 5) == 0	 ? rule + 5 :
							   NULL;
		bool dup = false;
		for (size_t k = 0; name && k < n_fam; k++)
			dup |= strcmp(fam[k], name) == 0;
		if (name && *name && !dup)
			fam[n_fam++] = name;
	}
	struct gv_intel_event ev = {
		.event_id = id,
		.time = (int64_t)time(NULL),
		.message_id = nz(m->message_id),
		.envelope_from = env ? env->mail_from : NULL,
		.envelope_rcpts = rcpt,
		.n_envelope_rcpts = n_rcpt,
		.from = m->from ? nz(m->from->addr) : NULL,
		.reply_to = m->reply_to ? nz(m->reply_to->addr) : NULL,
		.return_path = m->return_path ? nz(m->return_path->addr) : NULL,
		.subject = nz(m->subject),
		.action = (enum gv_intel_action)r->action,
		.score = r->score,
		.findings = f,
		.n_findings = r->n_findings,
		.urls = u,
		.n_urls = m->n_urls,
		.ips = ips,
		.n_ips = n_ips,
		.attachments = a,
		.n_attachments = r->n_files,
		.campaign = nz(s->campaign),
		.families = fam,
		.n_families = n_fam,
		.source = "cli",
	};
	const char *err;
	if (gv_intel_record(s->rec, &ev, &err) < 0)
		fprintf(stderr, "geneva: intel: %s\n", err);
	else
		s->recorded++;
	/* the brand index's lookalikes among link and sender domains: the
	 * store keeps them like `geneva domains watch` does */
	for (size_t i = 0; i < r->n_lookalikes; i++) {
		const struct gv_scan_lookalike_hit *h = &r->lookalikes[i];
		struct gv_intel_lookalike lk = {
			.domain = h->domain,
			.brand = h->brand,
			.technique = h->technique,
			.score = h->score > 0 ? (unsigned)h->score : 1,
			.source = "scan",
		};
		if (gv_intel_record_lookalike(s->rec, &lk, &err) < 0)
			fprintf(stderr, "geneva: intel: %s: %s\n", h->domain,
				err);
	}
	s->campaign[0] = '\0';
	s->n_families = 0;
	gv_pool_free(&pool);
}

int gv_cli_intel_scan_stop(struct gv_cli_intel_scan **sp)
{
	struct gv_cli_intel_scan *s = *sp;
	if (s == NULL)
		return 0;
	*sp = NULL;
	int rc = gv_cli_intel_recorder_stop(&s->rec);
	gv_intel_index_unref(&s->index);
	gv_free(s);
	return rc;
}
