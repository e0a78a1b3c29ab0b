/* Inside the media engine: the channel and engine records, the command slots, and the functions
 * media_engine.c (thread, grid, commands) and media_channel.c (packet path) share. Tests include
 * it to inspect the command queue's memory. */
#ifndef VMPORT_MEDIA_INTERNAL_H
#define VMPORT_MEDIA_INTERNAL_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "media.h"
#include "media_clip.h"
#include "media_hist.h"
#include "media_recorder.h"
#include "media_srtp.h"
#include "rtp/jitter.h"
#include "rtp/rfc2833.h"
#include "rtp/rtcp.h"
#include "spsc.h"

/* The grid: channels are due on 0.25 ms slots; a wheel of 256 slots (64 ms) holds every period
 * up to 60 ms. */
#define MEDIA_SLOT_NS 250000ull
#define MEDIA_WHEEL 256u
/* Default for media_engine_config.slot_fill. */
#define MEDIA_SLOT_FILL 8u
/* With nothing due, the thread still looks at its command queue every 10 ms. */
#define MEDIA_IDLE_SLOTS 40u
/* A channel this many periods behind skips ahead instead of sending a burst. */
#define MEDIA_MAX_BEHIND 3u
/* Command handling per wake: bounded so call set-up cannot delay the next slot's sends much. */
#define MEDIA_CMD_BUDGET_NS 200000ull
#define MEDIA_CMD_BUDGET 32u
/* Longest the thread works through the grid before it looks at commands and its stop flag. */
#define MEDIA_GRID_BUDGET_NS 20000000ull
#define MEDIA_PKT_MAX 1500u
#define MEDIA_FRAME_MAX (MEDIA_PTIME_MAX * 8u)
/* RTCP sockets are polled (one epoll_wait for all) this often: the error it adds to the
 * round-trip time the peer computes from our DLSR. */
#define MEDIA_RTCP_POLL_NS 5000000ull
#define MEDIA_DTMF_EVENT_MS 100u
#define MEDIA_DTMF_GAP_MS 50u

enum media_cmd_type {
	MEDIA_CMD_OPEN = 1,
	MEDIA_CMD_START_TX,
	MEDIA_CMD_STOP_TX,
	MEDIA_CMD_CLOSE,
	MEDIA_CMD_PLAY,
	MEDIA_CMD_STOP_PLAY,
	MEDIA_CMD_RECORD,
	MEDIA_CMD_STOP_RECORD,
	MEDIA_CMD_DIGITS,
	MEDIA_CMD_STATS,
	MEDIA_CMD_MONITOR, /* u.monitor_ch: the channel to listen to, -1 none */
};

/* One command slot. Key material crosses only inside open.key / tx.key; the media thread wipes
 * the whole slot after applying it. */
struct media_cmd {
	uint16_t type;
	uint32_t ch;
	union {
		struct media_open_req open;
		struct media_tx_req tx;
		struct {
			struct media_clip *clip;
			bool loop;
		} play;
		struct {
			char path[MEDIA_PATH_MAX];
			uint32_t max_ms;
		} record;
		bool keep;
		char digits[MEDIA_DIGITS_MAX + 1];
		bool clear;
		int32_t monitor_ch;
	} u;
};

enum media_ch_state { MEDIA_CH_CLOSED, MEDIA_CH_OPEN };

struct media_channel {
	/* ---- grid ---- */
	struct media_channel *next; /* in its wheel bucket */
	uint64_t due_slot;          /* absolute slot of the next service */
	uint32_t period_slots;
	uint32_t index;
	uint8_t state;
	bool tx_on;
	bool rx_pending;               /* queued for receive work */
	struct media_channel *rx_next; /* in the engine's receive queue */
	uint64_t rx_slot;              /* the slot whose send queued it */

	int fd_rtp;
	int fd_rtcp;
	uint16_t local_port;
	uint16_t ptime_ms;
	uint16_t frame_samples;

	/* ---- receive ---- */
	struct media_srtp srtp_rx;
	uint8_t rx_dtmf_pt;
	bool have_src;
	struct rtp_source_stats src;
	struct jitter_buffer jb;
	int16_t *jb_storage;
	struct rfc2833_decoder dtmf;
	uint32_t dtmf_idle_ticks;       /* services since the last telephone-event packet */
	struct jitter_counters jc_seen; /* jitter counters already added to the engine totals */

	/* ---- transmit ---- */
	struct media_srtp srtp_tx;
	struct sockaddr_in remote;
	struct sockaddr_in remote_rtcp;
	enum media_codec tx_codec;
	uint8_t tx_pt;
	uint8_t tx_dtmf_pt;
	bool marker_next;
	uint32_t ssrc;
	uint16_t seq;
	uint32_t ts;
	uint32_t sr_packets; /* for the RTCP sender report */
	uint32_t sr_octets;

	/* player */
	const struct media_clip *clip;
	size_t clip_pos;
	bool clip_loop;

	/* RFC 2833 sender */
	char digits[MEDIA_DIGITS_MAX + 1];
	uint8_t n_digits;
	uint8_t digit_idx;
	bool dtmf_active;
	uint16_t dtmf_tick; /* ticks into the current digit: event, end repeats, gap */
	uint32_t dtmf_ts;   /* RTP timestamp of the event being sent */

	/* recorder (media-thread side) */
	bool rec_active;
	struct media_rec_block *rec_block;
	uint32_t rec_fill;
	uint64_t rec_samples;
	uint64_t rec_max_samples; /* 0 = unlimited */
	uint64_t rec_dropped;     /* samples */

	/* RTCP */
	uint64_t rtcp_due_slot;
	bool bye_pending;

	struct media_stats st;
};

/* Totals the media thread publishes once per wake for other threads to read. */
struct media_totals_pub {
	atomic_uint_fast64_t wakes, tx_packets, rx_packets, auth_failures, replay_drops, late, lost,
	    send_errors, tx_skipped, events_dropped;
	atomic_uint channels_open;
};

/* The call monitor (media_monitor.c). */
struct media_monitor {
	struct hal_audio *dev; /* attached before start; NULL: no monitor */
	/* media thread */
	int32_t ch;    /* the channel listened to, -1 none */
	bool tx_valid; /* tx holds what the channel sent since its last receive pass */
	uint16_t tx_len;
	int16_t tx[MEDIA_FRAME_MAX];
	int16_t mix[MEDIA_FRAME_MAX];
	/* control thread: the channel asked for (media_monitor), which the media thread applies at
	 * its next wake; back to -1 when a MEDIA_EV_MONITOR_FAILED is polled */
	int32_t ctl_ch;
	/* published */
	atomic_bool pub_playing;
	atomic_uint_fast64_t pub_written, pub_dropped;
	atomic_uint pub_underruns, pub_errors;
};

struct media_retire {
	struct media_clip *clip;
	size_t seq; /* the command after whose processing the media thread no longer uses it */
};

struct media_engine {
	struct media_engine_config cfg;
	char cname[64];
	const struct hal_rt_ops *rt_ops;

	struct media_channel *ch;
	int16_t *jitter_mem;
	size_t jitter_samples_per_ch;

	struct spsc cmdq; /* control -> media */
	void *cmdq_mem;
	struct spsc evq; /* media -> control */
	void *evq_mem;
	int event_fd;
	struct media_recorder *rec;

	pthread_t thread;
	bool running;
	atomic_bool stop;
	clockid_t thread_clock;
	bool have_thread_clock;
	atomic_int tid; /* the media thread's, set by itself at start-up; 0 before */

	/* ---- media thread only ---- */
	struct media_channel *bucket[MEDIA_WHEEL];
	uint32_t bucket_load[MEDIA_WHEEL];
	uint64_t t0_ns;
	uint64_t next_slot;                      /* the first slot not yet sent */
	struct media_channel *rx_head, *rx_tail; /* receive work queued by sends, oldest first */
	uint16_t port_cursor;
	int rtcp_epfd;
	uint64_t rtcp_poll_ns;
	bool events_pushed;
	struct media_totals local;     /* plain counters, published to `pub` once per wake */
	uint8_t rx_buf[MEDIA_PKT_MAX]; /* one received datagram at a time, RTP or RTCP */
	uint8_t tx_buf[MEDIA_PKT_MAX];
	int16_t pcm[MEDIA_FRAME_MAX];
	int16_t ulaw_table[256];
	int16_t alaw_table[256];
	struct media_hist send_hist; /* due time -> sendto, per packet */
	struct media_hist wake_hist; /* deadline -> wake-up, per wake with work due */
	atomic_bool timing_reset;

	/* ---- published ---- */
	struct media_totals_pub pub;
	struct media_monitor mon;

	/* ---- control thread only ---- */
	struct media_clip **ctl_clip;
	struct media_retire *retire;
	size_t retire_cap, retire_head, retire_tail;
};

/* media_channel.c */
int media_channel_open(struct media_engine *e, struct media_channel *c, struct media_open_req *req);
int media_channel_start_tx(struct media_engine *e, struct media_channel *c, struct media_tx_req *req);
void media_channel_stop_tx(struct media_engine *e, struct media_channel *c);
void media_channel_close(struct media_engine *e, struct media_channel *c);
void media_channel_record(struct media_engine *e, struct media_channel *c, const char *path, uint32_t max_ms);
void media_channel_stop_record(struct media_engine *e, struct media_channel *c, bool keep);
void media_channel_fill_stats(struct media_channel *c, struct media_stats *out);
void media_channel_clear_stats(struct media_channel *c);
/* The packet path: the send (time-critical), then later the receive work: receive, play out,
 * record, RTCP. */
void media_channel_tx(struct media_engine *e, struct media_channel *c, uint64_t due_ns);
void media_channel_rx(struct media_engine *e, struct media_channel *c, uint64_t now_ns, uint64_t slot);
void media_channel_rtcp_input(struct media_engine *e, struct media_channel *c, uint64_t now_ns);

/* media_monitor.c (media thread): hooks on the packet path of the monitored channel only */
void media_monitor_select(struct media_engine *e, int32_t ch);
void media_monitor_tx(struct media_engine *e, const struct media_channel *c, const uint8_t *payload, size_t n,
                      bool audio);
void media_monitor_rx(struct media_engine *e, const struct media_channel *c, const int16_t *pcm, size_t n);
void media_monitor_channel_closed(struct media_engine *e, const struct media_channel *c);
void media_monitor_quiet(struct media_engine *e);

/* media_engine.c */
struct media_event *media_event_push(struct media_engine *e, int type, uint32_t ch);
void media_event_commit(struct media_engine *e);
/* Set the channel's period (packet size) and put it on the grid at the least loaded phase. */
void media_grid_place(struct media_engine *e, struct media_channel *c, uint16_t ptime_ms);
void media_grid_remove(struct media_engine *e, struct media_channel *c);
uint64_t media_engine_slot_ns(const struct media_engine *e, uint64_t slot);
/* Jitter-buffer capacity in frames for a packet size (a power of two). */
unsigned media_jitter_capacity(const struct media_engine_config *cfg, unsigned ptime_ms);

/* Tests: the command queue's storage, to check that no key bytes remain in it. */
const void *media_engine_cmd_storage(const struct media_engine *e, size_t *len);
#endif
