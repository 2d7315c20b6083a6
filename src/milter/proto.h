/* Internal to src/milter: the milter wire protocol (version 6, as Postfix
 * and Sendmail speak it) as our own server implements it (server.c), and
 * the context the callbacks (callbacks.c) answer through. Replaces
 * libmilter, which needed 3-4 system calls per protocol packet (measured:
 * bench/milter.sh, docs/milter.md). */
#ifndef GV_MILTER_PROTO_H
#define GV_MILTER_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* commands, MTA -> filter (a packet: u32 length incl. the command byte,
 * network order; the command; its data) */
#define GV_MC_OPTNEG 'O'
#define GV_MC_MACRO 'D'
#define GV_MC_CONNECT 'C'
#define GV_MC_HELO 'H'
#define GV_MC_MAIL 'M'
#define GV_MC_RCPT 'R'
#define GV_MC_DATA 'T'
#define GV_MC_HEADER 'L'
#define GV_MC_EOH 'N'
#define GV_MC_BODY 'B'
#define GV_MC_EOM 'E'
#define GV_MC_ABORT 'A'
#define GV_MC_QUIT 'Q'
#define GV_MC_QUIT_NC 'K'
#define GV_MC_UNKNOWN 'U'
/* replies, filter -> MTA */
#define GV_MR_CONTINUE 'c'
#define GV_MR_ACCEPT 'a'
#define GV_MR_DISCARD 'd'
#define GV_MR_REJECT 'r'
#define GV_MR_TEMPFAIL 't'
#define GV_MR_REPLYCODE 'y'
#define GV_MR_ADDHEADER 'h'
#define GV_MR_CHGHEADER 'm'
#define GV_MR_QUARANTINE 'q'
/* actions (negotiation) */
#define GV_MA_ADDHDRS 0x01u
#define GV_MA_CHGHDRS 0x10u
#define GV_MA_QUARANTINE 0x20u
/* protocol steps (negotiation) */
#define GV_MP_NR_HDR 0x80u
#define GV_MP_NOUNKNOWN 0x100u
#define GV_MP_NODATA 0x200u
#define GV_MP_NR_CONN 0x1000u
#define GV_MP_NR_HELO 0x2000u
#define GV_MP_NR_MAIL 0x4000u
#define GV_MP_NR_RCPT 0x8000u
#define GV_MP_NR_DATA 0x10000u
#define GV_MP_NR_UNKN 0x20000u
#define GV_MP_NR_EOH 0x40000u
#define GV_MP_NR_BODY 0x80000u
#define GV_MP_HDR_LEADSPC 0x100000u

/* Largest packet accepted: Postfix sends body chunks of 64 KiB and header
 * fields up to header_size_limit (100 KiB by default). A bigger packet is
 * a protocol error: the connection is closed (the MTA then applies its
 * milter_default_action). */
#define GV_MILTER_MAX_PACKET (4u << 20)

/* Splits the next packet off buf. Returns the bytes it takes (> 0) with
 * *cmd_r, *data_r, *len_r; 0 = incomplete; -1 = bad length. */
long gv_milter_packet(const unsigned char *buf, size_t len, char *cmd_r,
		      const unsigned char **data_r, size_t *len_r);

/* How a callback answers a step. */
enum gv_mstat { GV_M_CONTINUE, GV_M_NOREPLY, GV_M_ACCEPT, GV_M_DISCARD,
		GV_M_REJECT, GV_M_TEMPFAIL };

/* One MTA connection, as the callbacks see it. */
struct gv_mctx {
	int fd;
	bool tcp;              /* ACK every read at once (see fill) */
	void *priv;            /* the callbacks' session */
	char qid[64];          /* macro "i" (Postfix's queue id), "" = unknown */
	char *reply;           /* "451 4.7.1 text" for the next reject/tempfail */
	struct gv_buf out;     /* replies not written yet */
	unsigned char *in;     /* bytes read, not parsed yet */
	size_t in_pos, in_len, in_cap;
};
/* The reply text for the step's reject/tempfail. 0 ok, -1 bad input. */
int gv_mctx_setreply(struct gv_mctx *c, const char *code, const char *xcode,
		     const char *text);
/* Header changes and quarantine, at end of message only. 0 ok, -1 error. */
int gv_mctx_addheader(struct gv_mctx *c, const char *name, const char *value);
/* value NULL deletes the idx-th (1-based) field of that name */
int gv_mctx_chgheader(struct gv_mctx *c, const char *name, unsigned idx,
		      const char *value);
int gv_mctx_quarantine(struct gv_mctx *c, const char *reason);

/* The callbacks (callbacks.c), called by the server in protocol order. */
void gv_milter_cb_negotiate(struct gv_mctx *c, uint32_t actions, uint32_t proto,
			    uint32_t *actions_r, uint32_t *proto_r);
enum gv_mstat gv_milter_cb_connect(struct gv_mctx *c, const char *ip);
enum gv_mstat gv_milter_cb_helo(struct gv_mctx *c, const char *helo);
enum gv_mstat gv_milter_cb_envfrom(struct gv_mctx *c, const char *arg);
enum gv_mstat gv_milter_cb_envrcpt(struct gv_mctx *c, const char *arg);
enum gv_mstat gv_milter_cb_header(struct gv_mctx *c, const char *name, const char *value);
enum gv_mstat gv_milter_cb_eoh(struct gv_mctx *c);
enum gv_mstat gv_milter_cb_body(struct gv_mctx *c, const unsigned char *p, size_t len);
enum gv_mstat gv_milter_cb_eom(struct gv_mctx *c);
void gv_milter_cb_abort(struct gv_mctx *c);
void gv_milter_cb_close(struct gv_mctx *c);

/* The server (server.c). Opens the listening socket for spec
 * (inet:PORT@HOST, inet6:PORT@HOST, unix:/path, local:/path), retrying
 * while a previous worker still holds it. Returns the fd or -1 with
 * *error_r. */
int gv_milter_listen(const char *spec, const char **error_r);
/* Accepts connections (a thread each, I/O timeout timeout_s) until
 * SIGTERM or SIGINT, which must be blocked in every thread. */
void gv_milter_serve(int listen_fd, unsigned timeout_s);

#endif
