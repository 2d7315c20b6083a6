/* libFuzzer target: the PDF checks (names with #xx escapes, stream
 * finding, FlateDecode), the RTF object extraction (hex, OLE1 headers,
 * packages), and the small text decoders (HTML data: URIs, base64/uu
 * parts, BinHex, SZDD, TNEF, OneNote, LNK). The first byte picks the parser. */
#include "fuzz-files-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum gvf_format fmts[] = {
		GVF_FMT_PDF, GVF_FMT_RTF, GVF_FMT_PDF, GVF_FMT_RTF,
		GVF_FMT_HTML, GVF_FMT_TEXT, GVF_FMT_BINHEX, GVF_FMT_SZDD,
		GVF_FMT_TNEF, GVF_FMT_ONENOTE, GVF_FMT_LNK,
	};
	struct gv_pool *pool;

	if (size < 1)
		return 0;
	pool = gv_pool_new(16 * 1024);
	gvf_inspect_format(fuzz_engine(), pool, data + 1, size - 1,
			   fmts[data[0] % (sizeof(fmts) / sizeof(fmts[0]))],
			   &fuzz_limits, &fuzz_sink);
	gv_pool_free(&pool);
	return 0;
}
