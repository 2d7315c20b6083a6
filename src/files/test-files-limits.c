/*
 * test-files-limits: archive bombs and every limit of gv_files_limits, one
 * named test each. Bombs are built at test time with libarchive's writer
 * (in memory) and inspected in a forked child so that its peak RSS
 * (wait4 rusage) and wall time can be measured on their own.
 */
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "files/test-files-common.h"

static struct gv_files_engine *engine;

/* The bounds (2 s, 256 MB) are for a normal build. Under ASan every
 * allocation is padded and freed memory sits in a 256 MB quarantine, so the
 * bounds are relaxed there; the measured figures are printed either way. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GV_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define GV_TEST_ASAN 1
#endif
#ifdef GV_TEST_ASAN
#define BOMB_MAX_SECONDS 10.0
#define BOMB_MAX_RSS_KB (1024L * 1024)
#else
#define BOMB_MAX_SECONDS 2.0
#define BOMB_MAX_RSS_KB (256L * 1024)
#endif

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

/* A zip holding `count` entries of `size` zero bytes each, written in
 * pieces so the test itself never holds the decompressed data. */
static unsigned char *zero_zip(size_t count, size_t size, size_t *len_r)
{
	static unsigned char zeros[1 << 20];
	size_t cap = 64 * 1024 + count * (size / 500 + 4096), used = 0;
	unsigned char *buf = malloc(cap);
	struct archive *a = archive_write_new();

	assert_non_null(buf);
	archive_write_set_format_zip(a);
	archive_write_set_bytes_in_last_block(a, 1);
	assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
	for (size_t i = 0; i < count; i++) {
		struct archive_entry *e = archive_entry_new();
		char name[64];

		snprintf(name, sizeof(name), "zeros-%zu.bin", i);
		archive_entry_set_pathname(e, name);
		archive_entry_set_size(e, (la_int64_t)size);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		for (size_t off = 0; off < size; off += sizeof(zeros)) {
			size_t n = size - off < sizeof(zeros) ? size - off : sizeof(zeros);

			assert_int_equal(archive_write_data(a, zeros, n), (la_ssize_t)n);
		}
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	*len_r = used;
	return buf;
}

/* A zip holding `count` copies of inner. */
static unsigned char *copies_zip(const unsigned char *inner, size_t inner_len,
				 size_t count, size_t *len_r)
{
	struct entry *ents = calloc(count, sizeof(*ents));
	char (*names)[32] = calloc(count, 32);
	unsigned char *z;

	for (size_t i = 0; i < count; i++) {
		snprintf(names[i], 32, "layer-%zu.zip", i);
		ents[i] = (struct entry){ names[i], inner, inner_len };
	}
	z = build_archive(archive_write_set_format_zip, NULL, NULL, ents, count, len_r);
	free(ents);
	free(names);
	return z;
}

struct measure {
	double seconds, cpu_seconds;
	long maxrss_kb;
	int worst;
	char rules[1024];
};

/* Inspects data in a child process; reports wall time, the child's peak
 * RSS, the worst score and the limit rules seen. */
static void inspect_measured(const unsigned char *data, size_t len,
			     const char *name, struct measure *m)
{
	int fds[2];
	pid_t pid;
	struct rusage ru;
	int status;
	uint64_t t0 = gv_now_us();

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static struct rec r;
		char out[1024] = "";

		close(fds[0]);
		inspect(engine, &r, data, len, name, NULL, NULL);
		for (size_t i = 0; i < r.nf; i++)
			if (strncmp(r.f[i].rule, "limit.", 6) == 0 &&
			    strlen(out) + strlen(r.f[i].rule) + 2 < sizeof(out)) {
				strcat(out, r.f[i].rule);
				strcat(out, " ");
			}
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "|%d",
			 rec_worst(&r));
		if (write(fds[1], out, strlen(out) + 1) < 0)
			_exit(3);
		_exit(0);
	}
	close(fds[1]);
	ssize_t n = read(fds[0], m->rules, sizeof(m->rules) - 1);

	close(fds[0]);
	assert_true(wait4(pid, &status, 0, &ru) == pid);
	m->seconds = (double)(gv_now_us() - t0) / 1e6;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(n > 0);
	m->rules[n] = '\0';
	m->maxrss_kb = ru.ru_maxrss;
	m->cpu_seconds = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
			 (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	m->worst = atoi(strrchr(m->rules, '|') + 1);
	*strrchr(m->rules, '|') = '\0';
	print_message("# %s: %zu bytes, %.3f s wall, %.3f s CPU, peak RSS %ld MB, "
		      "limits: %s, worst score %d\n", name, len, m->seconds,
		      m->cpu_seconds, m->maxrss_kb / 1024, m->rules, m->worst);
}

static void test_bomb_single_file_high_ratio(void **state)
{
	struct measure m;
	size_t len;
	/* 1 GiB of zeros in one entry (about 1 MB of zip). */
	unsigned char *z = zero_zip(1, (size_t)1 << 30, &len);

	(void)state;
	inspect_measured(z, len, "ratio-bomb.zip", &m);
	assert_true(m.seconds < BOMB_MAX_SECONDS);
	assert_true(m.maxrss_kb < BOMB_MAX_RSS_KB);
	assert_non_null(strstr(m.rules, "limit."));
	assert_true(m.worst >= 60);	/* quarantine, never clean */
	free(z);
}

static void test_bomb_nested_42zip(void **state)
{
	struct measure m;
	size_t l1, l2, l3, l4;
	/* 42.zip shape: 16 files of 64 MiB zeros, then 16 copies per layer,
	 * four layers: 16^4 * 64 MiB = 4 TiB if fully unpacked. */
	unsigned char *z1 = zero_zip(16, (size_t)64 << 20, &l1);
	unsigned char *z2 = copies_zip(z1, l1, 16, &l2);
	unsigned char *z3 = copies_zip(z2, l2, 16, &l3);
	unsigned char *z4 = copies_zip(z3, l3, 16, &l4);

	(void)state;
	inspect_measured(z4, l4, "42.zip", &m);
	assert_true(m.seconds < BOMB_MAX_SECONDS);
	assert_true(m.maxrss_kb < BOMB_MAX_RSS_KB);
	assert_non_null(strstr(m.rules, "limit."));
	assert_true(m.worst >= 60);
	free(z1);
	free(z2);
	free(z3);
	free(z4);
}

static const struct gv_files_finding *has_limit(struct rec *r, const char *rule)
{
	const struct gv_files_finding *f = rec_has(r, rule);

	if (f == NULL)
		fail_msg("no %s finding", rule);
	assert_true(f->score >= 60);
	return f;
}

static void test_limit_depth(void **state)
{
	static struct rec r;
	struct gv_files_limits lim = { .max_depth = 3 };
	size_t len;
	unsigned char *z = zip1("eicar.com", eicar, strlen(eicar), &len);

	(void)state;
	for (int i = 0; i < 4; i++) {
		unsigned char *outer = zip1("inner.zip", z, len, &len);

		free(z);
		z = outer;
	}
	/* eicar.com is at depth 5 */
	inspect(engine, &r, z, len, "deep.zip", NULL, &lim);
	has_limit(&r, "limit.archive_depth");
	assert_null(rec_has(&r, "yara.EICAR_Test_File"));
	/* With the default depth it is found. */
	inspect(engine, &r, z, len, "deep.zip", NULL, NULL);
	assert_non_null(rec_has(&r, "yara.EICAR_Test_File"));
	assert_null(rec_has(&r, "limit."));
	free(z);
}

/* Zero fields of the call's limits take the engine's configured ones. */
static void test_limit_engine_defaults(void **state)
{
	static struct rec r;
	struct gv_files_config cfg = { .limits = { .max_depth = 2 } };
	struct gv_files_limits call = { .time_budget_ms = 3000 };
	struct gv_files_engine *e;
	const char *err;
	char dir[4096];
	size_t len;
	unsigned char *z = zip1("eicar.com", eicar, strlen(eicar), &len);

	(void)state;
	snprintf(dir, sizeof(dir), "%s/rules/yara", getenv("GENEVA_SRC"));
	cfg.rules_dir = dir;
	assert_int_equal(gv_files_engine_new(&cfg, &e, &err), 1);
	for (int i = 0; i < 2; i++) {
		unsigned char *outer = zip1("inner.zip", z, len, &len);

		free(z);
		z = outer;
	}
	/* eicar.com at depth 3 */
	inspect(e, &r, z, len, "deep.zip", NULL, &call);
	has_limit(&r, "limit.archive_depth");
	gv_files_engine_free(&e);
	free(z);
}

static void test_limit_files(void **state)
{
	static struct rec r;
	struct gv_files_limits lim = { .max_files = 10 };
	struct entry ents[50];
	char names[50][16];
	size_t len;
	unsigned char *z;

	(void)state;
	for (int i = 0; i < 50; i++) {
		snprintf(names[i], sizeof(names[i]), "f%d.txt", i);
		ents[i] = (struct entry){ names[i], "hello\n", 6 };
	}
	z = build_archive(archive_write_set_format_zip, NULL, NULL, ents, 50, &len);
	inspect(engine, &r, z, len, "many.zip", NULL, &lim);
	has_limit(&r, "limit.archive_files");
	assert_true(r.ni <= 10);
	free(z);
}

/* Incompressible bytes (xorshift), so that only the byte limits apply. */
static unsigned char *noise(size_t len, uint64_t seed)
{
	unsigned char *d = malloc(len);

	for (size_t i = 0; i < len; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		d[i] = (unsigned char)seed;
	}
	return d;
}

static void test_limit_total_bytes(void **state)
{
	static struct rec r;
	struct gv_files_limits lim = { .max_total_bytes = 4 << 20 };
	unsigned char *n = noise(900 * 1024, 42);
	struct entry ents[10];
	size_t len;
	unsigned char *z;

	(void)state;
	for (int i = 0; i < 10; i++)
		ents[i] = (struct entry){ (const char *[]){ "a", "b", "c", "d", "e",
				"f", "g", "h", "i", "j" }[i], n, 900 * 1024 };
	z = build_archive(archive_write_set_format_zip, NULL, NULL, ents, 10, &len);
	inspect(engine, &r, z, len, "big.zip", NULL, &lim);
	has_limit(&r, "limit.archive_total_bytes");
	free(z);
	free(n);
}

static void test_limit_ratio(void **state)
{
	static struct rec r;
	size_t len;
	unsigned char *z = zero_zip(1, 64 << 20, &len);

	(void)state;
	inspect(engine, &r, z, len, "ratio.zip", NULL, NULL);
	has_limit(&r, "limit.archive_ratio");
	free(z);
}

static void test_limit_file_size(void **state)
{
	static struct rec r;
	struct gv_files_limits lim = { .max_file_bytes = 1 << 20 };
	unsigned char *n = noise(3 << 20, 7);
	size_t len;
	unsigned char *z = zip1("noise.bin", n, 3 << 20, &len);

	(void)state;
	inspect(engine, &r, z, len, "noise.zip", NULL, &lim);
	has_limit(&r, "limit.file_size");
	/* The attachment itself over the limit: cut, reported, inspected. */
	inspect(engine, &r, n, 3 << 20, "noise.bin", NULL, &lim);
	has_limit(&r, "limit.file_size");
	/* ...but its size and hashes are those of the whole attachment. */
	assert_int_equal(r.it[0].size, 3 << 20);
	free(z);
	free(n);
}

static void test_limit_time(void **state)
{
	static struct rec r;
	struct gv_files_limits lim = { .time_budget_ms = 1, .max_files = 100000 };
	struct entry ents[3000];
	char (*names)[16] = calloc(3000, 16);
	size_t len;
	unsigned char *z;

	(void)state;
	for (int i = 0; i < 3000; i++) {
		snprintf(names[i], 16, "f%d.txt", i);
		ents[i] = (struct entry){ names[i], eicar, strlen(eicar) };
	}
	z = build_archive(archive_write_set_format_zip, NULL, NULL, ents, 3000, &len);
	inspect(engine, &r, z, len, "slow.zip", NULL, &lim);
	has_limit(&r, "limit.time");
	free(z);
	free(names);
}

static void test_config_limits(void **state)
{
	char dir[] = "/tmp/gv-files-cfg-XXXXXX", path[64];
	struct gv_files_config *cfg;
	const char *err;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/geneva.yaml", dir);
	f = fopen(path, "w");
	fputs("scan:\n  other: 1\nfiles:\n  clamd: 127.0.0.1:3310\n"
	      "  yara_dirs: [/a, /b]\n  limits:\n    max_depth: 4\n"
	      "    max_ratio: 50\n    time_budget_ms: 900\n", f);
	fclose(f);
	assert_int_equal(gv_files_config_load(path, &cfg, &err), 1);
	assert_string_equal(cfg->clamd, "127.0.0.1:3310");
	assert_int_equal(cfg->user_rule_dirs_count, 2);
	assert_string_equal(cfg->user_rule_dirs[1], "/b");
	assert_int_equal(cfg->limits.max_depth, 4);
	assert_int_equal(cfg->limits.max_ratio, 50);
	assert_int_equal(cfg->limits.time_budget_ms, 900);
	assert_int_equal(cfg->limits.max_files, 0);	/* default */
	gv_files_config_free(&cfg);
	assert_null(cfg);

	f = fopen(path, "w");
	fputs("files:\n  limits:\n    max_depth: -3\n", f);
	fclose(f);
	assert_int_equal(gv_files_config_load(path, &cfg, &err), -1);
	assert_non_null(strstr(err, "max_depth") ? err : strstr(err, "limits"));
	/* A missing file means defaults. */
	assert_int_equal(gv_files_config_load("/nonexistent/geneva.yaml", &cfg,
					      &err), 1);
	assert_null(cfg->clamd);
	gv_files_config_free(&cfg);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bomb_single_file_high_ratio),
		cmocka_unit_test(test_bomb_nested_42zip),
		cmocka_unit_test(test_limit_depth),
		cmocka_unit_test(test_limit_engine_defaults),
		cmocka_unit_test(test_limit_files),
		cmocka_unit_test(test_limit_total_bytes),
		cmocka_unit_test(test_limit_ratio),
		cmocka_unit_test(test_limit_file_size),
		cmocka_unit_test(test_limit_time),
		cmocka_unit_test(test_config_limits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
