/*
 * test-files: the public corpora. Every file of malware_test is flagged;
 * clam.exe is found through every container format the module handles (the
 * rest are listed, and still must be flagged); EICAR raw, zipped and zipped
 * twice; rspamd's attachment messages and SpamAssassin's macro samples get
 * findings naming the right part. Messages are inspected as whole files:
 * the module's own base64/uuencode part decoder opens them, so the part path
 * is "<message>/<attachment name>/...".
 */
#include "files/test-files-common.h"

static struct gv_files_engine *engine;

static bool flagged_at(const struct rec *r, const char *path_prefix, int min_score);

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

/* clam.exe must be found inside each of these (container formats handled). */
static const char *const clam_found[] = {
	"clam.exe", "clam.zip", "clam.7z", "clam.bz2.zip", "clam.cab",
	"clam.bin-be.cpio", "clam.bin-le.cpio", "clam.newc.cpio",
	"clam.odc.cpio", "clam.tar.gz", "clam.exe.bz2", "clam.exe.binhex",
	"clam.exe.html", "clam.exe.mbox.base64", "clam.exe.mbox.uu",
	"clam.mail", "clam.exe.rtf", "clam.exe.szdd", "clam.ole.doc",
	"clam.ppt", "clam.pdf", "clam.tnef", "clam_cache_emax.tgz",
	/* content survives the packer / stored inside the self-extractor */
	"clam-fsg.exe", "clam_IScab_ext.exe", NULL,
};

/* Formats not unpacked (PE packers, installers, AutoIt, CHM, ARJ, SIS,
 * Deflate64 zip): these must still be flagged, by type or name. */
static const char *const clam_not_unpacked[] = {
	"clam-aspack.exe", "clam-mew.exe", "clam-nsis.exe",
	"clam-pespin.exe", "clam-petite.exe", "clam-upack.exe", "clam-upx.exe",
	"clam-wwpack.exe", "clam-yc.exe", "clam.ea05.exe", "clam.ea06.exe",
	"clam_IScab_int.exe", "clam_ISmsi_ext.exe",
	"clam_ISmsi_int.exe", "clam.arj", "clam.chm", "clam.sis",
	"clam.d64.zip", "clam.impl.zip", NULL,
};

static void inspect_corpus(const char *name, struct rec *r)
{
	char rel[512];
	size_t len;
	unsigned char *data;

	snprintf(rel, sizeof(rel), "corpora/malware_test/clamav-testfiles/%s", name);
	data = load_shared(rel, &len);
	inspect(engine, r, data, len, name, NULL, NULL);
	free(data);
}

static void test_clam_through_containers(void **state)
{
	static struct rec r;
	int missing = 0;

	(void)state;
	for (size_t i = 0; clam_found[i] != NULL; i++) {
		inspect_corpus(clam_found[i], &r);
		if (!rec_clam_found(&r)) {
			print_message("# clam.exe NOT found in %s\n", clam_found[i]);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
}

static void test_every_corpus_file_flagged(void **state)
{
	static struct rec r;
	int unflagged = 0;

	(void)state;
	for (size_t i = 0; clam_not_unpacked[i] != NULL; i++) {
		inspect_corpus(clam_not_unpacked[i], &r);
		if (rec_worst(&r) < 30) {
			print_message("# %s not flagged\n", clam_not_unpacked[i]);
			unflagged++;
		}
		if (rec_clam_found(&r))
			print_message("# %s: clam.exe found after all; move it "
				      "to clam_found\n", clam_not_unpacked[i]);
	}
	assert_int_equal(unflagged, 0);
}

/* An RFC 5322 message with the file as a base64 attachment. */
static char *wrap_in_message(const char *name, const unsigned char *d, size_t len)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t cap = 1024 + len * 2, o;
	char *m = malloc(cap);

	o = (size_t)snprintf(m, cap, "From: a@example.com\r\nTo: b@example.com\r\n"
			     "Subject: test\r\nMIME-Version: 1.0\r\n"
			     "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
			     "--b1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
			     "--b1\r\nContent-Type: application/octet-stream; name=\"%s\"\r\n"
			     "Content-Disposition: attachment; filename=\"%s\"\r\n"
			     "Content-Transfer-Encoding: base64\r\n\r\n", name, name);
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < len ? (uint32_t)d[i + 1] << 8 : 0) |
			     (i + 2 < len ? d[i + 2] : 0);

		m[o++] = b64[v >> 18];
		m[o++] = b64[(v >> 12) & 63];
		m[o++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		m[o++] = i + 2 < len ? b64[v & 63] : '=';
		if ((i / 3) % 19 == 18) {
			m[o++] = '\r';
			m[o++] = '\n';
		}
	}
	o += (size_t)snprintf(m + o, cap - o, "\r\n--b1--\r\n");
	return m;
}

/* The same corpus, each file attached to a message built here: the part
 * is found, decoded and inspected like the bare file. */
static void test_corpus_attached_to_messages(void **state)
{
	static struct rec r;
	int bad = 0;

	(void)state;
	for (int list = 0; list < 2; list++) {
		const char *const *names = list == 0 ? clam_found : clam_not_unpacked;

		for (size_t i = 0; names[i] != NULL; i++) {
			char rel[512], prefix[300];
			size_t len;
			unsigned char *d;
			char *msg;

			snprintf(rel, sizeof(rel),
				 "corpora/malware_test/clamav-testfiles/%s", names[i]);
			d = load_shared(rel, &len);
			msg = wrap_in_message(names[i], d, len);
			inspect(engine, &r, msg, strlen(msg), "message.eml", NULL, NULL);
			snprintf(prefix, sizeof(prefix), "message.eml/%s", names[i]);
			if (!flagged_at(&r, prefix, 30) ||
			    (list == 0 && !rec_clam_found(&r))) {
				print_message("# %s: not flagged inside a message\n",
					      names[i]);
				bad++;
			}
			free(msg);
			free(d);
		}
	}
	assert_int_equal(bad, 0);
}

static void test_clam_hash_and_items(void **state)
{
	static struct rec r;
	bool seen = false;

	(void)state;
	inspect_corpus("clam.zip", &r);
	for (size_t i = 0; i < r.ni; i++)
		if (strcmp(r.it[i].md5, "aa15bcf478d165efd2065190eb473bcb") == 0) {
			seen = true;
			assert_int_equal(r.it[i].size, 544);
			assert_int_equal(r.it[i].depth, 1);
			assert_string_equal(r.it[i].path, "clam.zip/clam.exe");
			assert_int_equal(strlen(r.it[i].sha256), 64);
		}
	assert_true(seen);
	assert_non_null(rec_has(&r, "yara.ClamAV_Test_File_MD5"));
}

static void test_eicar_raw_zip_zipzip(void **state)
{
	static struct rec r;
	unsigned char *z1, *z2;
	size_t l1, l2;
	const struct gv_files_finding *f;

	(void)state;
	inspect(engine, &r, eicar, strlen(eicar), "eicar.com", NULL, NULL);
	f = rec_has(&r, "yara.EICAR_Test_File");
	assert_non_null(f);
	assert_int_equal(f->score, 100);

	z1 = zip1("eicar.com", eicar, strlen(eicar), &l1);
	inspect(engine, &r, z1, l1, "eicar.zip", NULL, NULL);
	f = rec_has(&r, "yara.EICAR_Test_File");
	assert_non_null(f);
	assert_string_equal(f->path, "eicar.zip/eicar.com");

	z2 = zip1("eicar.zip", z1, l1, &l2);
	inspect(engine, &r, z2, l2, "eicar2.zip", NULL, NULL);
	f = rec_has(&r, "yara.EICAR_Test_File");
	assert_non_null(f);
	assert_string_equal(f->path, "eicar2.zip/eicar.zip/eicar.com");
	free(z1);
	free(z2);
}

static void inspect_message(const char *rel, struct rec *r)
{
	size_t len;
	unsigned char *data = load_shared(rel, &len);
	const char *base = strrchr(rel, '/');

	inspect(engine, r, data, len, base + 1, NULL, NULL);
	free(data);
}

/* A finding of at least min_score whose path starts with path_prefix. */
static bool flagged_at(const struct rec *r, const char *path_prefix, int min_score)
{
	for (size_t i = 0; i < r->nf; i++)
		if (r->f[i].score >= min_score &&
		    strncmp(r->f[i].path, path_prefix, strlen(path_prefix)) == 0)
			return true;
	return false;
}

static void test_rspamd_attachments(void **state)
{
	static const struct {
		const char *file, *part;
	} cases[] = {
		{ "zip.eml", "zip.eml/f.zip/" },
		{ "zip-doublebad.eml", "zip-doublebad.eml/f.zip/" },
		{ "exe_attm.eml", "exe_attm.eml/hello_world.exe" },
		{ "rar4.eml", "rar4.eml/f.rar/" },
		{ "rar-date-bad-ext.eml", "rar-date-bad-ext.eml/06.12.2017.gz" },
		{ "broken_richtext.eml", "broken_richtext.eml/eicar.zip/eicar.com" },
	};
	static struct rec r;
	char rel[512];

	(void)state;
	for (size_t i = 0; i < GV_ARRAY_LEN(cases); i++) {
		snprintf(rel, sizeof(rel), "corpora/email/rspamd_test_messages/%s",
			 cases[i].file);
		inspect_message(rel, &r);
		if (!flagged_at(&r, cases[i].part, 30))
			fail_msg("%s: nothing flagged at %s", cases[i].file,
				 cases[i].part);
	}
	inspect_message("corpora/email/rspamd_test_messages/zip-doublebad.eml", &r);
	assert_non_null(rec_has(&r, "name.double_extension"));
	inspect_message("corpora/email/rspamd_test_messages/broken_richtext.eml", &r);
	assert_non_null(rec_has(&r, "yara.EICAR_Test_File"));
}

static void test_spamassassin_macros(void **state)
{
	static const struct {
		const char *file, *rule;
	} cases[] = {
		{ "macro.eml", "office.vba.project" },
		{ "malicemacro.eml", "office.vba.autoexec" },
		{ "renamedmacro.eml", "office.vba.project" },
		{ "zippwmacro.eml", "archive.encrypted" },
		{ "encrypted.eml", "office.encrypted" },
		{ "target_uri.eml", "office.external_link" },
	};
	static struct rec r;
	char rel[512];

	(void)state;
	for (size_t i = 0; i < GV_ARRAY_LEN(cases); i++) {
		snprintf(rel, sizeof(rel),
			 "corpora/email/spamassassin_t_data/spam/olevbmacro/%s",
			 cases[i].file);
		inspect_message(rel, &r);
		if (rec_has(&r, cases[i].rule) == NULL)
			fail_msg("%s: no %s", cases[i].file, cases[i].rule);
	}
	/* And the clean ones stay below the tag threshold. */
	inspect_message("corpora/email/spamassassin_t_data/spam/olevbmacro/nomacro.eml", &r);
	assert_true(rec_worst(&r) < 30);
	inspect_message("corpora/email/spamassassin_t_data/spam/olevbmacro/goodcsv.eml", &r);
	assert_true(rec_worst(&r) < 30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clam_through_containers),
		cmocka_unit_test(test_every_corpus_file_flagged),
		cmocka_unit_test(test_corpus_attached_to_messages),
		cmocka_unit_test(test_clam_hash_and_items),
		cmocka_unit_test(test_eicar_raw_zip_zipzip),
		cmocka_unit_test(test_rspamd_attachments),
		cmocka_unit_test(test_spamassassin_macros),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
