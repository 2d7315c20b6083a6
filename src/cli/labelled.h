/* Labelled message sets for learn/eval (internal to the CLI). */
#ifndef GV_CLI_LABELLED_H
#define GV_CLI_LABELLED_H

#include "cli/inputs.h"
#include "learn/learn.h"

/* One message of a labelled set, scanned once by the rules engine. */
struct gv_example {
	const struct gv_input *input;
	enum gv_learn_class label;
	struct gv_learn_vec vec; /* heap copy */
	int fold;
	int set;  /* index of the LABEL=PATH argument it came from */
};

struct gv_labelled {
	struct gv_inputs inputs[16];
	enum gv_learn_class labels[16];
	size_t n_sets;
	struct gv_example *ex;
	size_t n;
	size_t errors;
};

/* Parses "LABEL=PATH" into the set (LABEL: phishing, spam, ham). 1 ok, -1
 * bad argument (reported). */
int gv_labelled_add(struct gv_labelled *l, const char *arg);
/* Scans every message with engine (no classifier) and extracts features. */
void gv_labelled_scan(struct gv_labelled *l, struct gv_scan_engine *engine,
		      unsigned bits);
void gv_labelled_free(struct gv_labelled *l);

#endif
