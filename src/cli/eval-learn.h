/* Classifier evaluation for `geneva eval` (internal to the CLI). */
#ifndef GV_CLI_EVAL_LEARN_H
#define GV_CLI_EVAL_LEARN_H

#include "cli/labelled.h"

int gv_eval_folds(struct gv_scan_engine *engine, struct gv_labelled *l, int k,
		  uint64_t seed, const struct gv_learn_params *params);
/* The first n_train examples of l train, the rest test. */
int gv_eval_train_test(struct gv_scan_engine *engine, struct gv_labelled *l,
		       size_t n_train, const struct gv_learn_params *params);

#endif
