#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/learn-glue.h"
#include "learn/learn.h"

struct gv_cli_learn {
	struct gv_learn_db *db;
	struct gv_learn_model *model;
	struct gv_learn_hook hook;
	struct gv_scan_engine *engine;
	bool autolearn;
	size_t learned;
};

int gv_cli_learn_start(const char *path, bool autolearn,
		       struct gv_scan_engine *engine, struct gv_cli_learn **l_r)
{
	*l_r = NULL;
	if (path == NULL) {
		if (access(GV_DEFAULT_LEARN_DB, R_OK) != 0) {
			if (autolearn)
				fprintf(stderr, "geneva: --autolearn needs a learn "
					"store (--learn-db or %s)\n", GV_DEFAULT_LEARN_DB);
			return autolearn ? -1 : 1;
		}
		path = GV_DEFAULT_LEARN_DB;
	}
	struct gv_cli_learn *l = gv_calloc(1, sizeof(*l));
	const char *err;
	if (gv_learn_db_open(path, &l->db, &err) < 0) {
		fprintf(stderr, "geneva: %s\n", err);
		gv_free(l);
		return -1;
	}
	int r = gv_learn_db_load_model(l->db, &l->model, NULL, &err);
	if (r < 0) {
		fprintf(stderr, "geneva: %s: %s\n", path, err);
		gv_learn_db_close(&l->db);
		gv_free(l);
		return -1;
	}
	if (r == 1) {
		gv_learn_hook_init(&l->hook, l->model, NULL);
		struct gv_scan_classifier c = gv_learn_hook_classifier(&l->hook);
		gv_scan_engine_set_classifier(engine, &c);
	}
	l->engine = engine;
	l->autolearn = autolearn;
	*l_r = l;
	return 1;
}

void gv_cli_learn_observe(struct gv_cli_learn *l, const unsigned char *msg,
			  size_t len, const struct gv_scan_result *r)
{
	enum gv_learn_class c;
	if (l == NULL || !l->autolearn || gv_learn_autolearn_label(r, &c) != 1)
		return;
	struct gv_pool *pool = gv_pool_new(16 * 1024);
	struct gv_learn_vec v;
	gv_learn_features(pool, r, l->model ? gv_learn_model_bits(l->model) : 20, &v);
	const char *err;
	if (gv_learn_db_put(l->db, msg, len, c, &v, &err) == 1)
		l->learned++;
	gv_pool_free(&pool);
}

int gv_cli_learn_stop(struct gv_cli_learn **lp)
{
	struct gv_cli_learn *l = *lp;
	int ret = 1;
	if (l == NULL)
		return 1;
	gv_scan_engine_set_classifier(l->engine, NULL);
	if (l->learned > 0) {
		const char *err;
		if (gv_learn_db_retrain(l->db, NULL, &err) < 0) {
			fprintf(stderr, "geneva: %s\n", err);
			ret = -1;
		} else {
			fprintf(stderr, "auto-learned %zu messages\n", l->learned);
		}
	}
	gv_learn_model_free(&l->model);
	gv_learn_db_close(&l->db);
	gv_free(l);
	*lp = NULL;
	return ret;
}

void gv_cli_learn_released(const char *config, const unsigned char *msg,
			   size_t len)
{
	if (access(GV_DEFAULT_LEARN_DB, W_OK) != 0)
		return; /* no classifier on this site */
	struct gv_learn_db *db;
	struct gv_scan_engine *engine;
	const char *err;
	if (gv_learn_db_open(GV_DEFAULT_LEARN_DB, &db, &err) < 0) {
		fprintf(stderr, "geneva: %s\n", err);
		return;
	}
	if (gv_cli_engine(config, &engine) == 1) {
		int r = gv_learn_feedback(db, engine, msg, len, GV_CLASS_HAM, &err);
		if (r < 0)
			fprintf(stderr, "geneva: learning the released message: %s\n", err);
		else if (r == 1)
			printf("learned as ham (released by a person)\n");
		gv_scan_engine_free(&engine);
	}
	gv_learn_db_close(&db);
}
