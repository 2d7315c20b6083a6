/* Classifier tests: features, training, the store's learn/unlearn round
 * trips and idempotence, bounded model size, serialization. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "learn/learn.h"

static const char *phish[] = {
	"From: Security <alert@secure-verify.example>\r\nTo: a@corp.example\r\nSubject: Verify your account now\r\n\r\n"
	"Your account has been suspended. Verify your password at http://verify-login.example/x today.\r\n",
	"From: Billing <billing@pay-update.example>\r\nTo: b@corp.example\r\nSubject: Payment failed, update billing\r\n\r\n"
	"Your payment failed. Update your billing details at http://pay-update.example/login to avoid suspension.\r\n",
	"From: Mail Admin <admin@mailbox-quota.example>\r\nTo: c@corp.example\r\nSubject: Mailbox full: verify now\r\n\r\n"
	"Your mailbox is full. Verify your account at http://quota-verify.example/login or lose your password.\r\n",
};
static const char *ham[] = {
	"From: Ann <ann@corp.example>\r\nTo: team@corp.example\r\nSubject: Minutes of the planning meeting\r\n\r\n"
	"Attached are the minutes. We agreed to move the release to Thursday and review the budget.\r\n",
	"From: Bob <bob@corp.example>\r\nTo: team@corp.example\r\nSubject: Lunch on Friday\r\n\r\n"
	"Shall we try the new place near the station? The team lunch is on Friday at noon.\r\n",
	"From: Carol <carol@corp.example>\r\nTo: team@corp.example\r\nSubject: Release notes draft\r\n\r\n"
	"Here is the draft of the release notes for the meeting; please review the budget section.\r\n",
};

struct fixture {
	struct gv_scan_engine *engine;
	char dir[64];
	char db[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *err;
	if (gv_scan_engine_load(NULL, &f->engine, &err) < 0)
		return -1;
	strcpy(f->dir, "/tmp/gv-learn-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/learn.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	gv_scan_engine_free(&f->engine);
	free(f);
	return 0;
}

static void features_of(struct fixture *f, struct gv_pool *pool, const char *msg,
			struct gv_learn_vec *v)
{
	struct gv_scan_result *r;
	const char *err;
	assert_int_equal(gv_scan_message(f->engine, pool, (const unsigned char *)msg,
					 strlen(msg), NULL, &r, &err), 1);
	gv_learn_features(pool, r, 18, v);
	assert_true(v->n > 10);
	for (uint32_t i = 1; i < v->n; i++)
		assert_true(v->idx[i - 1] < v->idx[i]); /* sorted, distinct */
	for (uint32_t i = 0; i < v->n; i++)
		assert_true(v->idx[i] < (1u << 18));
}

/* A model trained on the three phishing and three ham messages above. */
static struct gv_learn_model *train_six(struct fixture *f, struct gv_pool *pool,
					unsigned epochs, uint64_t seed)
{
	struct gv_learn_vec x[6];
	enum gv_learn_class y[6];
	for (int i = 0; i < 3; i++) {
		features_of(f, pool, phish[i], &x[i]);
		y[i] = GV_CLASS_PHISHING;
		features_of(f, pool, ham[i], &x[3 + i]);
		y[3 + i] = GV_CLASS_HAM;
	}
	struct gv_learn_params p = { .bits = 18, .epochs = epochs, .seed = seed };
	return gv_learn_train(x, y, 6, &p);
}

static void test_train_and_predict(void **state)
{
	struct fixture *f = *state;
	struct gv_pool *pool = gv_pool_new(65536);
	struct gv_learn_model *m = train_six(f, pool, 20, 1);
	struct gv_learn_vec t;
	features_of(f, pool, "From: x@verify-now.example\r\nTo: a@corp.example\r\n"
		    "Subject: verify your password\r\n\r\nYour account is suspended, verify your "
		    "password at http://verify-login.example/y\r\n", &t);
	double pr[GV_CLASS_COUNT];
	gv_learn_predict(m, &t, pr);
	assert_true(pr[GV_CLASS_PHISHING] > pr[GV_CLASS_HAM]);
	assert_true(pr[0] + pr[1] + pr[2] > 0.999 && pr[0] + pr[1] + pr[2] < 1.001);
	features_of(f, pool, "From: Dan <dan@corp.example>\r\nTo: team@corp.example\r\n"
		    "Subject: planning meeting moved\r\n\r\nThe planning meeting and the budget "
		    "review move to Thursday.\r\n", &t);
	gv_learn_predict(m, &t, pr);
	assert_true(pr[GV_CLASS_HAM] > pr[GV_CLASS_PHISHING]);
	/* same seed, same model */
	struct gv_learn_model *m2 = train_six(f, pool, 20, 1);
	double pr2[GV_CLASS_COUNT];
	gv_learn_predict(m2, &t, pr2);
	assert_memory_equal(pr, pr2, sizeof(pr));
	/* serialization round trip, and damaged blobs refused */
	struct gv_buf b;
	gv_buf_init(&b, 1u << 26);
	assert_int_equal(gv_learn_model_save(m, &b), 1);
	struct gv_learn_model *m3;
	const char *err;
	assert_int_equal(gv_learn_model_load(b.data, b.len, &m3, &err), 1);
	gv_learn_predict(m3, &t, pr2);
	assert_memory_equal(pr, pr2, sizeof(pr));
	struct gv_learn_model *bad = NULL;
	assert_int_equal(gv_learn_model_load(b.data, b.len - 1, &bad, &err), -1);
	b.data[0] = 'X';
	assert_int_equal(gv_learn_model_load(b.data, b.len, &bad, &err), -1);
	assert_null(bad);
	gv_buf_free(&b);
	gv_learn_model_free(&m);
	gv_learn_model_free(&m2);
	gv_learn_model_free(&m3);
	assert_null(m3);
	gv_pool_free(&pool);
}

static void test_model_size_bounded(void **state)
{
	(void)state;
	struct gv_learn_params p = { .bits = 30 }; /* out of range: clamped */
	struct gv_learn_model *m = gv_learn_train(NULL, NULL, 0, &p);
	assert_true(gv_learn_model_bits(m) <= 22);
	assert_true(gv_learn_model_bytes(m) <= (size_t)64 << 20);
	gv_learn_model_free(&m);
	p.bits = 22;
	m = gv_learn_train(NULL, NULL, 0, &p);
	assert_true(gv_learn_model_bytes(m) <= (size_t)64 << 20);
	gv_learn_model_free(&m);
}

static void test_store_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct gv_learn_db *db;
	const char *err;
	assert_int_equal(gv_learn_db_open(f->db, &db, &err), 1);
	struct gv_pool *pool = gv_pool_new(65536);
	size_t counts[GV_CLASS_COUNT];
	struct gv_learn_model *m;
	assert_int_equal(gv_learn_db_load_model(db, &m, NULL, &err), 0); /* none yet */
	for (int i = 0; i < 3; i++) {
		struct gv_learn_vec v;
		features_of(f, pool, phish[i], &v);
		assert_int_equal(gv_learn_db_put(db, (const unsigned char *)phish[i],
						 strlen(phish[i]), GV_CLASS_PHISHING, &v, &err), 1);
		features_of(f, pool, ham[i], &v);
		assert_int_equal(gv_learn_db_put(db, (const unsigned char *)ham[i],
						 strlen(ham[i]), GV_CLASS_HAM, &v, &err), 1);
	}
	assert_int_equal(gv_learn_db_counts(db, counts, &err), 1);
	assert_int_equal(counts[GV_CLASS_PHISHING], 3);
	assert_int_equal(counts[GV_CLASS_HAM], 3);
	/* learning the same message again changes nothing */
	struct gv_learn_vec v;
	features_of(f, pool, ham[0], &v);
	assert_int_equal(gv_learn_db_put(db, (const unsigned char *)ham[0],
					 strlen(ham[0]), GV_CLASS_HAM, &v, &err), 0);
	gv_learn_db_counts(db, counts, &err);
	assert_int_equal(counts[GV_CLASS_HAM], 3);
	int64_t v1 = gv_learn_db_retrain(db, NULL, &err);
	assert_true(v1 > 0);
	/* relabel (e.g. a quarantined message released as ham) */
	features_of(f, pool, phish[2], &v);
	assert_int_equal(gv_learn_db_put(db, (const unsigned char *)phish[2],
					 strlen(phish[2]), GV_CLASS_HAM, &v, &err), 1);
	gv_learn_db_counts(db, counts, &err);
	assert_int_equal(counts[GV_CLASS_PHISHING], 2);
	assert_int_equal(counts[GV_CLASS_HAM], 4);
	/* unlearn, and unlearn again */
	assert_int_equal(gv_learn_db_remove(db, (const unsigned char *)phish[2],
					    strlen(phish[2]), &err), 1);
	assert_int_equal(gv_learn_db_remove(db, (const unsigned char *)phish[2],
					    strlen(phish[2]), &err), 0);
	gv_learn_db_counts(db, counts, &err);
	assert_int_equal(counts[GV_CLASS_PHISHING], 2);
	assert_int_equal(counts[GV_CLASS_HAM], 3);
	int64_t v2 = gv_learn_db_retrain(db, NULL, &err);
	assert_true(v2 > v1);
	int64_t got;
	assert_int_equal(gv_learn_db_load_model(db, &m, &got, &err), 1);
	assert_int_equal(got, v2);
	gv_learn_model_free(&m);
	gv_learn_db_close(&db);
	assert_null(db);
	/* a file that is not a database is an error, not a crash */
	char bad[160];
	snprintf(bad, sizeof(bad), "%s/not-a-db", f->dir);
	FILE *fp = fopen(bad, "w");
	fputs("this is not sqlite at all, just some text of a reasonable length", fp);
	fclose(fp);
	assert_int_equal(gv_learn_db_open(bad, &db, &err), -1);
	gv_pool_free(&pool);
}

static void test_hook_findings(void **state)
{
	struct fixture *f = *state;
	struct gv_pool *pool = gv_pool_new(65536);
	struct gv_learn_model *m = train_six(f, pool, 30, 3);
	struct gv_learn_hook hook;
	gv_learn_hook_init(&hook, m, NULL);
	struct gv_scan_classifier c = gv_learn_hook_classifier(&hook);
	gv_scan_engine_set_classifier(f->engine, &c);
	struct gv_scan_result *r;
	const char *err;
	assert_int_equal(gv_scan_message(f->engine, pool, (const unsigned char *)phish[0],
					 strlen(phish[0]), NULL, &r, &err), 1);
	bool found = false;
	for (size_t i = 0; i < r->n_findings; i++)
		if (strcmp(r->findings[i].rule, "learn.phishing") == 0) {
			found = true;
			assert_string_equal(r->findings[i].analyzer, "learn");
			assert_true(r->findings[i].score >= 40);
		}
	assert_true(found);
	gv_scan_engine_set_classifier(f->engine, NULL);
	gv_learn_model_free(&m);
	gv_pool_free(&pool);
}

static void test_release_feedback(void **state)
{
	struct fixture *f = *state;
	char path[160];
	snprintf(path, sizeof(path), "%s/feedback.db", f->dir);
	struct gv_learn_db *db;
	const char *err;
	assert_int_equal(gv_learn_db_open(path, &db, &err), 1);
	/* a message first learned as phishing is released from quarantine */
	assert_int_equal(gv_learn_feedback(db, f->engine, (const unsigned char *)phish[0],
					   strlen(phish[0]), GV_CLASS_PHISHING, &err), 1);
	assert_int_equal(gv_learn_feedback(db, f->engine, (const unsigned char *)ham[0],
					   strlen(ham[0]), GV_CLASS_HAM, &err), 1);
	int64_t v1, v2;
	struct gv_learn_model *m;
	assert_int_equal(gv_learn_db_load_model(db, &m, &v1, &err), 1);
	gv_learn_model_free(&m);
	assert_int_equal(gv_learn_feedback(db, f->engine, (const unsigned char *)phish[0],
					   strlen(phish[0]), GV_CLASS_HAM, &err), 1);
	size_t counts[GV_CLASS_COUNT];
	gv_learn_db_counts(db, counts, &err);
	assert_int_equal(counts[GV_CLASS_PHISHING], 0);
	assert_int_equal(counts[GV_CLASS_HAM], 2);
	assert_int_equal(gv_learn_db_load_model(db, &m, &v2, &err), 1);
	assert_true(v2 > v1);
	gv_learn_model_free(&m);
	/* the same release again changes nothing */
	assert_int_equal(gv_learn_feedback(db, f->engine, (const unsigned char *)phish[0],
					   strlen(phish[0]), GV_CLASS_HAM, &err), 0);
	gv_learn_db_close(&db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_train_and_predict),
		cmocka_unit_test(test_model_size_bounded),
		cmocka_unit_test(test_store_roundtrip),
		cmocka_unit_test(test_hook_findings),
		cmocka_unit_test(test_release_feedback),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
