/*
 * Honest evaluation of the classifier and of the whole engine:
 * K-fold cross-validation (a message is never in its own training fold;
 * folds are stratified by label and shuffled with a fixed seed) and
 * train-on-A / test-on-B. Prints per-class precision, recall, F1, ROC AUC
 * and the confusion matrix for the classifier alone, and for the whole
 * engine (rules + classifier through the policy) the share of each label
 * quarantined or rejected.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/eval-learn.h"

/* GENEVA_EVAL_MISSES=1 lists every misjudged message on stderr. */
static bool verbose;

struct scores {
	double p[GV_CLASS_COUNT];
	enum gv_action action;
	bool tested;
};

static uint64_t rng(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void assign_folds(struct gv_labelled *l, int k, uint64_t seed)
{
	for (int c = 0; c < GV_CLASS_COUNT; c++) {
		size_t *idx = gv_calloc(l->n + 1, sizeof(size_t)), m = 0;
		for (size_t i = 0; i < l->n; i++)
			if (l->ex[i].label == (enum gv_learn_class)c)
				idx[m++] = i;
		uint64_t s = seed + (uint64_t)c;
		for (size_t i = m; i > 1; i--) {
			size_t j = rng(&s) % i, t = idx[i - 1];
			idx[i - 1] = idx[j];
			idx[j] = t;
		}
		for (size_t i = 0; i < m; i++)
			l->ex[idx[i]].fold = (int)(i % (size_t)k);
		gv_free(idx);
	}
}

/* Trains on examples where train(i) holds and tests on those where it
 * does not (test set: fold == f, or the B set). */
static void run_split(struct gv_scan_engine *engine, struct gv_labelled *l,
		      bool (*is_test)(const struct gv_example *, int), int f,
		      const struct gv_learn_params *params, struct scores *out)
{
	size_t n = 0;
	struct gv_learn_vec *x = gv_calloc(l->n + 1, sizeof(*x));
	enum gv_learn_class *y = gv_calloc(l->n + 1, sizeof(*y));
	for (size_t i = 0; i < l->n; i++)
		if (!is_test(&l->ex[i], f)) {
			x[n] = l->ex[i].vec;
			y[n++] = l->ex[i].label;
		}
	struct gv_learn_model *m = gv_learn_train(x, y, n, params);
	struct gv_learn_hook hook;
	gv_learn_hook_init(&hook, m, NULL);
	struct gv_scan_classifier cl = gv_learn_hook_classifier(&hook);
	gv_scan_engine_set_classifier(engine, &cl);
	size_t max = gv_cli_max_message(engine);
	for (size_t i = 0; i < l->n; i++) {
		if (!is_test(&l->ex[i], f))
			continue;
		gv_learn_predict(m, &l->ex[i].vec, out[i].p);
		unsigned char *data;
		size_t len;
		const char *err;
		out[i].action = GV_ACTION_ACCEPT;
		if (gv_input_read(l->ex[i].input, max, &data, &len, &err) < 0)
			continue;
		struct gv_pool *pool = gv_pool_new(64 * 1024);
		struct gv_scan_result *r;
		if (gv_scan_message(engine, pool, data, len, NULL, &r, &err) == 1) {
			out[i].action = r->action;
			out[i].tested = true;
			bool stopped = r->action >= GV_ACTION_QUARANTINE;
			if (verbose && stopped != (l->ex[i].label != GV_CLASS_HAM)) {
				char nb[4200];
				fprintf(stderr, "miss: %s (%s) %s score %d:",
					gv_input_name(l->ex[i].input, nb, sizeof(nb)),
					gv_learn_class_name(l->ex[i].label),
					gv_action_name(r->action), r->score);
				for (size_t k = 0; k < r->n_findings && k < 5; k++)
					fprintf(stderr, " %s(%d)", r->findings[k].rule,
						r->findings[k].score);
				fputc('\n', stderr);
			}
		}
		gv_pool_free(&pool);
		gv_free(data);
	}
	gv_scan_engine_set_classifier(engine, NULL);
	gv_learn_model_free(&m);
	gv_free(x);
	gv_free(y);
}

struct auc_item {
	double score;
	bool pos;
};

static int by_score(const void *a, const void *b)
{
	double x = ((const struct auc_item *)a)->score;
	double y = ((const struct auc_item *)b)->score;
	return x < y ? -1 : x > y;
}

/* One-vs-rest ROC AUC of class c (Mann-Whitney, ties averaged). */
static double auc(const struct gv_labelled *l, const struct scores *s, int c)
{
	struct auc_item *it = gv_calloc(l->n + 1, sizeof(*it));
	size_t n = 0, pos = 0;
	for (size_t i = 0; i < l->n; i++)
		if (s[i].tested) {
			it[n].score = s[i].p[c];
			it[n].pos = l->ex[i].label == (enum gv_learn_class)c;
			pos += it[n].pos;
			n++;
		}
	qsort(it, n, sizeof(*it), by_score);
	double rank_sum = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && it[j].score == it[i].score)
			j++;
		double avg = (double)(i + j + 1) / 2.0; /* ranks i+1..j */
		for (size_t k = i; k < j; k++)
			if (it[k].pos)
				rank_sum += avg;
		i = j;
	}
	gv_free(it);
	size_t neg = n - pos;
	if (pos == 0 || neg == 0)
		return NAN;
	return (rank_sum - (double)pos * (double)(pos + 1) / 2.0) /
	       ((double)pos * (double)neg);
}

static void report(const struct gv_labelled *l, const struct scores *s)
{
	size_t cm[GV_CLASS_COUNT][GV_CLASS_COUNT] = { { 0 } };
	size_t stopped[GV_CLASS_COUNT] = { 0 }, tagged[GV_CLASS_COUNT] = { 0 },
	       total[GV_CLASS_COUNT] = { 0 };
	for (size_t i = 0; i < l->n; i++) {
		if (!s[i].tested)
			continue;
		int best = 0;
		for (int c = 1; c < GV_CLASS_COUNT; c++)
			if (s[i].p[c] > s[i].p[best])
				best = c;
		int t = (int)l->ex[i].label;
		cm[t][best]++;
		total[t]++;
		stopped[t] += s[i].action >= GV_ACTION_QUARANTINE;
		tagged[t] += s[i].action == GV_ACTION_TAG;
	}
	printf("classifier alone (argmax of the probabilities):\n");
	printf("  %-9s %9s %9s %9s %9s %7s\n", "class", "precision", "recall",
	       "F1", "ROC AUC", "n");
	for (int c = 0; c < GV_CLASS_COUNT; c++) {
		size_t tp = cm[c][c], pred = 0;
		for (int t = 0; t < GV_CLASS_COUNT; t++)
			pred += cm[t][c];
		double prec = pred ? (double)tp / (double)pred : 0;
		double rec = total[c] ? (double)tp / (double)total[c] : 0;
		double f1 = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0;
		printf("  %-9s %8.2f%% %8.2f%% %8.2f%% %9.4f %7zu\n",
		       gv_learn_class_name((enum gv_learn_class)c), 100 * prec,
		       100 * rec, 100 * f1, auc(l, s, c), total[c]);
	}
	printf("  confusion (rows: true, columns: predicted)\n  %-9s", "");
	for (int c = 0; c < GV_CLASS_COUNT; c++)
		printf(" %9s", gv_learn_class_name((enum gv_learn_class)c));
	printf("\n");
	for (int t = 0; t < GV_CLASS_COUNT; t++) {
		printf("  %-9s", gv_learn_class_name((enum gv_learn_class)t));
		for (int c = 0; c < GV_CLASS_COUNT; c++)
			printf(" %9zu", cm[t][c]);
		printf("\n");
	}
	printf("whole engine (rules + classifier, configured thresholds):\n");
	printf("  %-9s %7s %22s %9s\n", "label", "n", "quarantined/rejected", "tagged");
	for (int c = 0; c < GV_CLASS_COUNT; c++)
		if (total[c])
			printf("  %-9s %7zu %12zu (%6.2f%%) %8.2f%%\n",
			       gv_learn_class_name((enum gv_learn_class)c), total[c],
			       stopped[c], 100.0 * (double)stopped[c] / (double)total[c],
			       100.0 * (double)tagged[c] / (double)total[c]);
}

static bool in_fold(const struct gv_example *e, int f)
{
	return e->fold == f;
}

int gv_eval_folds(struct gv_scan_engine *engine, struct gv_labelled *l, int k,
		  uint64_t seed, const struct gv_learn_params *params)
{
	verbose = getenv("GENEVA_EVAL_MISSES") != NULL;
	assign_folds(l, k, seed);
	struct scores *s = gv_calloc(l->n + 1, sizeof(*s));
	for (int f = 0; f < k; f++)
		run_split(engine, l, in_fold, f, params, s);
	printf("%d-fold cross-validation, seed %llu, %zu messages\n", k,
	       (unsigned long long)seed, l->n);
	report(l, s);
	gv_free(s);
	return 0;
}

static bool in_b(const struct gv_example *e, int f)
{
	(void)f;
	return e->fold == 1;
}

int gv_eval_train_test(struct gv_scan_engine *engine, struct gv_labelled *l,
		       size_t n_train, const struct gv_learn_params *params)
{
	/* examples [0, n_train) come from the --train sets */
	for (size_t i = 0; i < l->n; i++)
		l->ex[i].fold = i < n_train ? 0 : 1;
	verbose = getenv("GENEVA_EVAL_MISSES") != NULL;
	struct scores *s = gv_calloc(l->n + 1, sizeof(*s));
	run_split(engine, l, in_b, 0, params, s);
	printf("trained on %zu messages, tested on %zu\n", n_train, l->n - n_train);
	report(l, s);
	gv_free(s);
	return 0;
}
