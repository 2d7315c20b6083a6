/*
 * Saved RDAP answers in a folder, one DIR/<registrable domain>.json each
 * (`domains watch --rdap-dir`, `domains report --rdap-dir`). Geneva never
 * queries RDAP itself: an RDAP client or a registrar's export fills the
 * folder.
 */
#ifndef GV_CLI_RDAP_DIR_H
#define GV_CLI_RDAP_DIR_H

#include <stdbool.h>
#include <stddef.h>

/* Reads the answer for `registrable` (an A-label name). path (path_size
 * bytes) gets the file's path for messages. 1 read (*data_r: free with
 * gv_free), 0 there is none, -1 there is one but it cannot be read
 * (*error_r: not a regular file, which would block if it were a FIFO,
 * over 4 MiB, or an I/O error). */
int gv_cli_rdap_load(const char *dir, const char *registrable, char *path,
		     size_t path_size, unsigned char **data_r, size_t *len_r,
		     const char **error_r);

#endif
