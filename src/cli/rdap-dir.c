#include "cli/rdap-dir.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util/util.h"

#define RDAP_FILE_MAX (4u << 20)

int gv_cli_rdap_load(const char *dir, const char *registrable, char *path,
		     size_t path_size, unsigned char **data_r, size_t *len_r,
		     const char **error_r)
{
	/* normalized names have no '/', but a name is input: check anyway */
	if (registrable[0] == '\0' || registrable[0] == '.' ||
	    strchr(registrable, '/') != NULL)
		return 0;
	if (snprintf(path, path_size, "%s/%s.json", dir, registrable) >= (int)path_size) {
		*error_r = "path too long";
		return -1;
	}
	struct stat sb;
	if (stat(path, &sb) != 0)
		return 0;
	if (!S_ISREG(sb.st_mode)) {
		*error_r = "not a regular file";
		return -1;
	}
	bool trunc;
	if (gv_read_file(path, RDAP_FILE_MAX, data_r, len_r, &trunc, error_r) > 0)
		return 1;
	if (trunc)
		*error_r = "RDAP answer too large";
	return -1;
}
