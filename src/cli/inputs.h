/*
 * Message inputs shared by the subcommands that read mail (scan, eval,
 * learn): .eml files, directories (recursively), Maildir folders, mbox
 * files and "-" for standard input. Internal to the CLI.
 */
#ifndef GV_CLI_INPUTS_H
#define GV_CLI_INPUTS_H

#include <stdbool.h>
#include <stddef.h>

/* One message source: a file, or one message of an mbox file. */
struct gv_input {
	char *path;      /* file path, "-" for stdin */
	size_t offset;   /* mbox: byte offset of the message; else 0 */
	size_t length;   /* mbox: length; else 0 = whole file */
	int mbox_index;  /* mbox: 1-based message number; else 0 */
};

struct gv_inputs {
	struct gv_input *items;
	size_t n, cap;
	size_t errors; /* paths that could not be read (already reported) */
};

/* Expands one command-line argument into inputs (mbox files are split).
 * Unreadable paths are reported on stderr ("geneva: PATH: reason") and
 * counted in errors; the rest goes on. */
void gv_inputs_add(struct gv_inputs *in, const char *arg);
void gv_inputs_free(struct gv_inputs *in);

/* Reads one input's bytes (at most max + 1, so that callers see an
 * over-limit message as such). 1 ok, -1 error (*error_r). Free with
 * gv_free. */
int gv_input_read(const struct gv_input *it, size_t max, unsigned char **data_r,
		  size_t *len_r, const char **error_r);

/* Display name: "path" or "path#N" for the N-th message of an mbox. */
const char *gv_input_name(const struct gv_input *it, char *buf, size_t size);

#endif
