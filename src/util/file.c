/* Whole-file reads with a size cap, and crash-safe atomic writes (the
 * quarantine and state files rely on write-fsync-rename-fsync). */
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int gv_read_fd(int fd, size_t max, unsigned char **data_r, size_t *len_r,
	       bool *truncated_r, const char **error_r)
{
	struct gv_buf buf;
	gv_buf_init(&buf, max + 1);
	unsigned char chunk[65536];
	*truncated_r = false;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*error_r = strerror(errno);
			gv_buf_free(&buf);
			return -1;
		}
		if (n == 0)
			break;
		size_t room = max - buf.len;
		if ((size_t)n > room) {
			gv_buf_append(&buf, chunk, room);
			*truncated_r = true;
			break;
		}
		gv_buf_append(&buf, chunk, (size_t)n);
	}
	gv_buf_cstr(&buf); /* NUL after the data, for the callers' convenience */
	*data_r = buf.data ? buf.data : gv_calloc(1, 1);
	*len_r = buf.len;
	return *truncated_r ? 0 : 1;
}

int gv_read_file(const char *path, size_t max, unsigned char **data_r,
		 size_t *len_r, bool *truncated_r, const char **error_r)
{
	*truncated_r = false; /* callers read it on errors too */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		*error_r = "is a directory";
		return -1;
	}
	int ret = gv_read_fd(fd, max, data_r, len_r, truncated_r, error_r);
	close(fd);
	return ret;
}

int gv_write_file_atomic(const char *path, const void *data, size_t len,
			 unsigned mode, const char **error_r)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		*error_r = "path too long";
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	const unsigned char *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += n;
		left -= (size_t)n;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 1;
fail:
	*error_r = strerror(errno);
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}
