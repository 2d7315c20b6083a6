/* libFuzzer target: the recorder's journal, which is read back after a
 * crash and so may hold anything a torn or damaged write leaves. The input
 * is (1) decoded as one record, which must either be refused or survive an
 * encode/decode round trip, and (2) written as a whole journal file, then
 * opened (torn tail cut) and replayed in small batches: every intact record
 * reaches the callback, nothing crashes, memory stays bounded. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intel/intel-journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count(void *ctx, const struct intel_rec *recs, size_t n,
		 const char **error_r)
{
	(void)recs;
	(void)error_r;
	*(size_t *)ctx += n;
	return 1;
}

static char dir[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gv_log_set_level(GV_LOG_ERROR);
	struct gv_pool *pool = gv_pool_new(4096);
	struct intel_rec rec;
	if (intel_rec_decode(pool, (const char *)data, size, &rec) == 1) {
		char *again = intel_rec_encode(&rec);
		struct intel_rec rec2;
		gv_assert(intel_rec_decode(pool, again, strlen(again), &rec2) == 1);
		gv_assert(rec2.type == rec.type);
		gv_free(again);
	}
	gv_pool_free(&pool);

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/gv-fuzz-journal-XXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
	}
	char path[128];
	snprintf(path, sizeof(path), "%s/intel.journal", dir);
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	struct intel_journal j;
	const char *err;
	if (intel_journal_open(&j, dir, &err) < 0) {
		unlink(path);
		return 0;
	}
	size_t seen = 0, read = 0;
	intel_journal_replay(&j, 3, count, &seen, &read, &err);
	gv_assert(seen <= read);
	intel_journal_close(&j);
	unlink(path);
	return 0;
}
