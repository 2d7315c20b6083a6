/* libFuzzer target: the feed importer (STIX 2.x / MISP JSON, CSV, plain
 * lists) into an in-memory SQLite store, then an index build and a few
 * lookups over whatever was imported. The first input byte picks the
 * format (json / csv / txt); the rest is the document. Hostile feeds must
 * import or be refused with an error, never crash or corrupt the store. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "intel/intel.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *err;
	if (size == 0)
		return 0;
	/* A fresh in-memory store per input keeps runs independent. */
	struct gv_intel_store *store;
	struct gv_intel_store_settings s = { .uri = "sqlite::memory:" };
	if (gv_intel_store_open(&s, &store, &err) < 0)
		gv_fatal("store: %s", err);
	gv_log_set_level(GV_LOG_ERROR);
	static const char *const names[] = { "fuzz.json", "fuzz.csv",
					     "fuzz.txt" };
	const char *name = names[data[0] % 3];
	struct gv_intel_import_limits lim = { .max_file_size = 1 << 20,
					      .max_objects = 10000 };
	struct gv_intel_import_stats st = { 0 };
	int rc = gv_intel_import_buffer(store, name, data + 1, size - 1, NULL,
					&lim, &st, NULL, &err);
	gv_assert(rc == 1 || (rc == -1 && err != NULL));
	struct gv_intel_index *ix;
	if (gv_intel_index_build(store, &ix, &err) < 0)
		gv_fatal("index: %s", err);
	struct gv_intel_hit hit;
	gv_intel_index_lookup(ix, GV_ENT_DOMAIN, "a.b.example", &hit);
	gv_intel_index_lookup(ix, GV_ENT_IP, "10.1.2.3", &hit);
	gv_intel_index_lookup(ix, GV_ENT_URL, "http://a.example/x", &hit);
	gv_intel_index_lookup(ix, GV_ENT_SENDER, "x@a.example", &hit);
	gv_intel_index_unref(&ix);
	gv_intel_store_close(&store);
	return 0;
}
