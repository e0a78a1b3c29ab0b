/* Adaptive jitter buffer; see jitter.h for the behaviour. */
#include "jitter.h"

#include <string.h>

static bool is_power_of_two(unsigned v)
{
	return v && (v & (v - 1)) == 0;
}

int jitter_init(struct jitter_buffer *jb, const struct jitter_config *cfg, int16_t *storage,
                size_t storage_samples)
{
	if (cfg->frame_samples == 0 || !is_power_of_two(cfg->capacity) || cfg->capacity < 2 ||
	    cfg->capacity > JITTER_MAX_CAPACITY || cfg->min_depth < 1 || cfg->min_depth > cfg->max_depth ||
	    cfg->max_depth > cfg->capacity)
		return RTP_ERR_CONFIG;
	if (!storage || storage_samples < JITTER_STORAGE_SAMPLES(cfg->capacity, cfg->frame_samples))
		return RTP_ERR_CONFIG;

	memset(jb, 0, sizeof *jb);
	jb->cfg = *cfg;
	jb->frames = storage;
	jb->last_frame = storage + (size_t)cfg->capacity * cfg->frame_samples;
	jitter_reset(jb);
	return RTP_OK;
}

void jitter_reset(struct jitter_buffer *jb)
{
	jb->counters.flushed += jb->count;
	memset(jb->slot_full, 0, sizeof jb->slot_full);
	jb->state = JITTER_IDLE;
	jb->can_rewind = true;
	jb->count = 0;
	jb->target = jb->cfg.min_depth;
	jb->over_target_ticks = 0;
	jb->last_output = JITTER_SILENCE;
	jb->have_stray = false;
	jb->jitter = (struct rtp_jitter){0};
}

/* The capacity is a power of two, so this stays right across the 16-bit wrap. */
static unsigned slot_of(const struct jitter_buffer *jb, uint16_t seq)
{
	return seq & (jb->cfg.capacity - 1u);
}

static int16_t *slot_frame(struct jitter_buffer *jb, unsigned slot)
{
	return jb->frames + (size_t)slot * jb->cfg.frame_samples;
}

static bool holds(const struct jitter_buffer *jb, uint16_t seq)
{
	unsigned slot = slot_of(jb, seq);
	return jb->slot_full[slot] && jb->slot_seq[slot] == seq;
}

static void release(struct jitter_buffer *jb, uint16_t seq)
{
	jb->slot_full[slot_of(jb, seq)] = false;
	jb->count--;
}

uint16_t jitter_depth(const struct jitter_buffer *jb)
{
	if (jb->count == 0)
		return 0;
	return (uint16_t)(rtp_seq_diff(jb->highest_seq, jb->next_seq) + 1);
}

/* Target depth: the frame being played plus three mean deviations of the transit time, which
 * covers the spread of arrival times for the delay distributions seen on LANs and WANs. */
static void update_target(struct jitter_buffer *jb)
{
	uint64_t frame_q4 = (uint64_t)jb->cfg.frame_samples * 16;
	uint64_t spread = ((uint64_t)jb->jitter.jitter_q4 * 3 + frame_q4 - 1) / frame_q4;
	uint64_t target = 1 + spread;
	if (target < jb->cfg.min_depth)
		target = jb->cfg.min_depth;
	if (target > jb->cfg.max_depth)
		target = jb->cfg.max_depth;
	jb->target = (uint16_t)target;
}

static void store(struct jitter_buffer *jb, uint16_t seq, const int16_t *pcm)
{
	unsigned slot = slot_of(jb, seq);
	memcpy(slot_frame(jb, slot), pcm, (size_t)jb->cfg.frame_samples * sizeof *pcm);
	jb->slot_full[slot] = true;
	jb->slot_seq[slot] = seq;
	if (jb->count == 0 || rtp_seq_diff(seq, jb->highest_seq) > 0)
		jb->highest_seq = seq;
	jb->count++;
}

/* Start (again) from seq: an empty buffer filling up to target. */
static void restart_at(struct jitter_buffer *jb, uint16_t seq)
{
	jb->counters.flushed += jb->count;
	memset(jb->slot_full, 0, sizeof jb->slot_full);
	jb->count = 0;
	jb->state = JITTER_BUFFERING;
	jb->can_rewind = true;
	jb->next_seq = seq;
	jb->over_target_ticks = 0;
}

/* Move the play position forward to new_next, dropping what it passes. Frames held there are
 * overflow; sequence numbers never received are lost. */
static void advance_to(struct jitter_buffer *jb, uint16_t new_next)
{
	while (jb->next_seq != new_next) {
		if (holds(jb, jb->next_seq)) {
			release(jb, jb->next_seq);
			jb->counters.overflow++;
		} else {
			jb->counters.lost++;
		}
		jb->next_seq++;
	}
}

/* A packet too far ahead to fit: keep the newest audio, bound the delay. Skip to the oldest
 * held frame inside the new window, or straight to the new packet when none is left. */
static void make_room_for(struct jitter_buffer *jb, uint16_t seq)
{
	uint16_t window_start = (uint16_t)(seq - jb->cfg.capacity + 1);
	advance_to(jb, window_start);
	while (jb->next_seq != seq && !holds(jb, jb->next_seq)) {
		jb->counters.lost++;
		jb->next_seq++;
	}
	jb->can_rewind = false;
}

int jitter_insert(struct jitter_buffer *jb, uint16_t seq, uint32_t rtp_timestamp, uint32_t arrival,
                  const int16_t *pcm, size_t samples)
{
	if (samples != jb->cfg.frame_samples)
		return RTP_ERR_INVALID;

	if (jb->state == JITTER_IDLE) {
		restart_at(jb, seq);
		jb->have_stray = false;
		store(jb, seq, pcm);
		rtp_jitter_update(&jb->jitter, rtp_timestamp, arrival);
		update_target(jb);
		return JITTER_STORED;
	}

	int32_t ahead = rtp_seq_diff(seq, jb->next_seq);
	if (ahead >= JITTER_JUMP || ahead <= -JITTER_JUMP) {
		/* Two packets in a row past the jump: the sender restarted its numbering. */
		if (jb->have_stray && seq == jb->stray_next) {
			jb->have_stray = false;
			jb->counters.resyncs++;
			restart_at(jb, seq);
			store(jb, seq, pcm);
			jb->jitter = (struct rtp_jitter){0};
			rtp_jitter_update(&jb->jitter, rtp_timestamp, arrival);
			update_target(jb);
			return JITTER_RESYNCED;
		}
		jb->have_stray = true;
		jb->stray_next = (uint16_t)(seq + 1);
		jb->counters.strays++;
		return JITTER_STRAY;
	}
	jb->have_stray = false;

	/* Late packets carry the most telling timing of all: always feed the estimate. */
	rtp_jitter_update(&jb->jitter, rtp_timestamp, arrival);
	update_target(jb);

	if (ahead < 0) {
		/* Before playout has begun, an earlier packet (reordered) simply starts it earlier. */
		bool fits = jb->count == 0 || rtp_seq_diff(jb->highest_seq, seq) < jb->cfg.capacity;
		if (jb->can_rewind && fits) {
			jb->next_seq = seq;
			store(jb, seq, pcm);
			return JITTER_STORED;
		}
		jb->counters.late++;
		return JITTER_LATE;
	}
	if (holds(jb, seq)) {
		jb->counters.duplicate++;
		return JITTER_DUPLICATE;
	}
	if (ahead >= jb->cfg.capacity)
		make_room_for(jb, seq);
	store(jb, seq, pcm);
	return JITTER_STORED;
}

static void fill_silence(const struct jitter_buffer *jb, int16_t *out)
{
	memset(out, 0, (size_t)jb->cfg.frame_samples * sizeof *out);
}

/* Nothing to play this tick: conceal once right after real audio, then silence. */
static enum jitter_frame fill_gap(struct jitter_buffer *jb, int16_t *out)
{
	if (jb->last_output == JITTER_AUDIO) {
		/* Half amplitude (-6 dB): a repeated frame at full level sounds like a stutter. */
		for (size_t i = 0; i < jb->cfg.frame_samples; i++)
			out[i] = (int16_t)(jb->last_frame[i] / 2);
		jb->counters.concealed++;
		jb->last_output = JITTER_CONCEALED;
	} else {
		fill_silence(jb, out);
		jb->last_output = JITTER_SILENCE;
	}
	return jb->last_output;
}

/* Depth well above target for a while: drop one frame to bring the delay down. */
static void shrink_if_too_deep(struct jitter_buffer *jb)
{
	if (jitter_depth(jb) <= jb->target + 1u) {
		jb->over_target_ticks = 0;
		return;
	}
	if (++jb->over_target_ticks < JITTER_SHRINK_TICKS)
		return;
	jb->over_target_ticks = 0;
	if (holds(jb, jb->next_seq)) {
		release(jb, jb->next_seq);
		jb->counters.shrunk++;
	} else {
		jb->counters.lost++;
	}
	jb->next_seq++;
}

/* Pause playout for this tick to let the buffer refill to its target: the delay grows by a frame. */
static enum jitter_frame wait_for_depth(struct jitter_buffer *jb, int16_t *out)
{
	jb->state = JITTER_BUFFERING;
	if (!jb->can_rewind)
		jb->counters.waited++;
	return fill_gap(jb, out);
}

enum jitter_frame jitter_pop(struct jitter_buffer *jb, int16_t *out)
{
	switch (jb->state) {
	case JITTER_IDLE:
		fill_silence(jb, out);
		return JITTER_SILENCE;
	case JITTER_BUFFERING:
		if (jb->count == 0 || jitter_depth(jb) < jb->target)
			return wait_for_depth(jb, out);
		jb->state = JITTER_PLAYING;
		break;
	case JITTER_PLAYING:
		/* Dry, or the next frame is missing while the buffer is shallower than the jitter
		 * calls for: wait rather than declare it lost. A frame that is merely late then
		 * still plays, and the delay grows to the target. */
		if (jb->count == 0) {
			jb->counters.underruns++;
			return wait_for_depth(jb, out);
		}
		if (!holds(jb, jb->next_seq) && jitter_depth(jb) < jb->target)
			return wait_for_depth(jb, out);
		shrink_if_too_deep(jb);
		break;
	}

	jb->can_rewind = false;
	uint16_t seq = jb->next_seq++;
	if (!holds(jb, seq)) {
		jb->counters.lost++;
		return fill_gap(jb, out);
	}
	unsigned slot = slot_of(jb, seq);
	memcpy(out, slot_frame(jb, slot), (size_t)jb->cfg.frame_samples * sizeof *out);
	memcpy(jb->last_frame, out, (size_t)jb->cfg.frame_samples * sizeof *out);
	release(jb, seq);
	jb->counters.played++;
	jb->last_output = JITTER_AUDIO;
	return JITTER_AUDIO;
}
