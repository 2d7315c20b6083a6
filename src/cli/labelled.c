/* Labelled message sets: LABEL=PATH arguments scanned once (labelled.h). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/labelled.h"


int gv_labelled_add(struct gv_labelled *l, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char label[32];
	enum gv_learn_class c;
	if (eq == NULL || (size_t)(eq - arg) >= sizeof(label)) {
		fprintf(stderr, "geneva: %s: expected LABEL=PATH\n", arg);
		return -1;
	}
	memcpy(label, arg, (size_t)(eq - arg));
	label[eq - arg] = '\0';
	if (gv_learn_class_parse(label, &c) != 1) {
		fprintf(stderr, "geneva: %s: label must be phishing, spam or ham\n", arg);
		return -1;
	}
	if (l->n_sets == GV_ARRAY_LEN(l->inputs)) {
		fprintf(stderr, "geneva: %s: too many labelled sets (16 at most)\n", arg);
		return -1;
	}
	gv_inputs_add(&l->inputs[l->n_sets], eq + 1);
	l->errors += l->inputs[l->n_sets].errors;
	l->labels[l->n_sets++] = c;
	return 1;
}

void gv_labelled_scan(struct gv_labelled *l, struct gv_scan_engine *engine,
		      unsigned bits)
{
	size_t total = 0, max = gv_cli_max_message(engine);
	for (size_t s = 0; s < l->n_sets; s++)
		total += l->inputs[s].n;
	l->ex = gv_calloc(total ? total : 1, sizeof(*l->ex));
	for (size_t s = 0; s < l->n_sets; s++) {
		for (size_t i = 0; i < l->inputs[s].n; i++) {
			const struct gv_input *in = &l->inputs[s].items[i];
			unsigned char *data;
			size_t len;
			const char *err;
			char nb[4200];
			if (gv_input_read(in, max, &data, &len, &err) < 0) {
				fprintf(stderr, "geneva: %s: %s\n",
					gv_input_name(in, nb, sizeof(nb)), err);
				l->errors++;
				continue;
			}
			struct gv_pool *pool = gv_pool_new(64 * 1024);
			struct gv_scan_result *r;
			if (gv_scan_message(engine, pool, data, len, NULL, &r, &err) == 1) {
				struct gv_example *e = &l->ex[l->n++];
				e->input = in;
				e->label = l->labels[s];
				e->set = (int)s;
				struct gv_learn_vec v;
				gv_learn_features(pool, r, bits, &v);
				e->vec.n = v.n;
				e->vec.idx = gv_malloc((v.n + 1) * sizeof(uint32_t));
				memcpy(e->vec.idx, v.idx, v.n * sizeof(uint32_t));
			} else {
				l->errors++;
			}
			gv_pool_free(&pool);
			gv_free(data);
		}
	}
}

void gv_labelled_free(struct gv_labelled *l)
{
	for (size_t i = 0; i < l->n; i++)
		gv_free(l->ex[i].vec.idx);
	gv_free(l->ex);
	for (size_t s = 0; s < l->n_sets; s++)
		gv_inputs_free(&l->inputs[s]);
	memset(l, 0, sizeof(*l));
}
