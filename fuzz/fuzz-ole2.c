/* libFuzzer target: the OLE2 compound file reader (FAT/miniFAT chains,
 * directory tree, streams, VBA dir and modules, PowerPoint/Excel records)
 * and the MS-OVBA decompressor on its own. The first byte picks which. */
#include "fuzz-files-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gv_pool *pool;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		struct gv_buf out;

		gv_buf_init(&out, 1 << 20);
		(void)gvf_ovba_decompress(data + 1, size - 1, &out);
		gv_buf_free(&out);
		return 0;
	}
	pool = gv_pool_new(16 * 1024);
	gvf_inspect_format(fuzz_engine(), pool, data + 1, size - 1,
			   GVF_FMT_OLE2, &fuzz_limits, &fuzz_sink);
	gv_pool_free(&pool);
	return 0;
}
