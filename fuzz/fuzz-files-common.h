/* Shared by the files fuzz targets: one engine for the whole run (rules
 * compiled once, like in production), a sink that touches every string
 * handed out (so ASan sees use-after-free and overreads), small limits so
 * the limit paths run often. */
#ifndef GV_FUZZ_FILES_COMMON_H
#define GV_FUZZ_FILES_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "files/files-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t fuzz_touched;

static void fuzz_finding(void *ctx, const struct gv_files_finding *f)
{
	(void)ctx;
	fuzz_touched += strlen(f->rule) + strlen(f->path) +
			(f->evidence ? strlen(f->evidence) : 0);
}

static void fuzz_item(void *ctx, const struct gv_files_item *it)
{
	(void)ctx;
	fuzz_touched += strlen(it->path) + strlen(it->name) +
			strlen(it->true_type) + strlen(it->sha256) + it->size;
}

static const struct gv_files_sink fuzz_sink = { NULL, fuzz_finding, fuzz_item };

/* Small limits: 4 MiB per file, 16 MiB in total, depth 4, 64 files, 2 s. */
static const struct gv_files_limits fuzz_limits = {
	.max_depth = 4, .max_files = 64, .max_total_bytes = 16 << 20,
	.max_ratio = 100, .max_file_bytes = 4 << 20, .time_budget_ms = 2000,
};

static struct gv_files_engine *fuzz_engine(void)
{
	static struct gv_files_engine *e;
	const char *err;

	if (e == NULL && gv_files_engine_new(NULL, &e, &err) < 0)
		abort();
	return e;
}

#endif
