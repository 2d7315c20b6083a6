/*
 * Brand index and permutation benchmark (driven by bench/domains.sh).
 *
 *   domains-bench match BRANDS NAMES ROUNDS
 *       builds an index from the first lines of BRANDS (one domain per
 *       line), matches every line of NAMES ROUNDS times on this thread and
 *       prints names/s (CPU time) and how many were reported.
 *   domains-bench permute DOMAIN...
 *       generates the permutations of each domain and prints the count and
 *       the CPU seconds spent.
 *
 * Output: key=value lines.
 */
#include <stdio.h>
#include <string.h>

#include "domains/domains.h"

static char **read_lines(const char *path, size_t max, size_t *n_r)
{
	unsigned char *data;
	size_t len, n = 0;
	bool trunc;
	const char *error;
	if (gv_read_file(path, 64u << 20, &data, &len, &trunc, &error) <= 0)
		gv_fatal("%s: %s", path, error);
	char **v = gv_calloc(max + 1, sizeof(char *));
	for (size_t p = 0; p < len && n < max;) {
		const char *nl = memchr(data + p, '\n', len - p);
		size_t e = nl != NULL ? (size_t)(nl - (char *)data) : len;
		if (e > p)
			v[n++] = gv_strndup((char *)data + p, e - p);
		p = e + 1;
	}
	gv_free(data);
	*n_r = n;
	return v;
}

static int bench_match(const char *brands_path, const char *names_path, unsigned rounds)
{
	size_t nb, nn;
	char **brands = read_lines(brands_path, 1000, &nb);
	char **names = read_lines(names_path, 10000000, &nn);
	const char *error;
	size_t *lens = gv_calloc(nn, sizeof(size_t));
	for (size_t i = 0; i < nn; i++)
		lens[i] = strlen(names[i]);

	double t0 = gv_cpu_seconds();
	struct gv_brand_index *idx = gv_brand_index_new(NULL);
	size_t added = 0;
	for (size_t i = 0; i < nb; i++)
		if (gv_brand_index_add(idx, brands[i], &error) > 0)
			added++;
	gv_brand_index_build(idx);
	double build = gv_cpu_seconds() - t0;

	uint64_t found = 0, bad = 0;
	t0 = gv_cpu_seconds();
	for (unsigned r = 0; r < rounds; r++)
		for (size_t i = 0; i < nn; i++) {
			struct gv_brand_match m;
			int rc = gv_brand_index_match(idx, names[i], lens[i], &m);
			found += rc > 0;
			bad += rc < 0;
		}
	double secs = gv_cpu_seconds() - t0;
	double total = (double)nn * rounds;
	printf("brands=%zu build_s=%.3f names=%.0f cpu_s=%.3f names_per_s=%.0f "
	       "reported=%llu bad=%llu\n", added, build, total, secs,
	       secs > 0 ? total / secs : 0, (unsigned long long)(found / rounds),
	       (unsigned long long)(bad / rounds));
	gv_brand_index_free(&idx);
	for (size_t i = 0; i < nb; i++)
		gv_free(brands[i]);
	for (size_t i = 0; i < nn; i++)
		gv_free(names[i]);
	gv_free(brands);
	gv_free(names);
	gv_free(lens);
	return 0;
}

static int bench_permute(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		struct gv_pool *pool = gv_pool_new(1 << 16);
		struct gv_permutation *list;
		size_t n;
		const char *error;
		double t0 = gv_cpu_seconds();
		if (gv_domain_permute(argv[i], strlen(argv[i]), NULL, NULL, pool,
				      &list, &n, &error) < 0)
			gv_fatal("%s: %s", argv[i], error);
		printf("domain=%s permutations=%zu cpu_s=%.4f\n", argv[i], n,
		       gv_cpu_seconds() - t0);
		gv_pool_free(&pool);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *error;
	if (gv_domains_init(&error) < 0)
		gv_fatal("%s", error);
	uint64_t rounds;
	if (argc == 5 && strcmp(argv[1], "match") == 0 &&
	    gv_parse_u64(argv[4], 100000, &rounds) > 0 && rounds > 0)
		return bench_match(argv[2], argv[3], (unsigned)rounds);
	if (argc >= 3 && strcmp(argv[1], "permute") == 0)
		return bench_permute(argc - 2, argv + 2);
	fprintf(stderr, "usage: domains-bench match BRANDS NAMES ROUNDS | permute DOMAIN...\n");
	return 2;
}
