/* libFuzzer target: the archive walker and the whole inspection of one
 * attachment (libmagic dispatch, libarchive from memory, every decoder,
 * YARA, hashes). The first byte picks the way in: through libmagic like a
 * real attachment, or straight into the archive walker. */
#include "fuzz-files-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gv_pool *pool;

	if (size < 1)
		return 0;
	pool = gv_pool_new(16 * 1024);
	if (data[0] & 1)
		gv_files_inspect(fuzz_engine(), pool, data + 1, size - 1,
				 "fuzz.zip", "application/zip", "password: x",
				 11, &fuzz_limits, &fuzz_sink);
	else
		gvf_inspect_format(fuzz_engine(), pool, data + 1, size - 1,
				   GVF_FMT_ARCHIVE, &fuzz_limits, &fuzz_sink);
	gv_pool_free(&pool);
	return 0;
}
