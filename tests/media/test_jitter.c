/* Adaptive jitter buffer: ordering, loss and concealment, duplicates, late packets, the 16-bit
 * wrap, overflow, sequence jumps, and adaptation of the target depth. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rtp/jitter.h"

#define FRAME 8 /* samples; small frames keep the assertions readable */
#define TS_PER_FRAME FRAME

struct fixture {
	struct jitter_buffer jb;
	int16_t storage[JITTER_STORAGE_SAMPLES(JITTER_MAX_CAPACITY, FRAME)];
};

/* Every sample of frame `seq` carries a value derived from seq, so output identifies its frame. */
static int16_t frame_value(uint16_t seq)
{
	return (int16_t)(1000 + 2 * (seq % 8000));
}

static int insert_seq(struct fixture *f, uint16_t seq)
{
	int16_t pcm[FRAME];
	for (int i = 0; i < FRAME; i++)
		pcm[i] = frame_value(seq);
	/* On-time arrival: transit constant, so jitter stays 0 unless a test says otherwise. */
	return jitter_insert(&f->jb, seq, (uint32_t)seq * TS_PER_FRAME, (uint32_t)seq * TS_PER_FRAME, pcm,
	                     FRAME);
}

static void expect_audio(struct fixture *f, uint16_t seq)
{
	int16_t out[FRAME];
	enum jitter_frame k = jitter_pop(&f->jb, out);
	if (k != JITTER_AUDIO)
		fail_msg("expected audio of seq %u, got kind %d", seq, k);
	for (int i = 0; i < FRAME; i++)
		if (out[i] != frame_value(seq))
			fail_msg("expected seq %u (value %d), got value %d", seq, frame_value(seq), out[i]);
}

static void expect_concealed_from(struct fixture *f, uint16_t previous_seq)
{
	int16_t out[FRAME];
	assert_int_equal(jitter_pop(&f->jb, out), JITTER_CONCEALED);
	for (int i = 0; i < FRAME; i++)
		assert_int_equal(out[i], frame_value(previous_seq) / 2);
}

static void expect_silence(struct fixture *f)
{
	int16_t out[FRAME];
	memset(out, 0x55, sizeof out);
	assert_int_equal(jitter_pop(&f->jb, out), JITTER_SILENCE);
	for (int i = 0; i < FRAME; i++)
		assert_int_equal(out[i], 0);
}

static struct fixture *make(uint16_t capacity, uint16_t min_depth, uint16_t max_depth)
{
	static struct fixture f;
	memset(&f, 0, sizeof f);
	struct jitter_config cfg = {
	    .frame_samples = FRAME, .capacity = capacity, .min_depth = min_depth, .max_depth = max_depth};
	assert_int_equal(jitter_init(&f.jb, &cfg, f.storage, JITTER_STORAGE_SAMPLES(capacity, FRAME)), 0);
	return &f;
}

static void test_prebuffer_then_in_order_playout(void **state)
{
	(void)state;
	struct fixture *f = make(16, 2, 8);
	expect_silence(f); /* nothing yet */
	assert_int_equal(insert_seq(f, 100), JITTER_STORED);
	expect_silence(f); /* depth 1 < target 2 */
	assert_int_equal(jitter_depth(&f->jb), 1);
	assert_int_equal(insert_seq(f, 101), JITTER_STORED);
	expect_audio(f, 100);
	assert_int_equal(insert_seq(f, 102), JITTER_STORED);
	expect_audio(f, 101);
	expect_audio(f, 102);
	/* Dry: conceal once from the last frame, then silence, and count one underrun. */
	expect_concealed_from(f, 102);
	expect_silence(f);
	const struct jitter_counters *c = jitter_counters(&f->jb);
	assert_int_equal(c->played, 3);
	assert_int_equal(c->concealed, 1);
	assert_int_equal(c->underruns, 1);
	assert_int_equal(c->lost, 0);
}

static void test_reordered_packets_play_in_order(void **state)
{
	(void)state;
	struct fixture *f = make(16, 3, 8);
	/* 11 arrives first, 10 after it but before playout starts: 10 leads. */
	insert_seq(f, 11);
	insert_seq(f, 10);
	insert_seq(f, 13);
	insert_seq(f, 12);
	expect_audio(f, 10);
	insert_seq(f, 15);
	insert_seq(f, 14);
	for (uint16_t q = 11; q <= 15; q++)
		expect_audio(f, q);
	assert_int_equal(jitter_counters(&f->jb)->lost, 0);
}

static void test_loss_conceals_once_then_silence(void **state)
{
	(void)state;
	struct fixture *f = make(16, 2, 8);
	insert_seq(f, 0);
	insert_seq(f, 1);
	insert_seq(f, 4);
	insert_seq(f, 5);
	expect_audio(f, 0);
	expect_audio(f, 1);
	expect_concealed_from(f, 1); /* 2 lost */
	expect_silence(f);           /* 3 lost */
	expect_audio(f, 4);
	expect_audio(f, 5);
	const struct jitter_counters *c = jitter_counters(&f->jb);
	assert_int_equal(c->lost, 2);
	assert_int_equal(c->concealed, 1);
	/* A single loss later conceals again: concealment rearms after real audio. */
	insert_seq(f, 6);
	insert_seq(f, 8);
	expect_audio(f, 6);
	expect_concealed_from(f, 6);
	expect_audio(f, 8);
	assert_int_equal(c->concealed, 2);
	assert_int_equal(c->lost, 3);
}

static void test_duplicates_and_late_packets(void **state)
{
	(void)state;
	struct fixture *f = make(16, 2, 8);
	assert_int_equal(insert_seq(f, 50), JITTER_STORED);
	assert_int_equal(insert_seq(f, 50), JITTER_DUPLICATE);
	assert_int_equal(insert_seq(f, 51), JITTER_STORED);
	expect_audio(f, 50);
	/* 50 again after it played: late, not duplicate. */
	assert_int_equal(insert_seq(f, 50), JITTER_LATE);
	assert_int_equal(insert_seq(f, 53), JITTER_STORED);
	expect_audio(f, 51);
	expect_concealed_from(f, 51);                     /* 52's turn */
	assert_int_equal(insert_seq(f, 52), JITTER_LATE); /* arrived after its turn */
	expect_audio(f, 53);
	const struct jitter_counters *c = jitter_counters(&f->jb);
	assert_int_equal(c->duplicate, 1);
	assert_int_equal(c->late, 2);
	assert_int_equal(c->lost, 1);
}

static void test_wraparound_at_65535(void **state)
{
	(void)state;
	struct fixture *f = make(8, 3, 6);
	insert_seq(f, 65534);
	insert_seq(f, 0); /* crosses the wrap, ahead of 65535 */
	insert_seq(f, 65535);
	assert_int_equal(jitter_depth(&f->jb), 3);
	expect_audio(f, 65534);
	insert_seq(f, 2);
	insert_seq(f, 1);
	insert_seq(f, 1);
	expect_audio(f, 65535);
	expect_audio(f, 0);
	expect_audio(f, 1);
	expect_audio(f, 2);
	assert_int_equal(insert_seq(f, 65535), JITTER_LATE);
	assert_int_equal(jitter_counters(&f->jb)->duplicate, 1);

	/* Loss right at the wrap. */
	f = make(8, 2, 6);
	insert_seq(f, 65534);
	insert_seq(f, 1);
	expect_audio(f, 65534);
	expect_concealed_from(f, 65534); /* 65535 */
	expect_silence(f);               /* 0 */
	expect_audio(f, 1);
	assert_int_equal(jitter_counters(&f->jb)->lost, 2);
}

static void test_overflow_drops_oldest(void **state)
{
	(void)state;
	struct fixture *f = make(8, 2, 8);
	for (uint16_t q = 0; q < 8; q++)
		assert_int_equal(insert_seq(f, q), JITTER_STORED);
	assert_int_equal(jitter_depth(&f->jb), 8);
	assert_int_equal(insert_seq(f, 8), JITTER_STORED); /* no room for 9 frames: 0 goes */
	assert_int_equal(jitter_counters(&f->jb)->overflow, 1);
	expect_audio(f, 1);

	/* Far enough ahead that nothing held survives: skip straight to the new packet. */
	assert_int_equal(insert_seq(f, 100), JITTER_STORED);
	const struct jitter_counters *c = jitter_counters(&f->jb);
	assert_int_equal(c->overflow, 1 + 7);
	assert_int_equal(c->lost, 100 - 9); /* 9..99 never arrived */
	expect_audio(f, 100);
}

static void test_sequence_jump_needs_confirmation(void **state)
{
	(void)state;
	struct fixture *f = make(16, 2, 8);
	insert_seq(f, 10);
	insert_seq(f, 11);
	expect_audio(f, 10);
	/* One stray far away changes nothing. */
	assert_int_equal(insert_seq(f, 20000), JITTER_STRAY);
	assert_int_equal(insert_seq(f, 12), JITTER_STORED);
	expect_audio(f, 11);
	expect_audio(f, 12);
	/* Two in a row: the sender restarted; the buffer starts over from the second, and what
	 * it held of the old numbering is flushed. */
	assert_int_equal(insert_seq(f, 13), JITTER_STORED);
	assert_int_equal(insert_seq(f, 40000), JITTER_STRAY);
	assert_int_equal(insert_seq(f, 40001), JITTER_RESYNCED);
	assert_int_equal(insert_seq(f, 40002), JITTER_STORED);
	expect_audio(f, 40001);
	expect_audio(f, 40002);
	const struct jitter_counters *c = jitter_counters(&f->jb);
	assert_int_equal(c->strays, 2);
	assert_int_equal(c->resyncs, 1);
	assert_int_equal(c->flushed, 1);
	/* A jump backwards is a jump too. */
	assert_int_equal(insert_seq(f, 30000), JITTER_STRAY);
}

static void test_underrun_waits_for_late_frame(void **state)
{
	(void)state;
	struct fixture *f = make(16, 2, 8);
	insert_seq(f, 0);
	insert_seq(f, 1);
	expect_audio(f, 0);
	expect_audio(f, 1);
	expect_concealed_from(f, 1); /* 2 is not here yet */
	/* 2 and 3 arrive late but before anything newer: they still play, nothing is lost. The
	 * buffer refilled to its target, which is how the delay grew by a frame. */
	insert_seq(f, 2);
	expect_silence(f); /* depth 1 < target 2 */
	insert_seq(f, 3);
	expect_audio(f, 2);
	expect_audio(f, 3);
	assert_int_equal(jitter_counters(&f->jb)->lost, 0);
	assert_int_equal(jitter_counters(&f->jb)->late, 0);
}

static void test_reset_forgets_frames_keeps_counters(void **state)
{
	(void)state;
	struct fixture *f = make(16, 2, 8);
	insert_seq(f, 0);
	insert_seq(f, 0);
	jitter_reset(&f->jb);
	expect_silence(f);
	assert_int_equal(jitter_depth(&f->jb), 0);
	assert_int_equal(jitter_counters(&f->jb)->duplicate, 1);
	assert_int_equal(jitter_counters(&f->jb)->flushed, 1);
	/* Any sequence number may start the new stream. */
	insert_seq(f, 9000);
	insert_seq(f, 9001);
	expect_audio(f, 9000);
}

static void test_configuration_is_checked(void **state)
{
	(void)state;
	struct jitter_buffer jb;
	static int16_t storage[JITTER_STORAGE_SAMPLES(16, FRAME)];
	struct jitter_config good = {.frame_samples = FRAME, .capacity = 16, .min_depth = 2, .max_depth = 8};
	assert_int_equal(jitter_init(&jb, &good, storage, JITTER_STORAGE_SAMPLES(16, FRAME)), 0);
	assert_int_equal(jitter_init(&jb, &good, storage, JITTER_STORAGE_SAMPLES(16, FRAME) - 1),
	                 RTP_ERR_CONFIG);
	assert_int_equal(jitter_init(&jb, &good, NULL, 1000), RTP_ERR_CONFIG);

	struct jitter_config bad = good;
	bad.capacity = 12;
	assert_int_equal(jitter_init(&jb, &bad, storage, sizeof storage / 2), RTP_ERR_CONFIG);
	bad = good;
	bad.capacity = 128;
	assert_int_equal(jitter_init(&jb, &bad, storage, sizeof storage / 2), RTP_ERR_CONFIG);
	bad = good;
	bad.min_depth = 0;
	assert_int_equal(jitter_init(&jb, &bad, storage, sizeof storage / 2), RTP_ERR_CONFIG);
	bad = good;
	bad.min_depth = 9;
	assert_int_equal(jitter_init(&jb, &bad, storage, sizeof storage / 2), RTP_ERR_CONFIG);
	bad = good;
	bad.max_depth = 17;
	assert_int_equal(jitter_init(&jb, &bad, storage, sizeof storage / 2), RTP_ERR_CONFIG);
	bad = good;
	bad.frame_samples = 0;
	assert_int_equal(jitter_init(&jb, &bad, storage, sizeof storage / 2), RTP_ERR_CONFIG);

	int16_t pcm[FRAME + 1] = {0};
	assert_int_equal(jitter_insert(&jb, 1, 0, 0, pcm, FRAME + 1), RTP_ERR_INVALID);
	assert_int_equal(jitter_insert(&jb, 1, 0, 0, pcm, FRAME - 1), RTP_ERR_INVALID);
}

/* Real time, simulated: packet k is sent at k frames and arrives delay(k) later. Packets are
 * sorted by arrival (ties by sequence); at each tick everything that has arrived is inserted, then
 * one frame is popped. */
#define SIM_PACKETS 1200

struct sim_packet {
	uint32_t seq;
	uint32_t arrival;
};

struct sim {
	struct fixture *f;
	struct sim_packet packets[SIM_PACKETS];
	size_t next;   /* next packet to insert, in arrival order */
	uint32_t tick; /* current time, frames */
	uint32_t audio, gaps;
};

static void sim_init(struct sim *s, struct fixture *f, uint32_t (*delay)(uint32_t k))
{
	memset(s, 0, sizeof *s);
	s->f = f;
	for (uint32_t k = 0; k < SIM_PACKETS; k++)
		s->packets[k] = (struct sim_packet){.seq = k, .arrival = k * TS_PER_FRAME + delay(k)};
	/* Insertion sort: stable, and the input is nearly sorted. */
	for (size_t i = 1; i < SIM_PACKETS; i++) {
		struct sim_packet p = s->packets[i];
		size_t j = i;
		while (j > 0 && s->packets[j - 1].arrival > p.arrival) {
			s->packets[j] = s->packets[j - 1];
			j--;
		}
		s->packets[j] = p;
	}
}

static void sim_run(struct sim *s, uint32_t ticks)
{
	for (uint32_t end = s->tick + ticks; s->tick < end; s->tick++) {
		uint32_t now = s->tick * TS_PER_FRAME;
		while (s->next < SIM_PACKETS && s->packets[s->next].arrival <= now) {
			const struct sim_packet *p = &s->packets[s->next++];
			int16_t pcm[FRAME];
			for (int i = 0; i < FRAME; i++)
				pcm[i] = frame_value((uint16_t)p->seq);
			jitter_insert(&s->f->jb, (uint16_t)p->seq, p->seq * TS_PER_FRAME, p->arrival, pcm,
			              FRAME);
		}
		int16_t out[FRAME];
		if (jitter_pop(&s->f->jb, out) == JITTER_AUDIO)
			s->audio++;
		else
			s->gaps++;
	}
}

/* Every fourth packet arrives three frames late, the rest on time, for the first 600 packets. */
static uint32_t bursty_delay(uint32_t k)
{
	return k < 600 && k % 4 == 3 ? 3 * TS_PER_FRAME : 0;
}

static void test_adaptation_grows_then_shrinks(void **state)
{
	(void)state;
	struct fixture *f = make(32, 2, 12);
	static struct sim s;
	sim_init(&s, f, bursty_delay);
	const struct jitter_counters *c = jitter_counters(&f->jb);

	/* Jittery phase. |D| runs 0, 0, 3, 3 frames, so J hovers around 1.5 frames and the
	 * target (1 + ceil(3 J / frame)) around 5 or 6 frames. */
	sim_run(&s, 300);
	assert_in_range(jitter_target(&f->jb), 5, 6);
	uint32_t late = c->late, lost = c->lost;
	assert_true(c->waited > 0); /* the delay grew by pausing for late frames */
	/* Settled: with the deeper buffer nothing more is late, lost or concealed. */
	uint32_t concealed = c->concealed, gaps = s.gaps;
	sim_run(&s, 250);
	assert_int_equal(c->late, late);
	assert_int_equal(c->lost, lost);
	assert_int_equal(c->concealed, concealed);
	assert_int_equal(s.gaps, gaps);
	assert_in_range(jitter_depth(&f->jb), 4, 7);

	/* Steady phase: J decays, the target falls back to the minimum and the buffer sheds delay
	 * one frame at a time. */
	sim_run(&s, 500);
	assert_int_equal(jitter_target(&f->jb), 2);
	assert_true(c->shrunk >= 2);
	assert_in_range(jitter_depth(&f->jb), 1, 3);
	assert_int_equal(c->late, late);
	assert_int_equal(c->duplicate, 0);
	/* Every packet inserted is accounted for exactly once. */
	assert_int_equal(c->played + c->late + c->duplicate + c->overflow + c->shrunk + c->strays +
	                     c->flushed + jitter_held(&f->jb),
	                 s.next);
}

static void test_target_stays_within_bounds(void **state)
{
	(void)state;
	struct fixture *f = make(16, 3, 5);
	assert_int_equal(jitter_target(&f->jb), 3);
	/* Wild arrival times: the target saturates at the maximum. */
	int16_t pcm[FRAME] = {0};
	for (uint16_t q = 0; q < 100; q++)
		jitter_insert(&f->jb, q, q * TS_PER_FRAME, q * TS_PER_FRAME + (q % 2) * 4000u, pcm, FRAME);
	assert_int_equal(jitter_target(&f->jb), 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prebuffer_then_in_order_playout),
	    cmocka_unit_test(test_reordered_packets_play_in_order),
	    cmocka_unit_test(test_loss_conceals_once_then_silence),
	    cmocka_unit_test(test_duplicates_and_late_packets),
	    cmocka_unit_test(test_wraparound_at_65535),
	    cmocka_unit_test(test_overflow_drops_oldest),
	    cmocka_unit_test(test_sequence_jump_needs_confirmation),
	    cmocka_unit_test(test_underrun_waits_for_late_frame),
	    cmocka_unit_test(test_reset_forgets_frames_keeps_counters),
	    cmocka_unit_test(test_configuration_is_checked),
	    cmocka_unit_test(test_adaptation_grows_then_shrinks),
	    cmocka_unit_test(test_target_stays_within_bounds),
	};
	return cmocka_run_group_tests_name("jitter", tests, NULL, NULL);
}
