/* Internal to firmware/labcm: the server's parts share these structures.
 *
 *   labcm.c          life cycle, listeners, signals
 *   labcm_conn.c     one SCCP connection: bytes ↔ cm_device, TLS, timers, close
 *   labcm_dir.c      the device directory (name and DN hash tables) and the lamp table
 *   labcm_call.c     the test caller
 *   labcm_control.c  control socket requests
 *   labcm_pki.c      the CallManager certificate, the SAST and the signed CTL
 *   labcm_tftp.c     the read-only TFTP server for the CTL
 *
 * Memory: everything is allocated at start from the configuration (connections, directory,
 * lamps, calls); nothing is allocated per message or per connection. */
#ifndef VMPORT_LABCM_INTERNAL_H
#define VMPORT_LABCM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/control.h"
#include "labcm/labcm.h"
#include "loop/loop.h"
#include "sccp/cm_device.h"
#include "sccp/sccp_stream.h"

#define LABCM_TX_BUF 8192
#define LABCM_MAX_CALLS 64
#define LABCM_MAX_LAMPS 4096
#define LABCM_TEST_CALL_REF 0x80000000u /* test calls: this | sequence; devices' own calls are below */

struct labcm;
struct labcm_conn;
struct labcm_tftp;
struct tls_conn;
struct media_clip;
struct media_engine;
struct media_event;

/* A provisioned device. */
struct labcm_device {
	struct labcm_device_def def;
	struct labcm_conn *conn; /* the connection it is registered on, or NULL */
	bool reserved;           /* a test call will ring it once its media channel is open */
	uint32_t registrations;
	uint32_t calls; /* test calls answered */
	uint64_t registered_unix_ms;
	char last_event[64]; /* why it last unregistered or was refused, for status */
};

struct labcm_conn {
	struct vm_fd h; /* first: the loop hands &h back */
	struct vm_timer timer;
	struct labcm *lab;
	uint32_t index;
	bool in_use;
	bool tls_port;       /* accepted on the TLS listener */
	bool handshaking;    /* TLS handshake not finished: no SCCP yet */
	bool want_write;     /* EPOLLOUT armed */
	size_t tls_inflight; /* bytes of tx a TLS write took but has not finished: retried as they were */
	struct tls_conn *tls;
	char peer[48]; /* "ip:port" */
	uint64_t accepted_ms;
	struct labcm_device *dev; /* set between REGISTERED and UNREGISTERED */
	struct labcm_conn *next_free;
	struct cm_device cm;
	struct sccp_stream rx;
	size_t tx_len;
	uint8_t tx[LABCM_TX_BUF];
};

enum labcm_call_state {
	LABCM_CALL_FREE,
	LABCM_CALL_OPENING, /* the caller's media channel is being opened; the port not rung yet */
	LABCM_CALL_RINGING,
	LABCM_CALL_ANSWERED,
	LABCM_CALL_CLOSING, /* over at SCCP; the media channel closes and reports its counters */
	LABCM_CALL_ENDED,   /* result kept until read (callinfo) or the slot is needed */
};

struct labcm_call {
	enum labcm_call_state state;
	uint32_t id; /* = the SCCP call reference */
	uint32_t device_index;
	char device_name[SCCP_DEVICE_NAME_LEN];
	char from[LABCM_NUMBER_MAX + 1];
	char to[LABCM_NUMBER_MAX + 1];
	bool forwarded;
	bool encrypted;
	unsigned seconds; /* the caller hangs up this long after the answer */
	char play[LABCM_PATH_MAX];
	char record[LABCM_PATH_MAX];
	uint16_t caller_port; /* our RTP port for this call */
	uint8_t device_ip[4];
	uint16_t device_port;
	uint64_t offered_ms, answered_ms, ended_ms;
	enum cm_call_end end_reason;
	uint64_t tx_packets, rx_packets;
	uint32_t auth_failures;
	bool result_read;
	struct vm_timer timer; /* hang-up after `seconds`; while CLOSING, the media's deadline */
	struct labcm *lab;
	/* Media (when the engine runs): channel = the call's slot index. */
	bool media_open;     /* media_open() sent, MEDIA_EV_CLOSED not yet seen */
	bool record_pending; /* media_record() sent, no saved/failed event yet */
	struct media_clip *clip;
	/* The two SRTP master keys (§4.5), each wiped once handed over: key_from_device went to the
	 * caller's receive side at once; key_to_device waits for StartMediaTransmission's peer. */
	struct sccp_key_info key_to_device, key_from_device;
	bool srtp;
	char record_result[LABCM_PATH_MAX + 64];
};

struct labcm_lamp {
	char ext[LABCM_NUMBER_MAX + 1];
	bool on;
	uint32_t changes;
	uint64_t changed_unix_ms;
};

struct labcm_stats {
	uint64_t accepted;
	uint64_t refused; /* no free connection slot */
	uint64_t registrations;
	uint64_t rejects;
	uint64_t keepalive_timeouts;
	uint64_t protocol_errors;
};

struct labcm {
	struct labcm_config cfg;
	struct vm_loop loop;
	struct vm_fd sccp_listen, tls_listen, signal_fd;
	struct vm_control control;
	bool control_open;
	char control_path[LABCM_PATH_MAX];
	uint32_t listen_addr; /* network order */

	struct cm_device_config cm_cfg; /* template for every connection */
	struct cm_device_output out;    /* shared: one connection is handled at a time */

	struct labcm_conn *conns;
	size_t n_conns;
	struct labcm_conn *free_head, *free_tail; /* FIFO: a freed slot is reused last */
	size_t conns_in_use;

	struct labcm_device *devices;
	size_t n_devices;
	uint32_t *name_slots; /* open addressing: device index + 1, 0 = empty */
	uint32_t *dn_slots;
	size_t slot_mask;
	size_t registered;

	struct labcm_lamp *lamps;
	size_t n_lamps;
	uint32_t *lamp_slots;
	size_t lamp_mask;

	struct labcm_call calls[LABCM_MAX_CALLS];
	uint32_t call_seq;
	size_t next_port_hint; /* round robin over devices for forwarded calls */
	uint16_t next_rtp_port;

	struct media_engine *media; /* the test caller's RTP/SRTP; NULL: signalling only */
	struct vm_fd media_fd;
	struct tls_ctx *tls_ctx; /* NULL: no TLS listener */
	struct labcm_tftp *tftp; /* NULL: no TFTP server */
	bool stopping;           /* shutting down: one summary line instead of one per device */
	struct labcm_stats stats;
};

/* labcm_dir.c */
int labcm_dir_init(struct labcm *lab, char *err, size_t cap);
void labcm_dir_free(struct labcm *lab);
struct labcm_device *labcm_dir_by_name(struct labcm *lab, const char *name);
struct labcm_device *labcm_dir_by_dn(struct labcm *lab, const char *dn);
enum cm_lookup_result labcm_dir_lookup(void *ctx, const char *name, struct cm_provision *out);
/* Set an extension's lamp; returns the entry (NULL when the table is full). */
struct labcm_lamp *labcm_lamp_set(struct labcm *lab, const char *ext, bool on, uint64_t unix_ms);
const struct labcm_lamp *labcm_lamp_get(struct labcm *lab, const char *ext);

/* labcm_conn.c */
void labcm_conn_accept(struct labcm *lab, int fd, bool tls_port, const char *peer);
/* Feed one event to a connection's device and carry out the output. */
void labcm_conn_event(struct labcm_conn *c, const struct cm_device_event *ev);
void labcm_conn_close_all(struct labcm *lab);
uint64_t labcm_unix_ms(void);

/* labcm_call.c */
/* Place a test call; returns the call or NULL with the reason in err. */
struct labcm_call *labcm_call_place(struct labcm *lab, const char *from, const char *to, bool forwarded,
                                    unsigned seconds, const char *play, const char *record, char *err,
                                    size_t cap);
struct labcm_call *labcm_call_find(struct labcm *lab, uint32_t id);
void labcm_call_hangup(struct labcm *lab, struct labcm_call *call);
/* From the device's actions. */
void labcm_call_on_answered(struct labcm *lab, uint32_t call_ref);
void labcm_call_on_media(struct labcm *lab, uint32_t call_ref, const uint8_t ip[4], uint16_t port,
                         bool encrypted);
void labcm_call_on_ended(struct labcm *lab, uint32_t call_ref, enum cm_call_end reason);
void labcm_call_on_media_event(struct labcm *lab, const struct media_event *ev);
int labcm_call_media_open(struct labcm *lab, char *err, size_t cap);
void labcm_call_media_close(struct labcm *lab);
const char *labcm_call_state_name(enum labcm_call_state s);
size_t labcm_calls_up(const struct labcm *lab);

/* labcm_pki.c: CallManager certificate, SAST, signed CTL in <state_dir>/tftp/ */
int labcm_pki_ensure(struct labcm *lab, char *err, size_t cap);
int labcm_pki_paths(const struct labcm *lab, char *cert, char *key, size_t cap);

/* labcm_tftp.c */
int labcm_tftp_open(struct labcm *lab, char *err, size_t cap);
void labcm_tftp_close(struct labcm *lab);
void labcm_tftp_stats(const struct labcm *lab, uint64_t *served, uint64_t *not_found, uint64_t *failed);

/* labcm_control.c */
int labcm_control_handler(void *arg, struct vm_control *ctl, int argc, char **argv);

#endif
