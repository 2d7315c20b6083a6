/*
 * The recorder's on-disk journal and the event codec it uses.
 *
 * File: <journal_dir>/intel.journal, append-only. Record:
 *   u32 magic "GVJ1" | u32 payload length | u32 CRC-32 of payload | payload
 * (little endian), payload = the record as compact JSON: an event, or an
 * alert ("t":"a") or a lookalike ("t":"l"). Appends are followed by
 * fdatasync before the caller is told the records are safe. A crash
 * mid-append leaves at most an unsynced torn tail, which nobody was told
 * was safe: it is cut off when the journal is opened. Reading stops at the
 * first corrupt record (only a damaged disk makes one past open); the
 * bytes ignored are logged. Replay streams the file with pread, a record
 * at a time, and is idempotent because every record carries its key.
 * Limits: one record at most 16 MiB.
 */
#include "intel/intel-journal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define J_MAGIC 0x314a5647u /* "GVJ1" */
#define J_MAX_RECORD (16u << 20)

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t crc32(const unsigned char *p, size_t n)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, crc_init);
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++)
		c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* ---- codec ---- */

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *jstrs(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, jstr(v[i]));
	return a;
}

static char *event_encode(const struct gv_intel_event *ev)
{
	json_t *o = json_pack("{s:o s:I s:o s:I s:o s:o s:o s:o s:o s:o s:i s:f"
			      " s:o s:o s:o}",
			      "id", jstr(ev->event_id), "time",
			      (json_int_t)ev->time, "mid", jstr(ev->message_id),
			      "date", (json_int_t)ev->date, "efrom",
			      jstr(ev->envelope_from), "rcpt",
			      jstrs(ev->envelope_rcpts, ev->n_envelope_rcpts),
			      "from", jstr(ev->from), "rt", jstr(ev->reply_to),
			      "rp", jstr(ev->return_path), "subj",
			      jstr(ev->subject), "act", (int)ev->action, "score",
			      ev->score, "ips", jstrs(ev->ips, ev->n_ips),
			      "camp", jstr(ev->campaign), "fam",
			      jstrs(ev->families, ev->n_families));
	json_object_set_new(o, "src", jstr(ev->source));
	json_t *f = json_array();
	for (size_t i = 0; i < ev->n_findings; i++) {
		const struct gv_intel_finding *x = &ev->findings[i];
		json_array_append_new(
			f, json_pack("[o o f o o]", jstr(x->analyzer),
				     jstr(x->rule_id), x->score,
				     jstr(x->evidence), jstr(x->part)));
	}
	json_object_set_new(o, "f", f);
	json_t *u = json_array();
	for (size_t i = 0; i < ev->n_urls; i++)
		json_array_append_new(u, json_pack("[o o o o]",
						   jstr(ev->urls[i].url),
						   jstr(ev->urls[i].host),
						   jstr(ev->urls[i].domain),
						   jstr(ev->urls[i].source)));
	json_object_set_new(o, "u", u);
	json_t *a = json_array();
	for (size_t i = 0; i < ev->n_attachments; i++) {
		const struct gv_intel_attachment *x = &ev->attachments[i];
		json_array_append_new(a, json_pack("[o o I o o]", jstr(x->name),
						   jstr(x->type),
						   (json_int_t)x->size,
						   jstr(x->sha256),
						   jstr(x->md5)));
	}
	json_object_set_new(o, "a", a);
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s; /* malloc'd by jansson; free with free() via gv_free */
}

static const char *pstr(struct gv_pool *pool, json_t *v)
{
	const char *s = json_string_value(v);
	return s ? gv_pstrdup(pool, s) : NULL;
}

static const char *const *pstrs(struct gv_pool *pool, json_t *a, size_t *n_r)
{
	size_t n = json_array_size(a);
	const char **v = gv_palloc(pool, (n + 1) * sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = pstr(pool, json_array_get(a, i));
	*n_r = n;
	return v;
}

static int event_decode(struct gv_pool *pool, json_t *o,
			struct gv_intel_event **ev_r)
{
	struct gv_intel_event *ev = gv_palloc(pool, sizeof(*ev));
	ev->event_id = pstr(pool, json_object_get(o, "id"));
	ev->time = json_integer_value(json_object_get(o, "time"));
	ev->message_id = pstr(pool, json_object_get(o, "mid"));
	ev->date = json_integer_value(json_object_get(o, "date"));
	ev->envelope_from = pstr(pool, json_object_get(o, "efrom"));
	ev->envelope_rcpts = pstrs(pool, json_object_get(o, "rcpt"),
				   &ev->n_envelope_rcpts);
	ev->from = pstr(pool, json_object_get(o, "from"));
	ev->reply_to = pstr(pool, json_object_get(o, "rt"));
	ev->return_path = pstr(pool, json_object_get(o, "rp"));
	ev->subject = pstr(pool, json_object_get(o, "subj"));
	ev->action = (enum gv_intel_action)json_integer_value(
		json_object_get(o, "act"));
	ev->score = json_number_value(json_object_get(o, "score"));
	ev->ips = pstrs(pool, json_object_get(o, "ips"), &ev->n_ips);
	ev->campaign = pstr(pool, json_object_get(o, "camp"));
	ev->families = pstrs(pool, json_object_get(o, "fam"), &ev->n_families);
	ev->source = pstr(pool, json_object_get(o, "src"));
	json_t *f = json_object_get(o, "f"), *u = json_object_get(o, "u"),
	       *a = json_object_get(o, "a");
	struct gv_intel_finding *fs =
		gv_palloc(pool, (json_array_size(f) + 1) * sizeof(*fs));
	for (size_t i = 0; i < json_array_size(f); i++) {
		json_t *x = json_array_get(f, i);
		fs[i].analyzer = pstr(pool, json_array_get(x, 0));
		fs[i].rule_id = pstr(pool, json_array_get(x, 1));
		fs[i].score = json_number_value(json_array_get(x, 2));
		fs[i].evidence = pstr(pool, json_array_get(x, 3));
		fs[i].part = pstr(pool, json_array_get(x, 4));
	}
	ev->findings = fs;
	ev->n_findings = json_array_size(f);
	struct gv_intel_url *us =
		gv_palloc(pool, (json_array_size(u) + 1) * sizeof(*us));
	for (size_t i = 0; i < json_array_size(u); i++) {
		json_t *x = json_array_get(u, i);
		us[i].url = pstr(pool, json_array_get(x, 0));
		us[i].host = pstr(pool, json_array_get(x, 1));
		us[i].domain = pstr(pool, json_array_get(x, 2));
		us[i].source = pstr(pool, json_array_get(x, 3));
	}
	ev->urls = us;
	ev->n_urls = json_array_size(u);
	struct gv_intel_attachment *as =
		gv_palloc(pool, (json_array_size(a) + 1) * sizeof(*as));
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *x = json_array_get(a, i);
		as[i].name = pstr(pool, json_array_get(x, 0));
		as[i].type = pstr(pool, json_array_get(x, 1));
		as[i].size = (uint64_t)json_integer_value(json_array_get(x, 2));
		as[i].sha256 = pstr(pool, json_array_get(x, 3));
		as[i].md5 = pstr(pool, json_array_get(x, 4));
	}
	ev->attachments = as;
	ev->n_attachments = json_array_size(a);
	*ev_r = ev;
	return ev->event_id != NULL ? 1 : -1;
}

/* Alerts and lookalikes: a flat object with a type tag. */
static char *alert_encode(const struct gv_intel_alert *a)
{
	json_t *o = json_pack("{s:s s:o s:o s:o s:i s:I s:o s:o s:o s:o s:o"
			      " s:o}",
			      "t", "a", "key", jstr(a->key), "det",
			      jstr(a->detector), "kind", jstr(a->kind), "sev",
			      a->severity, "time", (json_int_t)a->time, "user",
			      jstr(a->user), "ip", jstr(a->ip), "dom",
			      jstr(a->domain), "title", jstr(a->title), "sum",
			      jstr(a->summary), "details", jstr(a->details));
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static char *lookalike_encode(const struct gv_intel_lookalike *l)
{
	json_t *o = json_pack("{s:s s:o s:o s:o s:I s:I s:o}", "t", "l", "dom",
			      jstr(l->domain), "brand", jstr(l->brand), "tech",
			      jstr(l->technique), "score", (json_int_t)l->score,
			      "first", (json_int_t)l->first_seen, "src",
			      jstr(l->source));
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

char *intel_rec_encode(const struct intel_rec *r)
{
	switch (r->type) {
	case INTEL_REC_ALERT:
		return alert_encode(r->p);
	case INTEL_REC_LOOKALIKE:
		return lookalike_encode(r->p);
	default:
		return event_encode(r->p);
	}
}

int intel_rec_decode(struct gv_pool *pool, const char *data, size_t len,
		     struct intel_rec *r)
{
	json_t *o = json_loadb(data, len, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return -1;
	}
	const char *t = json_string_value(json_object_get(o, "t"));
	int ret = 1;
	if (t == NULL) {
		struct gv_intel_event *ev;
		ret = event_decode(pool, o, &ev);
		*r = (struct intel_rec){ INTEL_REC_EVENT, ev };
	} else if (strcmp(t, "a") == 0) {
		struct gv_intel_alert *a = gv_palloc(pool, sizeof(*a));
		a->key = pstr(pool, json_object_get(o, "key"));
		a->detector = pstr(pool, json_object_get(o, "det"));
		a->kind = pstr(pool, json_object_get(o, "kind"));
		a->severity = (int)json_integer_value(json_object_get(o, "sev"));
		a->time = json_integer_value(json_object_get(o, "time"));
		a->user = pstr(pool, json_object_get(o, "user"));
		a->ip = pstr(pool, json_object_get(o, "ip"));
		a->domain = pstr(pool, json_object_get(o, "dom"));
		a->title = pstr(pool, json_object_get(o, "title"));
		a->summary = pstr(pool, json_object_get(o, "sum"));
		a->details = pstr(pool, json_object_get(o, "details"));
		*r = (struct intel_rec){ INTEL_REC_ALERT, a };
		ret = a->key != NULL ? 1 : -1;
	} else if (strcmp(t, "l") == 0) {
		struct gv_intel_lookalike *l = gv_palloc(pool, sizeof(*l));
		l->domain = pstr(pool, json_object_get(o, "dom"));
		l->brand = pstr(pool, json_object_get(o, "brand"));
		l->technique = pstr(pool, json_object_get(o, "tech"));
		l->score = (unsigned)json_integer_value(
			json_object_get(o, "score"));
		l->first_seen = json_integer_value(json_object_get(o, "first"));
		l->source = pstr(pool, json_object_get(o, "src"));
		*r = (struct intel_rec){ INTEL_REC_LOOKALIKE, l };
		ret = l->domain != NULL && l->brand != NULL ? 1 : -1;
	} else {
		ret = -1;
	}
	json_decref(o);
	return ret;
}

/* ---- journal file ---- */

static int read_full(int fd, void *buf, size_t n, off_t off)
{
	unsigned char *p = buf;
	while (n > 0) {
		ssize_t r = pread(fd, p, n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -1 : 0;
		p += r;
		off += r;
		n -= (size_t)r;
	}
	return 1;
}

/* Reads the record at *off if it is whole and intact below end: 1 (payload
 * in *buf, grown as needed; *off moved past it), 0 torn/corrupt, -1 I/O. */
static int read_record(int fd, off_t end, off_t *off, unsigned char **buf,
		       size_t *cap, uint32_t *len_r)
{
	unsigned char hdr[12];
	if (end - *off < 12)
		return 0;
	int rc = read_full(fd, hdr, 12, *off);
	if (rc <= 0)
		return rc;
	uint32_t rl = get32(hdr + 4);
	if (get32(hdr) != J_MAGIC || rl > J_MAX_RECORD ||
	    end - *off - 12 < (off_t)rl)
		return 0;
	if (rl + 1 > *cap) {
		*cap = rl + 1 > 65536 ? rl + 1 : 65536;
		*buf = gv_realloc(*buf, *cap);
	}
	rc = read_full(fd, *buf, rl, *off + 12);
	if (rc <= 0)
		return rc;
	if (crc32(*buf, rl) != get32(hdr + 8))
		return 0;
	*off += 12 + (off_t)rl;
	*len_r = rl;
	return 1;
}

int intel_journal_open(struct intel_journal *j, const char *dir,
		       const char **error_r)
{
	snprintf(j->path, sizeof(j->path), "%s/intel.journal", dir);
	pthread_mutex_init(&j->lock, NULL);
	j->fd = open(j->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (j->fd < 0) {
		snprintf(j->error, sizeof(j->error), "journal %s: %s", j->path,
			 strerror(errno));
		*error_r = j->error;
		pthread_mutex_destroy(&j->lock);
		return -1;
	}
	/* Find the end of the intact records (one sequential read) and cut
	 * a torn tail, so that new appends follow a whole record. */
	struct stat sb;
	if (fstat(j->fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0) {
		off_t off = 0;
		unsigned char *buf = NULL;
		size_t cap = 0;
		uint32_t len;
		while (read_record(j->fd, sb.st_size, &off, &buf, &cap, &len) >
		       0)
			j->pending++;
		gv_free(buf);
		if (off < sb.st_size) {
			gv_log(GV_LOG_WARN, "journal=%s torn_tail_bytes=%lld "
			       "(cut)", j->path,
			       (long long)(sb.st_size - off));
			if (ftruncate(j->fd, off) < 0)
				gv_log(GV_LOG_ERROR, "journal=%s truncate: %s",
				       j->path, strerror(errno));
		}
	}
	return 1;
}

void intel_journal_close(struct intel_journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	pthread_mutex_destroy(&j->lock);
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int intel_journal_append(struct intel_journal *j, const struct intel_rec *recs,
			 size_t n, const char **error_r)
{
	pthread_mutex_lock(&j->lock);
	off_t start = lseek(j->fd, 0, SEEK_END);
	int ret = 1;
	for (size_t i = 0; i < n && ret > 0; i++) {
		char *payload = intel_rec_encode(&recs[i]);
		size_t len = strlen(payload);
		unsigned char hdr[12];
		put32(hdr, J_MAGIC);
		put32(hdr + 4, (uint32_t)len);
		put32(hdr + 8, crc32((const unsigned char *)payload, len));
		if (len > J_MAX_RECORD ||
		    write_all(j->fd, hdr, sizeof(hdr)) < 0 ||
		    write_all(j->fd, (unsigned char *)payload, len) < 0)
			ret = -1;
		gv_free(payload);
	}
	if (ret > 0 && fdatasync(j->fd) < 0)
		ret = -1;
	if (ret < 0) {
		/* Leave no partial record behind: the next append must start
		 * at a record boundary. */
		snprintf(j->error, sizeof(j->error), "journal %s: %s", j->path,
			 errno == ENOSPC ? "no space left on device" :
					   strerror(errno));
		if (start >= 0 && ftruncate(j->fd, start) < 0) {
			/* the reader stops at the torn record anyway */
		}
		*error_r = j->error;
	} else {
		j->pending += n;
	}
	pthread_mutex_unlock(&j->lock);
	return ret;
}

/* Payload bytes decoded per callback batch: with `batch` records this
 * bounds the memory a replay holds whatever the journal's size. */
#define REPLAY_BATCH_BYTES (8u << 20)

int intel_journal_replay(struct intel_journal *j, size_t batch,
			 intel_journal_cb *cb, void *ctx, size_t *n_r,
			 const char **error_r)
{
	int ret = 1;
	*n_r = 0;
	if (batch == 0)
		batch = 1;
	struct gv_pool *pool = gv_pool_new(65536);
	struct intel_rec *recs = gv_calloc(batch, sizeof(*recs));
	unsigned char *buf = NULL;
	size_t cap = 0, nrec = 0, bytes = 0;
	off_t off = 0;
	bool corrupt = false;
	/* Read [off, end) without the lock (appends only add past end and
	 * never touch what is below it); then, under the lock, either more
	 * was appended meanwhile (go on) or everything is replayed and the
	 * file can be emptied before the next append. */
	for (;;) {
		pthread_mutex_lock(&j->lock);
		struct stat sb;
		if (fstat(j->fd, &sb) < 0) {
			ret = -1;
			snprintf(j->error, sizeof(j->error), "journal %s: %s",
				 j->path, strerror(errno));
			*error_r = j->error;
			pthread_mutex_unlock(&j->lock);
			break;
		}
		off_t end = sb.st_size;
		if (off >= end || corrupt) {
			if (corrupt && off < end)
				gv_log(GV_LOG_ERROR, "journal=%s corrupt record "
				       "at=%lld skipped_bytes=%lld", j->path,
				       (long long)off, (long long)(end - off));
			/* Everything is in the store: start afresh. */
			if (ftruncate(j->fd, 0) < 0 || fsync(j->fd) < 0) {
				snprintf(j->error, sizeof(j->error),
					 "journal %s: %s", j->path,
					 strerror(errno));
				*error_r = j->error;
				ret = -1;
			} else {
				j->pending = 0;
			}
			pthread_mutex_unlock(&j->lock);
			break;
		}
		pthread_mutex_unlock(&j->lock);
		while (ret > 0 && off < end) {
			uint32_t rl;
			int rc = read_record(j->fd, end, &off, &buf, &cap, &rl);
			if (rc < 0) {
				snprintf(j->error, sizeof(j->error),
					 "journal %s: read: %s", j->path,
					 strerror(errno));
				*error_r = j->error;
				ret = -1;
				break;
			}
			if (rc == 0) {
				corrupt = true;
				break;
			}
			if (intel_rec_decode(pool, (const char *)buf, rl,
					     &recs[nrec]) > 0) {
				nrec++;
				bytes += rl;
			}
			if (nrec == batch || bytes >= REPLAY_BATCH_BYTES) {
				ret = cb(ctx, recs, nrec, error_r);
				*n_r += nrec;
				nrec = bytes = 0;
				gv_pool_free(&pool);
				pool = gv_pool_new(65536);
			}
		}
		if (ret > 0 && nrec > 0) {
			ret = cb(ctx, recs, nrec, error_r);
			*n_r += nrec;
			nrec = bytes = 0;
			gv_pool_free(&pool);
			pool = gv_pool_new(65536);
		}
		if (ret < 0)
			break;
	}
	gv_free(recs);
	gv_free(buf);
	gv_pool_free(&pool);
	return ret;
}

bool intel_journal_has_records(struct intel_journal *j)
{
	struct stat st;
	return fstat(j->fd, &st) == 0 && st.st_size > 0;
}
