/*
 * intel — the security intelligence graph.
 *
 * What it is for: every scanned message becomes an event in a store (SQLite
 * by default, PostgreSQL when several hosts feed one graph); the entities a
 * message touches (sender, targeted users, URLs, domains, IPs, attachment
 * hashes, rules, malware families, campaigns) and the typed relations
 * between them are kept with first_seen / last_seen / count. Feeds (STIX
 * 2.x, MISP, CSV, plain lists) import indicators into the same store; an
 * indicator index compiled from it is what the scan engine matches against.
 * Reports and signed STIX exports read the store.
 *
 * Threading: a store handle is used by one thread at a time. The recorder
 * owns its own handle and writer thread; gv_intel_record() may be called from
 * any number of scanning threads. An index snapshot is read-only and can be
 * shared by all threads; gv_intel_index_holder swaps snapshots atomically.
 *
 * Conventions: -1 error, 0 not found, 1 ok/found; error text in *error_r is
 * static or owned by the object that produced it, valid until its next call.
 */
#ifndef GV_INTEL_H
#define GV_INTEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- entities and relations ---- */

/* Stored as integers: never renumber, only append. */
enum gv_intel_kind {
	GV_ENT_MESSAGE = 1, /* value: event uid (messages are events) */
	GV_ENT_SENDER = 2, /* envelope/From/Reply-To address, lower case */
	GV_ENT_USER = 3, /* targeted recipient address, lower case */
	GV_ENT_URL = 4,
	GV_ENT_DOMAIN = 5, /* lower case, no trailing dot */
	GV_ENT_IP = 6, /* textual IPv4 / IPv6 */
	GV_ENT_HASH = 7, /* lower-case hex: md5 (32), sha1 (40), sha256 (64) */
	GV_ENT_RULE = 8, /* "analyzer/rule-id" */
	GV_ENT_MALWARE = 9,
	GV_ENT_CAMPAIGN = 10,
	GV_ENT_ACTOR = 11, /* threat actor or intrusion set */
	GV_ENT_ORG = 12, /* organization / identity */
	GV_ENT_INDICATOR = 13, /* value: "<kind>:<value>" of the indicator */
	GV_ENT_FEED = 14, /* an import source (file, feed name) */
	GV_ENT_FILETYPE = 15, /* attachment content type */
	GV_ENT_ALERT = 16, /* value: the alert's dedup key; name: its title */
	GV_ENT_BRAND = 17, /* a protected brand, as its detector names it
			      (usually its domain, "paypal.com"), lower case */
	GV_ENT_KIND_MAX = 17
};

enum gv_intel_rel {
	GV_REL_SENT_BY = 1, /* message -> sender */
	GV_REL_TARGETS = 2, /* message|sender|campaign -> user */
	GV_REL_LINKS_TO = 3, /* message -> url */
	GV_REL_HOSTED_ON = 4, /* url -> domain, domain -> ip */
	GV_REL_HAS_ATTACHMENT = 5, /* message -> hash */
	GV_REL_MATCHED_RULE = 6, /* message -> rule */
	GV_REL_PART_OF_CAMPAIGN = 7, /* message|indicator -> campaign */
	GV_REL_ATTRIBUTED_TO = 8, /* campaign|intrusion set -> actor */
	GV_REL_INDICATES = 9, /* indicator -> malware|campaign|actor */
	GV_REL_SENT_FROM = 10, /* message|sender -> ip */
	GV_REL_USES = 11, /* actor|campaign -> malware */
	GV_REL_REPORTED_BY = 12, /* indicator|object -> feed */
	GV_REL_IS_TYPE = 13, /* hash -> file type */
	GV_REL_FAMILY = 14, /* message|hash -> malware family */
	GV_REL_RELATED = 15, /* any other STIX relationship */
	GV_REL_ALERTS_ON = 16, /* alert -> user|ip|domain it is about */
	GV_REL_IMITATES = 17, /* domain -> brand (a lookalike) */
	GV_REL_MAX = 17
};

const char *gv_intel_kind_name(enum gv_intel_kind kind);
const char *gv_intel_rel_name(enum gv_intel_rel rel);
/* "user", "domain"... -> kind; 0 when unknown. */
enum gv_intel_kind gv_intel_kind_parse(const char *name);

/* ---- the event the scan produces (one per scanned message) ---- */

enum gv_intel_action {
	GV_ACT_ACCEPT = 0,
	GV_ACT_TAG = 1,
	GV_ACT_QUARANTINE = 2,
	GV_ACT_REJECT = 3
};
/* "malicious" everywhere in reports means action >= GV_ACT_QUARANTINE. */
#define GV_INTEL_MALICIOUS(action) ((action) >= GV_ACT_QUARANTINE)

struct gv_intel_finding {
	const char *analyzer;
	const char *rule_id;
	double score;
	const char *evidence; /* may be NULL */
	const char *part; /* MIME part path, may be NULL */
};

struct gv_intel_url {
	const char *url;
	const char *host; /* may be NULL */
	const char *domain; /* registrable domain, may be NULL (then host) */
	/* Where the message has it: "href", "form", "meta", "text", "bare",
	 * or "src" / "css" for embedded resources (images, fonts, scripts:
	 * shared CDNs, never a campaign's lure); NULL: unknown (a lure). */
	const char *source;
};

struct gv_intel_attachment {
	const char *name; /* may be NULL */
	const char *type; /* content type by content, may be NULL */
	uint64_t size;
	const char *sha256; /* lower-case hex, may be NULL */
	const char *md5;
};

/* Plain data; every pointer may be NULL / every count 0. The recorder deep-
 * copies it, so the caller's memory (e.g. a scan pool) can go right after. */
struct gv_intel_event {
	const char *event_id; /* idempotency key; NULL: the recorder makes one */
	int64_t time; /* scan time, unix seconds; 0: now */
	const char *message_id;
	int64_t date; /* Date: header, unix seconds; 0 unknown */
	const char *envelope_from;
	const char *const *envelope_rcpts;
	size_t n_envelope_rcpts;
	const char *from, *reply_to, *return_path;
	const char *subject;
	enum gv_intel_action action;
	double score;
	const struct gv_intel_finding *findings;
	size_t n_findings;
	const struct gv_intel_url *urls;
	size_t n_urls;
	const char *const *ips; /* from Received headers and URL hosts */
	size_t n_ips;
	const struct gv_intel_attachment *attachments;
	size_t n_attachments;
	/* Attribution known at scan time (from indicator hits), may be NULL. */
	const char *campaign;
	const char *const *families;
	size_t n_families;
	const char *source; /* scanning host or front ("cli", "milter") */
};

/* ---- store ---- */

/* uri: "sqlite:PATH", a plain PATH (SQLite), "postgres:CONNINFO" or
 * "postgresql://...". busy_timeout_ms: how long SQLite waits for a lock
 * before the store counts as unreachable (0: 2000). */
struct gv_intel_store_settings {
	const char *uri;
	unsigned busy_timeout_ms;
};

struct gv_intel_store;

/* Opens (and creates the schema of) a store. 1 ok, -1 error. */
int gv_intel_store_open(const struct gv_intel_store_settings *settings,
			struct gv_intel_store **store_r, const char **error_r);
void gv_intel_store_close(struct gv_intel_store **store);
/* "sqlite" or "postgres". */
const char *gv_intel_store_backend(const struct gv_intel_store *store);

/* Records events in one transaction. Events whose event_id is already stored
 * are skipped (replay is idempotent); *inserted_r counts the new ones.
 * Every event needs event_id and time set. 1 ok, -1 error (rolled back). */
int gv_intel_store_ingest(struct gv_intel_store *store,
			  const struct gv_intel_event *const *events, size_t n,
			  size_t *inserted_r, const char **error_r);

struct gv_intel_counts {
	uint64_t events, entities, relations, indicators, findings;
	uint64_t alerts, lookalikes;
	uint64_t by_kind[GV_ENT_KIND_MAX + 1];
};
int gv_intel_store_counts(struct gv_intel_store *store,
			  struct gv_intel_counts *counts_r,
			  const char **error_r);

/* ---- recording without slowing the scan ---- */

/* Defaults. A batch is what the writer takes from the queue at once (less
 * when less is queued): the bigger, the more of its sums aggregate into
 * one row write (bench/intel.sh, docs/intel.md). Queued records hold
 * about 1-4 KiB each. */
#define GV_INTEL_QUEUE_SIZE 131072
#define GV_INTEL_BATCH_SIZE 65536

struct gv_intel_recorder_settings {
	struct gv_intel_store_settings store;
	const char *journal_dir; /* required: where unreachable-store events go */
	size_t queue_size; /* records in memory; 0: GV_INTEL_QUEUE_SIZE */
	size_t batch_size; /* records per transaction; 0: GV_INTEL_BATCH_SIZE */
	unsigned retry_ms; /* reconnect interval while down; 0: 1000 */
};

/* Counts are of records: events, alerts and lookalikes together. */
struct gv_intel_recorder_stats {
	uint64_t recorded; /* accepted by gv_intel_record / _record_alert /
			      _record_lookalike */
	uint64_t stored; /* committed to the store (incl. replays) */
	uint64_t duplicates; /* already stored (replay, retries) */
	uint64_t journaled; /* written to the journal */
	uint64_t replayed; /* read back from the journal */
	uint64_t lost; /* could not be stored nor journaled (disk full) */
	uint64_t batches;
};

struct gv_intel_recorder;

/* Starts the writer thread. The store need not be reachable yet (events are
 * journaled until it is); a journal left from an earlier run is replayed.
 * 1 ok, -1 error (bad settings, journal dir unusable). */
int gv_intel_recorder_start(const struct gv_intel_recorder_settings *settings,
			    struct gv_intel_recorder **rec_r,
			    const char **error_r);
/* Deep-copies the event into the queue and returns: never touches the store.
 * When the queue is full the event is appended to the journal by the caller
 * thread instead (backpressure without loss). 1 ok, -1 the event could not
 * be queued nor journaled (error names the cause, e.g. disk full). */
int gv_intel_record(struct gv_intel_recorder *rec,
		    const struct gv_intel_event *event, const char **error_r);
/* Waits until everything queued so far is stored or journaled. */
void gv_intel_recorder_flush(struct gv_intel_recorder *rec);
/* Drains the queue, tries a last replay, stops the thread. 1 everything was
 * stored, 0 some events remain in the journal (store down; they replay on
 * the next start), -1 some events were lost (error says why). */
int gv_intel_recorder_stop(struct gv_intel_recorder **rec,
			   struct gv_intel_recorder_stats *stats_r,
			   const char **error_r);

/* ---- alerts and lookalike domains from other detectors ----
 *
 * Detectors other than the scan (geneva watch, geneva domains, the alert
 * pipeline) keep what they find in the same graph. They go through the
 * recorder like scan events: queue, writer thread, on-disk journal while
 * the store is down, replay when it is back. Both are idempotent, so a
 * replay or a detector re-reading its input never duplicates anything:
 * an alert is keyed by its `key`, a lookalike by (domain, brand).
 *
 * What the store keeps:
 *  - alert: a row in `alert` (every field below) and an entity GV_ENT_ALERT
 *    (value = key, name = title) with GV_REL_ALERTS_ON relations to the
 *    user, IP and domain it names (count 1 per alert);
 *  - lookalike: entities GV_ENT_DOMAIN (domain) and GV_ENT_BRAND (brand),
 *    the relation domain -GV_REL_IMITATES-> brand, and a row in `lookalike`
 *    per (domain, brand): technique and score of the best (highest-score)
 *    sighting, first and last seen, source of the first sighting. The
 *    source becomes a GV_ENT_FEED the domain is GV_REL_REPORTED_BY.
 * Counts of entities are per message and not touched by either.
 * `geneva report alerts|lookalikes` list them (docs/intel.md). */

struct gv_intel_alert {
	const char *key; /* required: dedup key; the same key = the same
			    alert, recorded once (e.g. respond's dedup_key) */
	const char *detector; /* "watch", "scan", "domains"...; NULL: "" */
	const char *kind; /* "mailbox", "lookalike", "message", "indicator"..;
			     NULL: "" */
	int severity; /* 0 info, 1 low, 2 medium, 3 high, 4 critical (the
			 scale of respond's enum gv_severity); clamped */
	int64_t time; /* unix seconds the thing happened; 0: now */
	const char *user; /* affected user (address or login), may be NULL */
	const char *ip; /* remote IP, may be NULL */
	const char *domain; /* domain it is about, may be NULL */
	const char *title; /* one line, may be NULL */
	const char *summary; /* a few sentences, may be NULL */
	const char *details; /* a JSON object as text (evidence), may be NULL;
				anything else is kept as a JSON string */
};

struct gv_intel_lookalike {
	const char *domain; /* required: the lookalike, e.g. "paypa1.com" */
	const char *brand; /* required: the protected brand it imitates */
	const char *technique; /* "homoglyph", "addition"..., may be NULL */
	unsigned score; /* 1..100, higher = closer imitation */
	int64_t first_seen; /* unix seconds; 0: now */
	const char *source; /* feed or file it was seen in, may be NULL */
};

/* Queue an alert / a lookalike for the store (deep copy; returns at once,
 * like gv_intel_record, with the same full-queue and journal behaviour).
 * 1 ok, -1 invalid (no key / domain / brand: error says which) or lost
 * (could not be queued nor journaled). */
int gv_intel_record_alert(struct gv_intel_recorder *rec,
			  const struct gv_intel_alert *alert,
			  const char **error_r);
int gv_intel_record_lookalike(struct gv_intel_recorder *rec,
			      const struct gv_intel_lookalike *lookalike,
			      const char **error_r);

/* The same straight into a store, in one transaction (what the recorder's
 * writer calls; also for tests and one-shot tools). Records without a key
 * (alerts) or without domain or brand (lookalikes) are skipped. *inserted_r
 * (may be NULL) counts new alerts / new (domain, brand) pairs.
 * 1 ok, -1 error (rolled back). */
int gv_intel_store_alerts(struct gv_intel_store *store,
			  const struct gv_intel_alert *const *alerts, size_t n,
			  size_t *inserted_r, const char **error_r);
int gv_intel_store_lookalikes(struct gv_intel_store *store,
			      const struct gv_intel_lookalike *const *lks,
			      size_t n, size_t *inserted_r,
			      const char **error_r);

/* ---- feeds in ---- */

struct gv_intel_import_limits {
	size_t max_file_size; /* bytes; 0: 64 MiB */
	size_t max_objects; /* per file; 0: 1,000,000 */
	size_t max_pattern_len; /* 0: 8192 */
};

struct gv_intel_import_stats {
	uint64_t files, files_skipped, files_refused;
	uint64_t objects; /* STIX objects / MISP attributes seen */
	uint64_t indicators_new, indicators_seen; /* seen: already stored */
	uint64_t entities, relations;
	uint64_t suppressed; /* matched a warninglist */
	uint64_t unsupported; /* indicator forms we cannot match (reported) */
	uint64_t invalid; /* malformed values/patterns */
};

struct gv_intel_warninglist;
/* Loads MISP warninglist list.json files (and dirs of them); the values
 * suppress indicators (hostname/string lists: exact and parent domains;
 * cidr lists: exact address). Returns NULL with *error_r on failure. */
struct gv_intel_warninglist *gv_intel_warninglist_load(const char *const *paths,
						       size_t n,
						       const char **error_r);
void gv_intel_warninglist_free(struct gv_intel_warninglist **wl);
size_t gv_intel_warninglist_size(const struct gv_intel_warninglist *wl);

/* Imports one file or a directory tree (*.json, *.csv, *.txt). Recognises
 * STIX 2.1 and 2.0 bundles/objects, MISP events, MISP feeds (manifest.json
 * + event files), CSV ("type,value[,...]" with a header, or "value" per
 * line) and plain lists. report (may be NULL) gets one line per file and
 * one per unsupported form. Idempotent. 1 ok, -1 error (a file was refused
 * or unreadable: the rest is still imported; error names the last one). */
int gv_intel_import_path(struct gv_intel_store *store, const char *path,
			 const struct gv_intel_warninglist *wl,
			 const struct gv_intel_import_limits *limits,
			 struct gv_intel_import_stats *stats, FILE *report,
			 const char **error_r);

/* The same for one document in memory; name decides the format (*.json,
 * *.csv, else a plain list) and names the feed. */
int gv_intel_import_buffer(struct gv_intel_store *st, const char *name,
			   const unsigned char *data, size_t len,
			   const struct gv_intel_warninglist *wl,
			   const struct gv_intel_import_limits *limits,
			   struct gv_intel_import_stats *stats, FILE *report,
			   const char **error_r);

/* ---- STIX pattern subset (comparison expressions) ---- */

enum gv_stix_op { GV_STIX_EQ, GV_STIX_LIKE, GV_STIX_MATCHES };

struct gv_stix_cmp {
	enum gv_intel_kind kind; /* URL, DOMAIN, IP, SENDER (email), HASH */
	enum gv_stix_op op;
	char value[]; /* unescaped literal */
};

struct gv_stix_pattern_limits {
	size_t max_len; /* 0: 8192 */
	size_t max_comparisons; /* 0: 64 */
	size_t max_depth; /* parentheses / brackets; 0: 16 */
};

/* Parses a STIX pattern. Comparisons joined by OR (inside or between
 * observation expressions) each become a gv_stix_cmp; AND joins, negation,
 * other objects/paths/operators and qualifiers are "unsupported" (1 is still
 * returned with *unsupported_r counting them) because matching one side of an
 * AND alone would over-match. Results live in pool. 1 ok (n_r comparisons,
 * possibly 0), -1 syntax error or limit (error_r static). */
struct gv_pool;
int gv_stix_pattern_parse(const unsigned char *data, size_t len,
			  const struct gv_stix_pattern_limits *limits,
			  struct gv_pool *pool, struct gv_stix_cmp ***cmps_r,
			  size_t *n_r, size_t *unsupported_r,
			  const char **error_r);

/* ---- indicator index (what the scan engine matches against) ---- */

struct gv_intel_hit {
	int64_t indicator_id; /* store id of the indicator */
	enum gv_intel_kind kind;
	const char *value; /* the indicator value or URL pattern */
	const char *feed; /* source name, never NULL ("" unknown) */
	const char *campaign; /* may be NULL */
	const char *actor; /* may be NULL */
	const char *malware; /* may be NULL */
	const char *name; /* indicator name / STIX id, may be NULL */
};

struct gv_intel_index;

/* Compiles a read-only snapshot of every indicator in the store: hash sets
 * for exact values, one Hyperscan database for URL LIKE/MATCHES patterns.
 * 1 ok, -1 error. */
int gv_intel_index_build(struct gv_intel_store *store,
			 struct gv_intel_index **index_r,
			 const char **error_r);
void gv_intel_index_unref(struct gv_intel_index **index);
void gv_intel_index_ref(struct gv_intel_index *index);
size_t gv_intel_index_size(const struct gv_intel_index *index);

/* Looks up one value. kind: GV_ENT_URL, DOMAIN (also tries parent domains),
 * IP, SENDER (also tries the address's domain as a domain indicator), HASH.
 * Values are normalised (case, trailing dot) before lookup. Thread-safe.
 * 1 hit (*hit_r points into the snapshot), 0 none. */
int gv_intel_index_lookup(const struct gv_intel_index *index,
			  enum gv_intel_kind kind, const char *value,
			  struct gv_intel_hit *hit_r);

/* Holder for the current snapshot: readers acquire a reference, the
 * feed-update path swaps in a new snapshot; the old one is freed when its
 * last reader releases it. */
struct gv_intel_index_holder;
struct gv_intel_index_holder *gv_intel_index_holder_new(void);
void gv_intel_index_holder_free(struct gv_intel_index_holder **holder);
/* Takes ownership of index (may be NULL to clear). */
void gv_intel_index_holder_swap(struct gv_intel_index_holder *holder,
				struct gv_intel_index *index);
/* Returns a referenced snapshot (release with gv_intel_index_unref), or
 * NULL when none is loaded. */
struct gv_intel_index *
gv_intel_index_holder_get(struct gv_intel_index_holder *holder);

/* ---- evidence out ---- */

struct gv_intel_export_filter {
	const char *campaign; /* campaign name/value, or NULL */
	int64_t since, until; /* unix seconds; 0: open */
};
/* Writes a STIX 2.1 bundle (JSON, deterministic ids) of the malicious
 * events in range: indicators for their URLs, domains, IPs, senders and
 * hashes, campaigns, sightings with counts, relationships. The caller frees
 * *json_r with gv_free. 1 ok, -1 error. */
int gv_intel_export_stix(struct gv_intel_store *store,
			 const struct gv_intel_export_filter *filter,
			 char **json_r, size_t *len_r, size_t *objects_r,
			 const char **error_r);

/* Ed25519 keys in files: secret key (mode 0600) and public key, each one
 * line of hex. 1 ok, -1 error. */
int gv_intel_keygen(const char *secret_path, const char *public_path,
		    const char **error_r);
/* Detached signature of data, written as one line of hex. */
int gv_intel_sign(const unsigned char *data, size_t len,
		  const char *secret_path, char **sig_hex_r,
		  const char **error_r);
/* 1 valid, 0 invalid signature, -1 error (unreadable key/signature). */
int gv_intel_verify(const unsigned char *data, size_t len,
		    const char *sig_hex, const char *public_path,
		    const char **error_r);

/* ---- reports ---- */

enum gv_intel_report_kind {
	GV_REPORT_TARGETED,
	GV_REPORT_MALWARE,
	GV_REPORT_CAMPAIGNS,
	GV_REPORT_NEIGHBORS,
	GV_REPORT_RECOMMENDATIONS,
	GV_REPORT_ALERTS, /* newest first; since/until on the alert time */
	GV_REPORT_LOOKALIKES /* best score first; since/until on last seen */
};

struct gv_intel_report_query {
	enum gv_intel_report_kind kind;
	int64_t since, until; /* unix seconds; 0: open */
	size_t limit; /* rows; 0: 20 */
	const char *entity; /* NEIGHBORS: "kind:value" */
	unsigned depth; /* NEIGHBORS: 0: 2, at most 4 */
};

/* Runs a report and returns it as a JSON document (caller frees with
 * gv_free): {"report": kind, "rows": [...]}; docs/schema/report.json. */
int gv_intel_report(struct gv_intel_store *store,
		    const struct gv_intel_report_query *query, char **json_r,
		    const char **error_r);
/* Prints a report JSON document as a table. */
void gv_intel_report_print_table(const char *json, FILE *out);

/* ---- configuration (section `intel:` of geneva.yaml) ---- */

struct gv_intel_config {
	char *store; /* store uri; default sqlite:/var/lib/geneva/intel.db */
	bool store_configured; /* the file names intel.store (detectors other
				  than the scan record only then) */
	char *journal_dir; /* default /var/lib/geneva/journal */
	unsigned queue_size, batch_size, busy_timeout_ms;
	char **warninglists; /* paths */
	size_t n_warninglists;
};
/* Loads the intel section of path (NULL or missing file: defaults).
 * 1 ok, -1 error (*error_r names the problem). */
int gv_intel_config_load(const char *path, struct gv_intel_config **cfg_r,
			 const char **error_r);
void gv_intel_config_free(struct gv_intel_config **cfg);

#endif
