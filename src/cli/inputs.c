/* Message inputs: files, directories, Maildir, mbox, stdin (inputs.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/inputs.h"
#include "util/util.h"

#define MAX_DEPTH 64

static void push(struct gv_inputs *in, const char *path, size_t off,
		 size_t len, int idx)
{
	if (in->n == in->cap) {
		in->cap = in->cap ? in->cap * 2 : 64;
		in->items = gv_realloc(in->items, in->cap * sizeof(*in->items));
	}
	in->items[in->n++] = (struct gv_input){ .path = gv_strdup(path),
						.offset = off, .length = len,
						.mbox_index = idx };
}

static void report(struct gv_inputs *in, const char *path, const char *why)
{
	fprintf(stderr, "geneva: %s: %s\n", path, why);
	in->errors++;
}

/* Splits an mbox at "From " lines that follow a blank line (or start the
 * file), streaming: any size, constant memory. Returns false if the file
 * does not look like an mbox. */
static bool split_mbox(struct gv_inputs *in, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return false;
	char head[5];
	bool is_mbox = fread(head, 1, 5, f) == 5 && memcmp(head, "From ", 5) == 0;
	if (!is_mbox) {
		fclose(f);
		return false;
	}
	rewind(f);
	unsigned char buf[65536];
	size_t n, off = 0;      /* file offset of buf[0] */
	size_t start = 0;       /* offset of the current message's "From " line */
	size_t body = 0;        /* offset after that line's newline */
	bool at_line_start = true, prev_blank = true, in_from_line = true;
	bool line_empty = true; /* current line has no bytes but maybe \r */
	size_t mlen = 0;        /* bytes of "From " matched at this line start */
	int idx = 0;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		for (size_t i = 0; i < n; i++) {
			unsigned char c = buf[i];
			size_t pos = off + i;
			if (at_line_start && mlen < 5 && prev_blank) {
				if (c == (unsigned char)"From "[mlen]) {
					mlen++;
					if (mlen == 5 && pos + 1 - 5 > start) {
						/* a new message starts at pos-4 */
						size_t from = pos - 4;
						if (from > body)
							push(in, path, body, from - body, ++idx);
						start = from;
						in_from_line = true;
					}
					if (mlen < 5)
						continue;
				} else {
					mlen = 5; /* not a From line */
				}
			}
			if (c == '\n') {
				if (in_from_line) {
					body = pos + 1;
					in_from_line = false;
				}
				prev_blank = line_empty;
				at_line_start = true;
				line_empty = true;
				mlen = 0;
			} else {
				at_line_start = false;
				if (c != '\r')
					line_empty = false;
			}
		}
		off += n;
	}
	if (ferror(f))
		report(in, path, strerror(errno));
	else if (off > body)
		push(in, path, body, off - body, ++idx);
	fclose(f);
	return true;
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(struct gv_inputs *in, const char *path, int depth)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		report(in, path, strerror(errno));
		return;
	}
	if (S_ISREG(st.st_mode)) {
		if (!split_mbox(in, path))
			push(in, path, 0, 0, 0);
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		report(in, path, "not a regular file or directory");
		return;
	}
	if (depth > MAX_DEPTH) {
		report(in, path, "directory nesting too deep");
		return;
	}
	DIR *d = opendir(path);
	if (d == NULL) {
		report(in, path, strerror(errno));
		return;
	}
	/* sorted, so that runs (and their output) are reproducible */
	char **names = NULL;
	size_t n = 0, cap = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = gv_realloc(names, cap * sizeof(char *));
		}
		names[n++] = gv_strdup(e->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(char *), cmp_str);
	/* a Maildir: messages live in cur/ and new/, tmp/ is in flight */
	char sub[4096];
	snprintf(sub, sizeof(sub), "%s/cur", path);
	bool maildir = is_dir(sub);
	snprintf(sub, sizeof(sub), "%s/new", path);
	maildir = maildir && is_dir(sub);
	for (size_t i = 0; i < n; i++) {
		if (!(maildir && strcmp(names[i], "tmp") == 0)) {
			snprintf(sub, sizeof(sub), "%s/%s", path, names[i]);
			walk(in, sub, depth + 1);
		}
		gv_free(names[i]);
	}
	gv_free(names);
}

void gv_inputs_add(struct gv_inputs *in, const char *arg)
{
	if (strcmp(arg, "-") == 0) {
		push(in, "-", 0, 0, 0);
		return;
	}
	char *p = gv_strdup(arg);
	size_t l = strlen(p);
	while (l > 1 && p[l - 1] == '/')
		p[--l] = '\0'; /* "dir/" and "dir" name the same messages */
	walk(in, p, 0);
	gv_free(p);
}

void gv_inputs_free(struct gv_inputs *in)
{
	for (size_t i = 0; i < in->n; i++)
		gv_free(in->items[i].path);
	gv_free(in->items);
	memset(in, 0, sizeof(*in));
}

int gv_input_read(const struct gv_input *it, size_t max, unsigned char **data_r,
		  size_t *len_r, const char **error_r)
{
	bool trunc;
	if (strcmp(it->path, "-") == 0)
		return gv_read_fd(0, max + 1, data_r, len_r, &trunc, error_r) < 0 ? -1 : 1;
	if (it->mbox_index == 0)
		return gv_read_file(it->path, max + 1, data_r, len_r, &trunc,
				    error_r) < 0 ? -1 : 1;
	int fd = open(it->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	size_t want = it->length < max + 1 ? it->length : max + 1;
	unsigned char *buf = gv_malloc(want + 1);
	ssize_t got = pread(fd, buf, want, (off_t)it->offset);
	close(fd);
	if (got < 0) {
		*error_r = strerror(errno);
		gv_free(buf);
		return -1;
	}
	buf[got] = '\0';
	*data_r = buf;
	*len_r = (size_t)got;
	return 1;
}

const char *gv_input_name(const struct gv_input *it, char *buf, size_t size)
{
	if (it->mbox_index == 0)
		return it->path;
	snprintf(buf, size, "%s#%d", it->path, it->mbox_index);
	return buf;
}
