/* Adaptive jitter buffer for one received audio stream: packets in by RTP sequence number,
 * one frame out per media tick.
 *
 * It holds decoded linear frames (so it can conceal by attenuating) of a fixed size, in storage
 * the caller provides at init: nothing is allocated. Behaviour, in the order a packet meets it:
 *  - insert: placed by sequence number modulo 2^16. A duplicate or a packet whose turn has
 *    passed (late) is dropped and counted. One so far ahead that it does not fit drops the
 *    oldest frames (overflow) to keep the delay bounded. A jump of thousands of sequence numbers
 *    is ignored unless the next packet follows it, which restarts the buffer (the sender
 *    restarted its numbering, as RFC 3550 A.1 assumes).
 *  - pop, every tick: plays the next frame. A missing frame (lost) is concealed once by
 *    repeating the last frame at half amplitude; further missing frames are silence.
 *  - adaptation: the target depth follows the interarrival jitter (RFC 3550 A.8) between the
 *    configured minimum and maximum. The delay grows by waiting: when the buffer runs dry, or
 *    the next frame is missing while the depth is below target, playout pauses (concealment,
 *    then silence) until the depth reaches the target, so a frame that is only late still
 *    plays. It shrinks by skipping one frame after the depth has stayed above target + 1 for
 *    JITTER_SHRINK_TICKS ticks.
 * Times are arguments: arrival times in RTP timestamp units, as for rtp_jitter_update(). */
#ifndef VMPORT_JITTER_H
#define VMPORT_JITTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtp.h"

#define JITTER_MAX_CAPACITY 64 /* frames; 1.28 s of 20 ms frames */
/* Ticks the depth must stay above target + 1 before one frame is skipped (0.5 s at 20 ms). */
#define JITTER_SHRINK_TICKS 25
/* Sequence distance beyond which a packet is a stray or a restart, not loss (RFC 3550 A.1's
 * MAX_DROPOUT). */
#define JITTER_JUMP 3000

struct jitter_config {
	uint16_t frame_samples; /* samples per frame: 160 for 20 ms at 8 kHz */
	uint16_t capacity;      /* frames held; a power of two, 2..JITTER_MAX_CAPACITY */
	uint16_t min_depth;     /* target depth bounds in frames: 1 <= min <= max <= capacity */
	uint16_t max_depth;
};

/* Storage jitter_init needs, in int16_t samples: every slot plus the last played frame. */
#define JITTER_STORAGE_SAMPLES(capacity, frame_samples) (((size_t)(capacity) + 1) * (size_t)(frame_samples))

enum jitter_insert_result {
	JITTER_STORED,    /* held for playout (possibly after dropping old frames: overflow) */
	JITTER_DUPLICATE, /* the same sequence number is already held */
	JITTER_LATE,      /* its turn to play has passed */
	JITTER_STRAY,     /* far outside the window; kept as the candidate for a restart */
	JITTER_RESYNCED,  /* it confirmed a restart: the buffer now starts again from it */
};

enum jitter_frame {
	JITTER_AUDIO,     /* a received frame */
	JITTER_CONCEALED, /* the previous frame repeated at half amplitude */
	JITTER_SILENCE,   /* zeros: nothing to play or conceal */
};

struct jitter_counters {
	uint32_t played;    /* received frames played */
	uint32_t late;      /* packets dropped because their turn had passed */
	uint32_t lost;      /* frames never received by their turn */
	uint32_t duplicate; /* packets dropped as duplicates */
	uint32_t concealed; /* concealment frames played */
	uint32_t overflow;  /* held frames dropped to make room for newer ones */
	uint32_t underruns; /* times the buffer ran dry while playing */
	uint32_t waited;    /* ticks playout paused to let the buffer refill (delay added) */
	uint32_t shrunk;    /* received frames skipped to bring the depth down to target */
	uint32_t strays;    /* packets dropped for a sequence jump */
	uint32_t resyncs;   /* restarts after a confirmed jump */
	uint32_t flushed;   /* held frames discarded by a restart or jitter_reset() */
};

enum jitter_state {
	JITTER_IDLE,      /* no packet since init or reset */
	JITTER_BUFFERING, /* filling up to the target depth */
	JITTER_PLAYING,
};

struct jitter_buffer {
	struct jitter_config cfg;
	int16_t *frames;     /* capacity frames, slot i at frames + i * frame_samples */
	int16_t *last_frame; /* copy of the last frame played, for concealment */
	uint16_t slot_seq[JITTER_MAX_CAPACITY];
	bool slot_full[JITTER_MAX_CAPACITY];
	enum jitter_state state;
	bool can_rewind;      /* nothing played since (re)start: an earlier packet may still lead */
	uint16_t next_seq;    /* the frame the next tick plays */
	uint16_t highest_seq; /* the newest frame held (valid when count > 0) */
	uint16_t count;       /* frames held */
	uint16_t target;      /* target depth, frames */
	uint16_t over_target_ticks;
	enum jitter_frame last_output;
	bool have_stray;
	uint16_t stray_next; /* the sequence number that would confirm a jump */
	struct rtp_jitter jitter;
	struct jitter_counters counters;
};

/* Set up a buffer over caller storage of at least JITTER_STORAGE_SAMPLES(capacity,
 * frame_samples) samples. 0 or RTP_ERR_CONFIG. */
int jitter_init(struct jitter_buffer *jb, const struct jitter_config *cfg, int16_t *storage,
                size_t storage_samples);

/* Forget every held frame and the jitter estimate (new source, or the call was on hold);
 * counters are kept. */
void jitter_reset(struct jitter_buffer *jb);

/* One received frame of exactly cfg.frame_samples samples. Returns an enum jitter_insert_result
 * or RTP_ERR_INVALID for a wrong frame size. */
int jitter_insert(struct jitter_buffer *jb, uint16_t seq, uint32_t rtp_timestamp, uint32_t arrival,
                  const int16_t *pcm, size_t samples);

/* The frame for this tick: always writes cfg.frame_samples samples to out. */
enum jitter_frame jitter_pop(struct jitter_buffer *jb, int16_t *out);

/* Frames from the next one to play up to the newest held, gaps included: the delay the buffer
 * adds, in frames. */
uint16_t jitter_depth(const struct jitter_buffer *jb);
static inline uint16_t jitter_target(const struct jitter_buffer *jb)
{
	return jb->target;
}
/* Every packet inserted is counted exactly once: played, late, duplicate, overflow, shrunk,
 * strays, flushed, or still held (jitter_held). Tests and the fuzzer check this. */
static inline uint16_t jitter_held(const struct jitter_buffer *jb)
{
	return jb->count;
}
static inline const struct jitter_counters *jitter_counters(const struct jitter_buffer *jb)
{
	return &jb->counters;
}

#endif
