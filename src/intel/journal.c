/*
 * The recorder's on-disk journal and the event codec it uses.
 *
 * File: <journal_dir>/intel.journal, append-only. Record:
 *   u32 magic "GVJ1" | u32 payload length | u32 CRC-32 of payload | payload
 * (little endian), payload = the event as compact JSON. Appends are
 * followed by fdatasync before the caller is told the events are safe.
 * Reading stops at the first torn or corrupt record (a crash mid-append
 * leaves at most the unsynced tail, which nobody was told was safe); the
 * count of bytes ignored is reported. Replay is idempotent because events
 * carry their ids. Limits: one record at most 16 MiB.
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

char *intel_event_encode(const struct gv_intel_event *ev)
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
		json_array_append_new(u, json_pack("[o o o]",
						   jstr(ev->urls[i].url),
						   jstr(ev->urls[i].host),
						   jstr(ev->urls[i].domain)));
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

int intel_event_decode(struct gv_pool *pool, const char *data, size_t len,
		       struct gv_intel_event **ev_r)
{
	json_t *o = json_loadb(data, len, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return -1;
	}
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
	json_decref(o);
	*ev_r = ev;
	return ev->event_id != NULL ? 1 : -1;
}

/* ---- journal file ---- */

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

int intel_journal_append(struct intel_journal *j,
			 const struct gv_intel_event *const *evs, size_t n,
			 const char **error_r)
{
	pthread_mutex_lock(&j->lock);
	off_t start = lseek(j->fd, 0, SEEK_END);
	int ret = 1;
	for (size_t i = 0; i < n && ret > 0; i++) {
		char *payload = intel_event_encode(evs[i]);
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

int intel_journal_replay(struct intel_journal *j, size_t batch,
			 intel_journal_cb *cb, void *ctx, size_t *n_r,
			 const char **error_r)
{
	pthread_mutex_lock(&j->lock);
	unsigned char *data = NULL;
	size_t len = 0;
	bool trunc;
	int ret = 1;
	*n_r = 0;
	if (gv_read_file(j->path, (size_t)1 << 34, &data, &len, &trunc,
			 error_r) < 0) {
		pthread_mutex_unlock(&j->lock);
		return -1;
	}
	struct gv_pool *pool = gv_pool_new(65536);
	const struct gv_intel_event **evs = gv_calloc(batch, sizeof(*evs));
	size_t nev = 0, off = 0;
	while (ret > 0 && off + 12 <= len) {
		uint32_t magic = get32(data + off), rl = get32(data + off + 4);
		if (magic != J_MAGIC || rl > J_MAX_RECORD || off + 12 + rl > len ||
		    crc32(data + off + 12, rl) != get32(data + off + 8))
			break;
		struct gv_intel_event *ev;
		if (intel_event_decode(pool, (const char *)data + off + 12, rl,
				       &ev) > 0)
			evs[nev++] = ev;
		off += 12 + rl;
		if (nev == batch || off + 12 > len) {
			ret = cb(ctx, evs, nev, error_r);
			*n_r += nev;
			nev = 0;
			gv_pool_free(&pool);
			pool = gv_pool_new(65536);
		}
	}
	if (ret > 0 && nev > 0) {
		ret = cb(ctx, evs, nev, error_r);
		*n_r += nev;
	}
	if (ret > 0 && off < len)
		gv_log(GV_LOG_WARN, "journal=%s torn_tail_bytes=%zu", j->path,
		       len - off);
	/* Everything is in the store: start the journal afresh. */
	if (ret > 0 && (ftruncate(j->fd, 0) < 0 || fsync(j->fd) < 0)) {
		snprintf(j->error, sizeof(j->error), "journal %s: %s", j->path,
			 strerror(errno));
		*error_r = j->error;
		ret = -1;
	}
	if (ret > 0)
		j->pending = 0;
	gv_free(evs);
	gv_pool_free(&pool);
	gv_free(data);
	pthread_mutex_unlock(&j->lock);
	return ret;
}

bool intel_journal_has_records(struct intel_journal *j)
{
	struct stat st;
	return fstat(j->fd, &st) == 0 && st.st_size > 0;
}
