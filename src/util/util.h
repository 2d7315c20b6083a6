/*
 * util — the small pieces every Geneva module uses: allocation wrappers
 * (out-of-memory is fatal), a per-job memory pool, bounded growable buffers,
 * byte slices, structured logging and monotonic time.
 *
 * Conventions (see docs/internals/conventions.md):
 *   - functions return int: -1 error, 0 not found / need more, 1 ok / found;
 *   - error text goes to `const char **error_r` and lives in static storage
 *     or in a pool the caller passed;
 *   - `char *` is a NUL-terminated string, `const unsigned char *` + size_t
 *     is raw bytes;
 *   - destructors take `**` and set the pointer to NULL.
 */
#ifndef GV_UTIL_H
#define GV_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GV_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Always-on assertion: a broken internal invariant aborts, in release too. */
#define gv_assert(expr) \
	((expr) ? (void)0 : gv_assert_failed(#expr, __FILE__, __LINE__))
void gv_assert_failed(const char *expr, const char *file, int line)
	__attribute__((noreturn));

/* Prints one line to stderr and exits with status 2. */
void gv_fatal(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

/* Allocation wrappers: never return NULL (OOM is fatal). gv_free(NULL) is ok. */
void *gv_malloc(size_t size);
void *gv_calloc(size_t n, size_t size);
void *gv_realloc(void *ptr, size_t size);
char *gv_strdup(const char *s);
char *gv_strndup(const char *s, size_t n);
void gv_free(void *ptr);
/* Multiplies with an overflow check; overflow is fatal (a caller bug). */
size_t gv_mul_size(size_t a, size_t b);

/* ---- memory pool: alloc-only, freed as a whole (one per scanned message) ---- */
struct gv_pool;
struct gv_pool *gv_pool_new(size_t block_size);
void gv_pool_free(struct gv_pool **pool);
/* Memory is 16-byte aligned and zeroed. */
void *gv_palloc(struct gv_pool *pool, size_t size);
char *gv_pstrdup(struct gv_pool *pool, const char *s);
char *gv_pstrndup(struct gv_pool *pool, const char *s, size_t n);
char *gv_psprintf(struct gv_pool *pool, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Bytes handed out so far (for limits and tests). */
size_t gv_pool_used(const struct gv_pool *pool);

/* ---- bounded growable buffer (heap); `max` is a hard cap set at init ---- */
struct gv_buf {
	unsigned char *data;
	size_t len;
	size_t cap;
	size_t max;
};
void gv_buf_init(struct gv_buf *buf, size_t max);
void gv_buf_free(struct gv_buf *buf);
void gv_buf_reset(struct gv_buf *buf);
/* 1 ok, -1 when the result would exceed max (buffer unchanged). */
int gv_buf_append(struct gv_buf *buf, const void *data, size_t len);
int gv_buf_putc(struct gv_buf *buf, unsigned char c);
int gv_buf_printf(struct gv_buf *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* NUL-terminates (not counted in len); returns data as a string or NULL
 * when the terminator would exceed max. */
const char *gv_buf_cstr(struct gv_buf *buf);

/* ---- non-owning byte slice ---- */
struct gv_str {
	const char *ptr;
	size_t len;
};
bool gv_str_eq_ci(struct gv_str s, const char *lit);
bool gv_mem_has_prefix_ci(const char *p, size_t len, const char *prefix);
/* Case-insensitive ASCII substring search; NULL when absent. */
const char *gv_memcasemem(const char *hay, size_t hay_len, const char *needle,
			  size_t needle_len);
void gv_ascii_lower(char *s, size_t len);
/* Parses a decimal unsigned number in [0, max]; 1 ok, -1 bad. */
int gv_parse_u64(const char *s, uint64_t max, uint64_t *out_r);

/* ---- time ---- */
/* Monotonic milliseconds and microseconds; never goes backwards. */
uint64_t gv_now_ms(void);
uint64_t gv_now_us(void);
/* CPU seconds used by this process (user+system). */
double gv_cpu_seconds(void);

/* ---- logging: one structured line per event, key=value ---- */
enum gv_log_level { GV_LOG_DEBUG, GV_LOG_INFO, GV_LOG_WARN, GV_LOG_ERROR };
void gv_log_set_level(enum gv_log_level level);
void gv_log_set_syslog(bool on, const char *ident);
void gv_log(enum gv_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Call after changing the process's user ids: in ASan builds it keeps the
 * process traceable so LeakSanitizer can run at exit; no-op otherwise. */
void gv_leak_check_after_id_change(void);

/* ---- files ---- */
/* Reads a whole file up to max bytes. 1 ok, 0 file larger than max (the
 * first max bytes are returned and *truncated_r set), -1 error
 * (*truncated_r false). */
int gv_read_file(const char *path, size_t max, unsigned char **data_r,
		 size_t *len_r, bool *truncated_r, const char **error_r);
/* Same for an open descriptor (e.g. stdin). */
int gv_read_fd(int fd, size_t max, unsigned char **data_r, size_t *len_r,
	       bool *truncated_r, const char **error_r);
/* Writes data to path atomically (temp file, fsync, rename, fsync dir).
 * mode is the file mode. 1 ok, -1 error. */
int gv_write_file_atomic(const char *path, const void *data, size_t len,
			 unsigned mode, const char **error_r);

/* ---- YAML configuration (libcyaml) ---- */
/* Loads the file at path with schema (a `const cyaml_schema_value_t *` for
 * the whole document; keys it does not name belong to other modules and
 * are ignored). 1 ok: *data_r, free it with gv_yaml_free; -1: *error_r is
 * one line (without the path: callers name the file). */
int gv_yaml_load(const char *path, const void *schema, void **data_r,
		 const char **error_r);
void gv_yaml_free(const void *schema, void *data);

/* ---- hashing (non-cryptographic, for tables) ---- */
uint64_t gv_hash64(const void *data, size_t len, uint64_t seed);

#endif
