/*
 * files — content inspection of one attachment and everything inside it.
 *
 * The MIME layer hands over the decoded bytes of each leaf part; this module
 * finds the true type (libmagic), checks the declared name and type, unpacks
 * archives in memory (libarchive and its own decoders for OLE2, PDF streams,
 * RTF objects, BinHex, uuencode, base64 mail, TNEF, SZDD, OneNote, .lnk),
 * looks for Office macros, PDF actions, HTML smuggling, runs YARA over every
 * item, hashes every item (SHA-256, MD5) and optionally asks clamd.
 *
 * It never writes to disk, never runs a program (libarchive filters that
 * would are left out) and opens no connection except to a configured clamd.
 * Every limit hit is reported as a finding ("limit.*"), never silently as
 * clean. Rule ids and their default scores: docs/files.md. Score scale:
 * about 100 = certainly malicious, 60 = quarantine-worthy, 30 = suspicious.
 */
#ifndef GV_FILES_H
#define GV_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Defaults used when a limits field is 0. */
#define GV_FILES_DEFAULT_MAX_DEPTH 16
#define GV_FILES_DEFAULT_MAX_FILES 1000
#define GV_FILES_DEFAULT_MAX_TOTAL_BYTES ((uint64_t)256 * 1024 * 1024)
#define GV_FILES_DEFAULT_MAX_RATIO 200
#define GV_FILES_DEFAULT_MAX_FILE_BYTES ((size_t)64 * 1024 * 1024)
#define GV_FILES_DEFAULT_TIME_BUDGET_MS 5000

/* Limits for one gv_files_inspect() call (one attachment and its content).
 * 0 in a field of the limits passed to gv_files_inspect() means the
 * engine's value (gv_files_config.limits); 0 there means the default above. */
struct gv_files_limits {
	/* Nesting depth of containers (the attachment itself is depth 0). */
	size_t max_depth;
	/* Items inspected in total (attachment + every extracted file). */
	size_t max_files;
	/* Decompressed/decoded bytes produced in total. */
	uint64_t max_total_bytes;
	/* Decoded size / encoded size above which an item is a bomb; applied
	 * once the decoded size passes 1 MiB, so small files never trip it. */
	uint32_t max_ratio;
	/* Largest single decoded item kept in memory; a larger one is cut
	 * (and reported), the first max_file_bytes are still inspected. */
	size_t max_file_bytes;
	/* Wall-clock budget for the whole call. */
	uint64_t time_budget_ms;
};

struct gv_files_finding {
	/* Rule id, e.g. "archive.encrypted", "office.vba.autoexec",
	 * "yara.EICAR_Test_File", "limit.archive_ratio" (docs/files.md). */
	const char *rule;
	/* Default score of the rule (see the scale above). */
	int score;
	/* Short human-readable reason; may be NULL. */
	const char *evidence;
	/* Item path: declared name, then "/"-joined inner names, e.g.
	 * "invoice.zip/inner.zip/clam.exe". */
	const char *path;
};

struct gv_files_item {
	const char *path;
	/* Last path component (the item's own name; may be a made-up one such
	 * as "stream-12" for a PDF stream). */
	const char *name;
	/* libmagic MIME type of the content, e.g. "application/zip". */
	const char *true_type;
	uint64_t size;
	char sha256[65];
	char md5[33];
	/* 0 = the attachment itself. */
	int depth;
};

/* All strings passed to the sink live in the pool given to
 * gv_files_inspect() (or are static); the sink must not free them. */
struct gv_files_sink {
	void *ctx;
	void (*finding)(void *ctx, const struct gv_files_finding *f);
	void (*item)(void *ctx, const struct gv_files_item *it);
};

struct gv_files_config {
	/* Folder with the bundled rules (*.yar). NULL = the installed
	 * GV_FILES_RULES_DIR, or the source tree's rules/yara when Geneva
	 * runs uninstalled. */
	const char *rules_dir;
	/* Extra user rule folders (*.yar, *.yara), compiled with the bundled
	 * ones. May be NULL when count is 0. */
	const char *const *user_rule_dirs;
	size_t user_rule_dirs_count;
	/* clamd address: "host:port" (loopback) or a unix socket path; NULL or
	 * "" = no clamd. */
	const char *clamd;
	/* Timeout for one clamd exchange; 0 = 5000 ms. */
	uint64_t clamd_timeout_ms;
	/* Default limits for calls that pass limits = NULL. */
	struct gv_files_limits limits;
};

/* Reads the `files:` section of the YAML configuration at path (keys in
 * docs/config.md). NULL or a missing file = all defaults. 1 ok, -1 error
 * (*error_r names the file; thread-local storage). Free with
 * gv_files_config_free(). */
int gv_files_config_load(const char *path, struct gv_files_config **cfg_r,
			 const char **error_r);
void gv_files_config_free(struct gv_files_config **cfg);

/* Compiled once: YARA rules, a libmagic cookie, the defaults.
 * Thread safety: an engine (its libmagic cookie and YARA scanner) is used by
 * one thread at a time; make one engine per scanning thread. */
struct gv_files_engine;

/* Creates an engine. 1 ok; -1 error (rules that do not compile, libmagic
 * database missing) with *error_r in static or engine-independent storage
 * valid until the next call from this thread. */
int gv_files_engine_new(const struct gv_files_config *cfg,
			struct gv_files_engine **engine_r,
			const char **error_r);
void gv_files_engine_free(struct gv_files_engine **engine);

/* Number of YARA rules compiled into the engine (for `--version`-style
 * reports and tests). */
size_t gv_files_engine_rule_count(const struct gv_files_engine *engine);

/* Inspects one file (an attachment's decoded bytes) and everything inside it,
 * recursively, in memory. declared_name/declared_type come from the message
 * (may be NULL); body_text is the message's visible text (may be NULL), used
 * to spot an archive password given in the body. limits NULL (or its 0
 * fields) = the engine's limits. Findings and items go to sink as they are found; strings live in
 * pool. Returns 1 done (also when limits were hit: those are findings), -1
 * internal error (also reported as a "file.error" finding). Never writes
 * to disk, never runs a shell. */
int gv_files_inspect(struct gv_files_engine *engine, struct gv_pool *pool,
		     const unsigned char *data, size_t len,
		     const char *declared_name, const char *declared_type,
		     const char *body_text, size_t body_text_len,
		     const struct gv_files_limits *limits,
		     const struct gv_files_sink *sink);

#endif
