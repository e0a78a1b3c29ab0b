/* The media engine: one real-time thread carries the RTP/SRTP media of every port.
 *
 * Threads and who may call what:
 *  - the control side (the event loop, one thread) calls every media_* function below except
 *    the engine's own threads; commands travel on a lock-free SPSC queue and are applied by the
 *    media thread at its next wake (at most 10 ms later);
 *  - the media thread (SCHED_FIFO when the board allows it) wakes on an absolute grid: each
 *    channel has its own packet-size grid (10..60 ms) at its own phase, on 0.25 ms slots, so the
 *    sends of many channels spread over the period instead of bursting at one instant. Its
 *    packet path never allocates, locks, logs or touches files;
 *  - the recorder's writer thread (normal priority) owns every file write: temp file, fsync,
 *    rename. The media thread hands it 0.5 s blocks of samples from a preallocated pool.
 * Events (channel opened, DTMF, statistics, recording saved or failed) come back on SPSC queues;
 * media_event_fd() becomes readable when there are some, for the event loop's epoll.
 *
 * Keys: media_open() and media_start_tx() copy the key into the queue slot and wipe the
 * caller's copy; the media thread builds the SRTP context from the slot and wipes the slot (and
 * its own stack copy) before releasing it. After that the key exists only as libsrtp's session
 * keys. */
#ifndef VMPORT_MEDIA_H
#define VMPORT_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt/hal_rt.h"

#define MEDIA_PATH_MAX 256
#define MEDIA_KEY_MAX 32  /* AES-256 master key */
#define MEDIA_SALT_MAX 14 /* 112-bit master salt (AES-CM); GCM uses 12 */
#define MEDIA_DIGITS_MAX 16
#define MEDIA_PTIME_MIN 10
#define MEDIA_PTIME_MAX 60

enum media_codec {
	MEDIA_CODEC_PCMU, /* G.711 µ-law, RTP payload type 0 */
	MEDIA_CODEC_PCMA, /* G.711 A-law, RTP payload type 8 */
};

/* SRTP suites, numbered as SCCP's MediaEncryptionAlgorithmType (protocol.md §4.1, §4.5). */
enum media_crypto {
	MEDIA_CRYPTO_NONE = 0,                    /* plain RTP (nonsecure or authenticated mode) */
	MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_32 = 1, /* RTCP gets the 80-bit tag (RFC 4568) */
	MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_80 = 2,
	MEDIA_CRYPTO_AEAD_AES_128_GCM = 5, /* RFC 7714, 16-byte tag */
	MEDIA_CRYPTO_AEAD_AES_256_GCM = 6,
};

/* A master key and salt as SCCP's key block carries them. key_len/salt_len must be what the
 * suite needs (16/14 for AES-CM, 16/12 for AES-128-GCM, 32/12 for AES-256-GCM); anything else
 * is refused with MEDIA_ERR_CRYPTO. */
struct media_key {
	uint32_t algorithm; /* enum media_crypto */
	uint8_t key_len;
	uint8_t salt_len;
	uint8_t key[MEDIA_KEY_MAX];
	uint8_t salt[MEDIA_SALT_MAX];
};

/* Results: SCCP's mediaReceptionStatus values (protocol.md §4.2), so the port can echo them in
 * OpenReceiveChannelAck / StartMediaTransmissionAck. */
enum media_status {
	MEDIA_OK = 0,
	MEDIA_ERR_UNKNOWN = 1,
	MEDIA_ERR_NO_CHANNELS = 2,   /* channel index out of range or already open */
	MEDIA_ERR_INVALID_PARTY = 4, /* command for a channel that is not open */
	MEDIA_ERR_INVALID_CODEC = 6,
	MEDIA_ERR_INVALID_PACKET_SIZE = 7,
	MEDIA_ERR_OUT_OF_SOCKETS = 8, /* no free UDP port pair, or socket() failed */
	MEDIA_ERR_CRYPTO = 9,         /* suite not implemented, bad key length, libsrtp refused */
};
const char *media_status_name(int status);

/* ---- Engine ---- */

struct media_engine_config {
	unsigned max_channels; /* channel indexes 0..max_channels-1; all memory is sized from it */
	uint32_t bind_addr;    /* IPv4 to bind RTP/RTCP sockets to, network order (0 = any) */
	uint16_t port_min;     /* even RTP ports handed out when media_open asks for port 0 */
	uint16_t port_max;
	const char *rt_backend; /* "linux" or "null" (hal/rt) */
	struct hal_rt_policy rt;
	unsigned jitter_min_ms; /* adaptive jitter buffer target bounds */
	unsigned jitter_max_ms;
	unsigned rtcp_interval_ms; /* 5000 */
	/* Channels that share a 0.25 ms phase slot before new channels spread to the least loaded
	 * one: more per slot means fewer wake-ups (each has a fixed cost), fewer means less wait
	 * behind the other sends of the slot. Default 8; 0 or 1 spreads every channel. */
	unsigned slot_fill;
	const char *cname; /* RTCP SDES CNAME */
};
void media_engine_config_defaults(struct media_engine_config *cfg);

struct media_engine;

/* Allocate everything the engine will ever use and run the SRTP self-test (logged). Returns 0
 * or -errno; nothing runs yet. */
int media_engine_create(const struct media_engine_config *cfg, struct media_engine **out);
/* Start the media thread and the writer thread. 0 or -errno. */
int media_engine_start(struct media_engine *e);
/* Stop both threads. Open channels are closed as if by media_close (recordings in progress are
 * saved), their events stay pollable. */
void media_engine_stop(struct media_engine *e);
void media_engine_destroy(struct media_engine *e);

/* ---- Commands (control thread only). Each returns 0, -EAGAIN when the command queue is full
 * (retry after the next event-fd wake-up), or -EINVAL for a channel index out of range or an
 * argument no channel could take. Results arrive as events. A key passed in is wiped when the
 * call returns 0; on an error it is left to the caller, to retry with or to wipe. ---- */

struct media_open_req {
	uint16_t local_port;    /* even RTP port, RTCP on +1; 0: the engine picks from its range */
	uint16_t ptime_ms;      /* OpenReceiveChannel's millisecondPacketSize, 10..60 (multiple of 10) */
	enum media_codec codec; /* what the port expects; packets are decoded by their payload type */
	uint8_t dtmf_pt;        /* RFC 2833 payload type to decode (96..127); anything else: none */
	struct media_key key;   /* the Rx key: decrypts what the peer sends. Wiped by the call. */
};
/* OpenReceiveChannel: bind the sockets, build the inbound SRTP context (any SSRC), start the
 * jitter buffer. Event MEDIA_EV_OPENED carries the status and the local port. */
int media_open(struct media_engine *e, unsigned ch, struct media_open_req *req);

struct media_tx_req {
	uint32_t remote_addr; /* IPv4, network order */
	uint16_t remote_port; /* RTP; RTCP goes to +1 */
	uint16_t ptime_ms;    /* StartMediaTransmission's millisecondPacketSize; sets the channel's grid */
	uint8_t tos;          /* precedenceValue: an IP TOS byte (0xB8 = DSCP EF) */
	uint8_t dtmf_pt;      /* RFC 2833 payload type for media_send_digits (96..127); else 101 */
	enum media_codec codec;
	struct media_key key; /* the Tx key. Wiped by the call. */
};
/* StartMediaTransmission (channel must be open). Event MEDIA_EV_TX_STARTED. */
int media_start_tx(struct media_engine *e, unsigned ch, struct media_tx_req *req);
/* StopMediaTransmission: sends RTCP BYE, keeps receiving. */
int media_stop_tx(struct media_engine *e, unsigned ch);
/* CloseReceiveChannel: stops everything on the channel; a recording in progress is saved.
 * Event MEDIA_EV_CLOSED with the final statistics. */
int media_close(struct media_engine *e, unsigned ch);

/* Play a clip (8 kHz mono audio, see media_clip.h) on the channel's transmit side, looped or
 * once (MEDIA_EV_PLAY_DONE at the end). Replaces what was playing. The engine holds a reference
 * until the media thread has let go of the clip. */
struct media_clip;
int media_play(struct media_engine *e, unsigned ch, struct media_clip *clip, bool loop);
int media_stop_play(struct media_engine *e, unsigned ch);

/* Record what the channel receives (after the jitter buffer) to `path`, an 8 kHz mono 16-bit
 * WAV, written as a hidden temp file in the same directory, fsync'd and renamed into place at the
 * end (never over an existing file). max_ms 0 = until stopped or closed. Events
 * MEDIA_EV_RECORD_SAVED or MEDIA_EV_RECORD_FAILED (disk full, I/O error) name the path. */
int media_record(struct media_engine *e, unsigned ch, const char *path, uint32_t max_ms);
/* keep = false discards the recording (MEDIA_EV_RECORD_DISCARDED). */
int media_stop_record(struct media_engine *e, unsigned ch, bool keep);

/* Send DTMF digits as RFC 2833 telephone events (100 ms each, 50 ms apart) on a transmitting
 * channel; audio pauses meanwhile. MEDIA_EV_DIGITS_SENT when done. */
int media_send_digits(struct media_engine *e, unsigned ch, const char *digits);
/* MEDIA_EV_STATS with the channel's counters; clear = reset them afterwards. */
int media_request_stats(struct media_engine *e, unsigned ch, bool clear);

/* ---- Call monitor: one channel's call, both directions mixed, on the board's codec output ----
 *
 * The device is a hal/audio playback instance the caller opened (control thread) and attaches
 * before media_engine_start; it stays the caller's, to close after media_engine_stop. The media
 * thread writes each period of the monitored channel (what it received after the jitter buffer
 * plus what it sent) without waiting (hal_audio_write never blocks), starts the device when the
 * channel's audio begins and stops it when the channel closes, so an idle monitor neither
 * underruns nor counts. The channel stays selected across calls until another is chosen. */
struct hal_audio;
/* 0, or -EBUSY once the engine runs. */
int media_monitor_attach(struct media_engine *e, struct hal_audio *dev);
/* Listen to channel `ch`, or to none with -1. -ENODEV without a device, -EINVAL out of range,
 * -EAGAIN when the command queue is full. */
int media_monitor(struct media_engine *e, int ch);

struct media_monitor_status {
	bool attached;
	int ch;       /* as last asked with media_monitor (applied at the next wake); -1: none */
	bool playing; /* the device runs: the channel has audio */
	uint64_t frames_written;
	uint64_t frames_dropped; /* found no room in the device buffer */
	uint32_t underruns;
	uint32_t errors;
};
/* The selection as asked; counters as the media thread last published them (relaxed reads). */
void media_monitor_status(const struct media_engine *e, struct media_monitor_status *out);

/* ---- Events ---- */

struct media_stats {
	uint64_t tx_packets;
	uint64_t tx_octets; /* RTP payload octets, as RTCP and SCCP count them */
	uint64_t rx_packets;
	uint64_t rx_octets;
	uint32_t auth_failures; /* SRTP/SRTCP authentication failed: dropped */
	uint32_t replay_drops;  /* SRTP replay check failed: dropped */
	uint32_t late;          /* arrived after their playout time: dropped */
	uint32_t lost;          /* frames never received by their playout time: concealed */
	uint32_t duplicates;
	uint32_t concealed; /* frames played as concealment */
	uint32_t malformed; /* not RTP, unknown payload type, wrong frame size */
	uint32_t send_errors;
	uint32_t tx_skipped; /* frames not sent because the thread fell a whole period behind */
	uint32_t dtmf_rx;
	uint32_t rtcp_tx;
	uint32_t rtcp_rx;
	uint32_t jitter_ms;       /* interarrival jitter (RFC 3550 A.8) */
	uint32_t jitter_depth_ms; /* current playout delay */
	int32_t rtt_ms;           /* from the peer's RTCP report blocks; -1 unknown */
	uint32_t rec_dropped_ms;  /* recording audio dropped because the writer fell behind */
};

enum media_event_type {
	MEDIA_EV_OPENED,           /* u.opened */
	MEDIA_EV_TX_STARTED,       /* u.status */
	MEDIA_EV_TX_STOPPED,       /* u.status */
	MEDIA_EV_CLOSED,           /* u.stats: final counters */
	MEDIA_EV_STATS,            /* u.stats */
	MEDIA_EV_DTMF,             /* u.dtmf */
	MEDIA_EV_DIGITS_SENT,      /* u.status */
	MEDIA_EV_PLAY_DONE,        /* u.status: a clip played once reached its end */
	MEDIA_EV_RECORD_STARTED,   /* u.rec (path) */
	MEDIA_EV_RECORD_SAVED,     /* u.rec */
	MEDIA_EV_RECORD_FAILED,    /* u.rec: err and reason say why; the temp file is removed */
	MEDIA_EV_RECORD_DISCARDED, /* u.rec */
	MEDIA_EV_REJECTED,         /* u.status: a command for this channel could not be applied */
	MEDIA_EV_MONITOR_FAILED,   /* u.monitor: the device failed; monitoring stopped */
};
const char *media_event_name(int type);

struct media_event {
	uint16_t type; /* enum media_event_type */
	uint16_t cmd;  /* MEDIA_EV_REJECTED: the command's type (internal numbering, for logs) */
	uint32_t ch;
	union {
		int status; /* enum media_status */
		struct {
			int status;
			uint16_t local_port;
		} opened;
		struct media_stats stats;
		struct {
			char digit;
			uint32_t duration_ms;
			bool end_seen;
		} dtmf;
		struct {
			char path[MEDIA_PATH_MAX];
			uint32_t duration_ms;
			uint32_t dropped_ms;
			int err;         /* errno for RECORD_FAILED */
			char reason[80]; /* strerror(err), e.g. "No space left on device" */
		} rec;
		struct {
			int err;         /* -errno from the device */
			char error[256]; /* the device's own words (hal_audio.error, same size) */
		} monitor;
	} u;
};

/* Take the next event: 1 and *ev filled, or 0 when there is none. */
int media_poll_event(struct media_engine *e, struct media_event *ev);
/* An eventfd that becomes readable when events are waiting (read it to re-arm), for epoll. */
int media_event_fd(const struct media_engine *e);

/* ---- Measurement (benchmarks, `vmport status`) ---- */

/* Engine-wide totals, published by the media thread once per wake (relaxed reads). */
struct media_totals {
	uint64_t wakes;
	uint64_t tx_packets;
	uint64_t rx_packets;
	uint64_t auth_failures;
	uint64_t replay_drops;
	uint64_t late;
	uint64_t lost;
	uint64_t send_errors;
	uint64_t tx_skipped;
	uint64_t events_dropped;
	uint32_t channels_open;
};
void media_engine_totals(const struct media_engine *e, struct media_totals *out);

/* CPU time the media thread has used so far (ns); 0 before start. */
uint64_t media_engine_thread_cpu_ns(const struct media_engine *e);
/* The media thread's kernel thread id, for per-thread readings from outside (/proc/self/task,
 * perf_event_open); 0 until the thread has started running. */
int media_engine_thread_tid(const struct media_engine *e);

#endif
