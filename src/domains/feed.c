/*
 * Feeds of newly seen domains: one name per line in plain or gzip files
 * (zlib reads both), standard input, every file of a folder, or a folder
 * watched with inotify for files that are closed after writing or moved
 * in. Lines longer than the limit are skipped and counted, never cut in
 * two: the rest of such a line is discarded up to its newline.
 */
#include "domains/domains-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define READ_CHUNK 65536

/* Feeds complete lines of buf to fn; keeps a partial line in *line. */
static int feed_lines(struct gv_buf *line, bool *skipping, const char *buf,
		      size_t n, size_t max_line, gv_feed_line_fn *fn, void *ctx,
		      struct gv_feed_stats *st)
{
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(buf + i, '\n', n - i);
		size_t end = nl != NULL ? (size_t)(nl - buf) : n;
		if (!*skipping && gv_buf_append(line, buf + i, end - i) < 0) {
			*skipping = true; /* over max_line: drop the whole line */
			st->too_long++;
			st->lines++;
		}
		i = end;
		if (nl == NULL)
			break;
		i++;
		if (!*skipping) {
			st->lines++;
			size_t len = line->len;
			if (len > 0 && line->data[len - 1] == '\r')
				len--;
			if (len > max_line) {
				st->too_long++;
			} else if (fn(ctx, (const char *)line->data, len) < 0) {
				return -1;
			}
		}
		*skipping = false;
		gv_buf_reset(line);
	}
	return 1;
}

int gv_domains_feed_fd(int fd, size_t max_line, gv_feed_line_fn *fn,
		       void *ctx, struct gv_feed_stats *st, const char **error_r)
{
	int dfd = dup(fd);
	gzFile gz = dfd >= 0 ? gzdopen(dfd, "rb") : NULL;
	if (gz == NULL) {
		if (dfd >= 0)
			close(dfd);
		*error_r = "cannot open the feed";
		return -1;
	}
	gzbuffer(gz, READ_CHUNK);
	struct gv_buf line;
	gv_buf_init(&line, max_line + 2);
	char *buf = gv_malloc(READ_CHUNK);
	bool skipping = false;
	int rc = 1;
	for (;;) {
		int n = gzread(gz, buf, READ_CHUNK);
		if (n < 0) {
			int zerr;
			*error_r = gzerror(gz, &zerr);
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		if (feed_lines(&line, &skipping, buf, (size_t)n, max_line, fn, ctx, st) < 0) {
			*error_r = "stopped by the line handler";
			rc = -1;
			break;
		}
	}
	if (rc > 0 && !skipping && line.len > 0)
		(void)feed_lines(&line, &skipping, "\n", 1, max_line, fn, ctx, st);
	gv_free(buf);
	gv_buf_free(&line);
	gzclose(gz);
	st->files++;
	return rc;
}

static int feed_file(const char *path, size_t max_line, gv_feed_line_fn *fn,
		     void *ctx, struct gv_feed_stats *st, const char **error_r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	int rc = gv_domains_feed_fd(fd, max_line, fn, ctx, st, error_r);
	close(fd);
	return rc;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Regular, non-hidden files of dir, sorted by name. */
static int feed_dir(const char *dir, size_t max_line, gv_feed_line_fn *fn,
		    void *ctx, struct gv_feed_stats *st, const char **error_r)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		*error_r = strerror(errno);
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			names = gv_realloc(names, gv_mul_size(cap, sizeof(char *)));
		}
		names[n++] = gv_strdup(de->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(char *), cmp_name);
	int rc = 1;
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		struct stat sb;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (rc > 0 && stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
			rc = feed_file(path, max_line, fn, ctx, st, error_r);
		gv_free(names[i]);
	}
	gv_free(names);
	return rc;
}

int gv_domains_feed_path(const char *path, size_t max_line,
			 gv_feed_line_fn *fn, void *ctx,
			 struct gv_feed_stats *st, const char **error_r)
{
	struct stat sb;
	if (strcmp(path, "-") == 0)
		return gv_domains_feed_fd(STDIN_FILENO, max_line, fn, ctx, st, error_r);
	if (stat(path, &sb) != 0) {
		*error_r = strerror(errno);
		return -1;
	}
	if (S_ISDIR(sb.st_mode))
		return feed_dir(path, max_line, fn, ctx, st, error_r);
	return feed_file(path, max_line, fn, ctx, st, error_r);
}

int gv_domains_feed_follow(const char *dir, unsigned idle_exit_seconds,
			   volatile const int *stop, size_t max_line,
			   gv_feed_line_fn *fn, void *ctx,
			   struct gv_feed_stats *st, const char **error_r)
{
	int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (in < 0 || inotify_add_watch(in, dir, IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
		*error_r = strerror(errno);
		if (in >= 0)
			close(in);
		return -1;
	}
	/* files already there first (the watch is set, so none is missed) */
	int rc = feed_dir(dir, max_line, fn, ctx, st, error_r);
	uint64_t last = gv_now_ms();
	char evbuf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	while (rc > 0 && (stop == NULL || !*stop)) {
		struct pollfd pfd = { .fd = in, .events = POLLIN };
		int pr = poll(&pfd, 1, 200);
		if (pr < 0 && errno != EINTR) {
			*error_r = strerror(errno);
			rc = -1;
			break;
		}
		if (pr <= 0) {
			if (idle_exit_seconds > 0 &&
			    gv_now_ms() - last > (uint64_t)idle_exit_seconds * 1000)
				break;
			continue;
		}
		ssize_t len = read(in, evbuf, sizeof(evbuf));
		for (ssize_t off = 0; len > 0 && off < len && rc > 0;) {
			const struct inotify_event *ev = (const void *)(evbuf + off);
			off += (ssize_t)(sizeof(*ev) + ev->len);
			if (ev->len == 0 || ev->name[0] == '.')
				continue;
			char path[4096];
			struct stat sb;
			snprintf(path, sizeof(path), "%s/%s", dir, ev->name);
			if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
				continue;
			/* one unreadable file does not stop the watch */
			const char *ferr;
			if (feed_file(path, max_line, fn, ctx, st, &ferr) < 0)
				gv_log(GV_LOG_WARN, "domains feed=%s error=\"%s\"", path, ferr);
		}
		last = gv_now_ms();
	}
	close(in);
	return rc;
}
