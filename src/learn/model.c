/*
 * Multinomial logistic regression on binary hashed features, trained with
 * SGD. L2 decay is applied lazily through one global scale factor so an
 * update touches only the example's active slots. The learning rate decays
 * per epoch; examples are visited in a seeded shuffle, so a seed fixes the
 * model exactly.
 */
#include <math.h>
#include <string.h>

#include "learn/learn.h"

#define MAGIC "GVLM"
#define FORMAT 2 /* 2: weights interleaved per feature */

struct gv_learn_model {
	unsigned bits;
	float *w;       /* [1 << bits][GV_CLASS_COUNT]: a feature's weights for
			   all classes share one cache line */
	float bias[GV_CLASS_COUNT];
	double scale;   /* effective weight = scale * w */
};

static const char *const class_names[] = { "phishing", "spam", "ham" };

const char *gv_learn_class_name(enum gv_learn_class c)
{
	return (unsigned)c < GV_CLASS_COUNT ? class_names[c] : "?";
}

int gv_learn_class_parse(const char *s, enum gv_learn_class *c_r)
{
	for (int c = 0; c < GV_CLASS_COUNT; c++)
		if (strcmp(s, class_names[c]) == 0) {
			*c_r = (enum gv_learn_class)c;
			return 1;
		}
	return 0;
}

static struct gv_learn_model *model_new(unsigned bits)
{
	struct gv_learn_model *m = gv_calloc(1, sizeof(*m));
	m->bits = bits;
	m->w = gv_calloc(gv_mul_size((size_t)GV_CLASS_COUNT, (size_t)1 << bits),
			 sizeof(float));
	m->scale = 1.0;
	return m;
}

void gv_learn_model_free(struct gv_learn_model **mp)
{
	if (*mp == NULL)
		return;
	gv_free((*mp)->w);
	gv_free(*mp);
	*mp = NULL;
}

unsigned gv_learn_model_bits(const struct gv_learn_model *m)
{
	return m->bits;
}

size_t gv_learn_model_bytes(const struct gv_learn_model *m)
{
	return sizeof(*m) + (size_t)GV_CLASS_COUNT * ((size_t)1 << m->bits) * sizeof(float);
}

static void softmax(const struct gv_learn_model *m, const struct gv_learn_vec *v,
		    double p[GV_CLASS_COUNT])
{
	size_t mask = ((size_t)1 << m->bits) - 1;
	double sum3[GV_CLASS_COUNT] = { 0 }, z[GV_CLASS_COUNT], max = -1e300;
	for (uint32_t k = 0; k < v->n; k++) {
		const float *w = m->w + (v->idx[k] & mask) * GV_CLASS_COUNT;
		for (int c = 0; c < GV_CLASS_COUNT; c++)
			sum3[c] += w[c];
	}
	for (int c = 0; c < GV_CLASS_COUNT; c++) {
		z[c] = m->bias[c] + m->scale * sum3[c];
		if (z[c] > max)
			max = z[c];
	}
	double sum = 0;
	for (int c = 0; c < GV_CLASS_COUNT; c++) {
		p[c] = exp(z[c] - max);
		sum += p[c];
	}
	for (int c = 0; c < GV_CLASS_COUNT; c++)
		p[c] /= sum;
}

void gv_learn_predict(const struct gv_learn_model *m,
		      const struct gv_learn_vec *v, double probs[GV_CLASS_COUNT])
{
	softmax(m, v, probs);
}

static uint64_t rng_next(uint64_t *s)
{
	/* splitmix64: small, seedable, good enough for shuffling */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rescale(struct gv_learn_model *m)
{
	size_t n = (size_t)GV_CLASS_COUNT << m->bits;
	for (size_t i = 0; i < n; i++)
		m->w[i] = (float)(m->w[i] * m->scale);
	m->scale = 1.0;
}

struct gv_learn_model *gv_learn_train(const struct gv_learn_vec *x,
				      const enum gv_learn_class *y, size_t n,
				      const struct gv_learn_params *pp)
{
	struct gv_learn_params p = pp ? *pp : (struct gv_learn_params){ 0 };
	if (p.bits < 10 || p.bits > 22)
		p.bits = 20;
	if (p.epochs == 0)
		p.epochs = 6;
	if (p.rate <= 0)
		p.rate = 0.2;
	if (p.l2 <= 0)
		p.l2 = 1e-6;
	struct gv_learn_model *m = model_new(p.bits);
	size_t mask = ((size_t)1 << p.bits) - 1;
	size_t *order = gv_calloc(n ? n : 1, sizeof(size_t));
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	uint64_t rng = p.seed ^ 0x5eed;
	for (unsigned e = 0; e < p.epochs; e++) {
		for (size_t i = n; i > 1; i--) {
			size_t j = rng_next(&rng) % i;
			size_t t = order[i - 1];
			order[i - 1] = order[j];
			order[j] = t;
		}
		double lr = p.rate / (1.0 + e);
		for (size_t k = 0; k < n; k++) {
			const struct gv_learn_vec *v = &x[order[k]];
			double prob[GV_CLASS_COUNT];
			softmax(m, v, prob);
			m->scale *= 1.0 - lr * p.l2;
			if (m->scale < 1e-6)
				rescale(m);
			float step[GV_CLASS_COUNT];
			for (int c = 0; c < GV_CLASS_COUNT; c++) {
				double g = prob[c] - (y[order[k]] == (enum gv_learn_class)c);
				step[c] = (float)(lr * g / m->scale);
				m->bias[c] -= (float)(lr * g * 0.1);
			}
			for (uint32_t a = 0; a < v->n; a++) {
				float *w = m->w + (v->idx[a] & mask) * GV_CLASS_COUNT;
				for (int c = 0; c < GV_CLASS_COUNT; c++)
					w[c] -= step[c];
			}
		}
	}
	rescale(m);
	gv_free(order);
	return m;
}

int gv_learn_model_save(const struct gv_learn_model *m, struct gv_buf *out)
{
	uint32_t hdr[3] = { FORMAT, m->bits, GV_CLASS_COUNT };
	size_t wbytes = ((size_t)GV_CLASS_COUNT << m->bits) * sizeof(float);
	if (gv_buf_append(out, MAGIC, 4) < 0 ||
	    gv_buf_append(out, hdr, sizeof(hdr)) < 0 ||
	    gv_buf_append(out, m->bias, sizeof(m->bias)) < 0 ||
	    gv_buf_append(out, m->w, wbytes) < 0)
		return -1;
	return 1;
}

int gv_learn_model_load(const unsigned char *data, size_t len,
			struct gv_learn_model **m_r, const char **error_r)
{
	uint32_t hdr[3];
	size_t head = 4 + sizeof(hdr) + sizeof(float) * GV_CLASS_COUNT;
	if (len < head || memcmp(data, MAGIC, 4) != 0) {
		*error_r = "not a Geneva model";
		return -1;
	}
	memcpy(hdr, data + 4, sizeof(hdr));
	if (hdr[0] != FORMAT || hdr[1] < 10 || hdr[1] > 22 ||
	    hdr[2] != GV_CLASS_COUNT) {
		*error_r = "unsupported model format";
		return -1;
	}
	size_t wbytes = ((size_t)GV_CLASS_COUNT << hdr[1]) * sizeof(float);
	if (len != head + wbytes) {
		*error_r = "model size does not match its header";
		return -1;
	}
	struct gv_learn_model *m = model_new(hdr[1]);
	memcpy(m->bias, data + 4 + sizeof(hdr), sizeof(m->bias));
	memcpy(m->w, data + head, wbytes);
	*m_r = m;
	return 1;
}
