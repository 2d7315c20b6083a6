/*
 * Following log files. Each file remembers (dev, inode, offset of the end
 * of the last complete line consumed). On every poll:
 *   - the path now names another inode (logrotate moved it): the old,
 *     still open descriptor is read to its end, then the new file is
 *     opened and read from 0;
 *   - the file is shorter than the offset, or the 256 bytes before the
 *     offset are no longer the ones consumed (copytruncate, also when the
 *     new content already grew past the old offset): read from 0;
 *   - after a restart with a saved inode that is no longer at the path,
 *     the rotated file is looked up beside it (NAME.1, NAME-20261126, …)
 *     by inode and finished first.
 * A line is only consumed when its '\n' has been read, so a line being
 * written is never parsed half.
 */
#include "watch/watch-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK 65536

void gv_watch_add_file(struct gv_watch *w, const char *path)
{
	w->files = gv_realloc(w->files, gv_mul_size(w->n_files + 1,
						    sizeof(*w->files)));
	struct wfile *f = &w->files[w->n_files++];
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->path = gv_strdup(path);
	gv_buf_init(&f->partial, w->cfg.limits.max_line + 1);
	for (size_t i = 0; i < w->n_saved; i++) {
		struct wfile *s = &w->saved[i];
		if (s->path && strcmp(s->path, path) == 0) {
			f->dev = s->dev;
			f->ino = s->ino;
			f->off = s->off;
			f->have_saved = true;
			memcpy(f->tail, s->tail, sizeof(f->tail));
			f->tail_len = s->tail_len;
		}
	}
}

long watch_consume(struct gv_watch *w, struct wfile *f, const char *data,
		   size_t len)
{
	long lines = 0;
	const char *p = data, *end = data + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			size_t n = (size_t)(end - p);
			if (f->skipping) {
				f->skip_len += n;
			} else if (gv_buf_append(&f->partial, p, n) < 0) {
				/* over max_line: discard up to its '\n' */
				f->skipping = true;
				f->skip_len = f->partial.len + n;
				gv_buf_reset(&f->partial);
			}
			break;
		}
		size_t n = (size_t)(nl - p);
		if (f->skipping) {
			f->off += (off_t)(f->skip_len + n + 1);
			f->skipping = false;
			f->skip_len = 0;
			w->st.lines++;
			w->st.garbage++;
		} else if (f->partial.len) {
			size_t linelen = f->partial.len + n;
			if (gv_buf_append(&f->partial, p, n) == 1) {
				gv_watch_feed_line(w, f->partial.data,
						   f->partial.len);
			} else {
				w->st.lines++;
				w->st.garbage++;
			}
			f->off += (off_t)(linelen + 1);
			gv_buf_reset(&f->partial);
		} else {
			gv_watch_feed_line(w, (const unsigned char *)p, n);
			f->off += (off_t)(n + 1);
		}
		lines++;
		p = nl + 1;
	}
	if (lines)
		w->dirty = true;
	return lines;
}

/* Reads fd from f->off + buffered partial to EOF. */
static long drain(struct gv_watch *w, struct wfile *f, int fd,
		  const char **error_r)
{
	static char buf[READ_CHUNK];
	long total = 0;
	off_t pos = f->off + (off_t)(f->partial.len + f->skip_len);
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), pos);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*error_r = f->path;
			return -1;
		}
		if (n == 0)
			break;
		pos += n;
		total += watch_consume(w, f, buf, (size_t)n);
	}
	return total;
}

/* After a restart: the saved inode is no longer at the path. Find the
 * rotated file by inode among NAME.* / NAME-* beside it. */
static int find_rotated(const struct wfile *f)
{
	char dirbuf[4096], basebuf[4096];
	snprintf(dirbuf, sizeof(dirbuf), "%s", f->path);
	snprintf(basebuf, sizeof(basebuf), "%s", f->path);
	const char *dir = dirname(dirbuf), *base = basename(basebuf);
	size_t blen = strlen(base);
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	int fd = -1;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, base, blen) != 0 ||
		    (de->d_name[blen] != '.' && de->d_name[blen] != '-'))
			continue;
		char p[8192];
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		struct stat st;
		if (stat(p, &st) == 0 && st.st_ino == f->ino &&
		    st.st_dev == f->dev) {
			fd = open(p, O_RDONLY | O_CLOEXEC);
			break;
		}
	}
	closedir(d);
	return fd;
}

static void start_over(struct wfile *f, const struct stat *st)
{
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->off = 0;
	f->skipping = false;
	f->skip_len = 0;
	f->tail_len = 0;
	gv_buf_reset(&f->partial);
}

/* Are the bytes before f->off still the ones consumed? */
static bool tail_matches(const struct wfile *f, int fd)
{
	unsigned char buf[WATCH_TAIL_LEN];
	if (f->tail_len == 0 || f->off < (off_t)f->tail_len)
		return true;
	ssize_t n = pread(fd, buf, f->tail_len, f->off - (off_t)f->tail_len);
	return n == (ssize_t)f->tail_len && memcmp(buf, f->tail, f->tail_len) == 0;
}

static void tail_update(struct wfile *f, int fd)
{
	size_t want = f->off < WATCH_TAIL_LEN ? (size_t)f->off : WATCH_TAIL_LEN;
	ssize_t n = want ? pread(fd, f->tail, want, f->off - (off_t)want) : 0;
	f->tail_len = n == (ssize_t)want ? want : 0;
}

static long poll_file(struct gv_watch *w, struct wfile *f, const char **error_r)
{
	long total = 0, n;
	struct stat st;
	if (stat(f->path, &st) < 0)
		return 0; /* missing for now: maybe mid-rotation */
	if (f->fd < 0 && f->have_saved &&
	    (st.st_ino != f->ino || st.st_dev != f->dev)) {
		int old = find_rotated(f);
		if (old >= 0) {
			n = drain(w, f, old, error_r);
			close(old);
			if (n < 0)
				return -1;
			total += n;
		} else {
			gv_log(GV_LOG_WARN, "watch: file=%s rotated file with "
			       "saved inode not found; lines in it are not read",
			       f->path);
		}
		start_over(f, &st);
	}
	f->have_saved = false;
	if (f->fd >= 0 && (st.st_ino != f->ino || st.st_dev != f->dev)) {
		/* rotated while we followed it: finish the old one first */
		n = drain(w, f, f->fd, error_r);
		close(f->fd);
		f->fd = -1;
		if (n < 0)
			return -1;
		total += n;
		start_over(f, &st);
	}
	if (f->fd < 0) {
		f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
		if (f->fd < 0)
			return total;
		struct stat fst;
		if (fstat(f->fd, &fst) == 0 &&
		    (fst.st_ino != f->ino || fst.st_dev != f->dev))
			start_over(f, &fst);
	}
	struct stat fst;
	if (fstat(f->fd, &fst) == 0 &&
	    fst.st_size < f->off + (off_t)(f->partial.len + f->skip_len)) {
		gv_log(GV_LOG_INFO, "watch: file=%s truncated; reading from 0",
		       f->path);
		start_over(f, &fst);
	} else if (!tail_matches(f, f->fd)) {
		gv_log(GV_LOG_INFO, "watch: file=%s rewritten (truncated and "
		       "grown again); reading from 0", f->path);
		start_over(f, &fst);
	}
	off_t before = f->off;
	n = drain(w, f, f->fd, error_r);
	if (n < 0)
		return -1;
	if (f->off != before || (f->tail_len == 0 && f->off > 0))
		tail_update(f, f->fd);
	return total + n;
}

long gv_watch_poll(struct gv_watch *w, const char **error_r)
{
	long total = 0;
	for (size_t i = 0; i < w->n_files; i++) {
		long n = poll_file(w, &w->files[i], error_r);
		if (n < 0)
			return -1;
		total += n;
	}
	return total;
}
