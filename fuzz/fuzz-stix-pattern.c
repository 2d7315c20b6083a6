/* libFuzzer target: the STIX pattern parser (src/intel/stix-pattern.c).
 * Any byte string must give 1 or -1 with an error, never a crash, a read
 * past len, or unbounded recursion; every extracted comparison must carry
 * a known kind and a NUL-terminated value. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "intel/intel.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gv_pool *pool = gv_pool_new(4096);
	struct gv_stix_pattern_limits lim = { .max_len = 65536 };
	struct gv_stix_cmp **cmps;
	size_t n, unsupported;
	const char *err = NULL;
	int rc = gv_stix_pattern_parse(data, size, &lim, pool, &cmps, &n,
				       &unsupported, &err);
	if (rc < 0) {
		gv_assert(err != NULL);
	} else {
		gv_assert(rc == 1 && n <= 64);
		for (size_t i = 0; i < n; i++) {
			gv_assert(cmps[i]->kind >= GV_ENT_SENDER &&
				  cmps[i]->kind <= GV_ENT_HASH);
			gv_assert(strlen(cmps[i]->value) <= size);
		}
	}
	gv_pool_free(&pool);
	return 0;
}
