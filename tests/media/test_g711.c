/* G.711 against an oracle built independently from the ITU-T G.711 tables.
 *
 * The implementation decodes through bit-formula tables and encodes by segment search. The oracle
 * here instead lists the 128 quantization intervals of each law the way G.711 Tables 1a/2a
 * describe them (decision values and decoder outputs in the standard's own scale: 0..8159 for
 * µ-law, 0..4096 for A-law) and looks samples up by linear search. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "g711/g711.h"

#define LEVELS 128

struct law_table {
	int decision[LEVELS + 1]; /* interval n is [decision[n], decision[n + 1]) */
	int output[LEVELS];       /* decoder output for interval n, standard's scale */
	int scale;                /* standard's scale -> 16-bit linear */
};

static struct law_table ulaw, alaw;

/* µ-law, G.711 Table 2a: a first interval [0, 1) decoding to 0; then 15 intervals of width 2;
 * then segments 2..8, each 16 intervals of width 2^k starting at 2^(k+4) - 33. Outputs are the
 * middle of each interval. */
static void build_ulaw_table(struct law_table *t)
{
	int n = 0;
	t->decision[n] = 0;
	t->output[n] = 0;
	n++;
	for (int i = 0; i < 15; i++, n++) {
		t->decision[n] = 1 + 2 * i;
		t->output[n] = t->decision[n] + 1;
	}
	for (int k = 2; k <= 8; k++) {
		int width = 1 << k;
		int start = (1 << (k + 4)) - 33;
		for (int i = 0; i < 16; i++, n++) {
			t->decision[n] = start + i * width;
			t->output[n] = t->decision[n] + width / 2;
		}
	}
	t->decision[LEVELS] = 8159;
	t->scale = 4;
}

/* A-law, G.711 Table 1a: segments 1 and 2 are 16 intervals of width 2 from 0 and from 32;
 * segment k >= 3 is 16 intervals of width 2^(k-1) from 2^(k+3). Outputs are the middles. */
static void build_alaw_table(struct law_table *t)
{
	int n = 0;
	for (int i = 0; i < 32; i++, n++) {
		t->decision[n] = 2 * i;
		t->output[n] = t->decision[n] + 1;
	}
	for (int k = 3; k <= 8; k++) {
		int width = 1 << (k - 1);
		int start = 1 << (k + 3);
		for (int i = 0; i < 16; i++, n++) {
			t->decision[n] = start + i * width;
			t->output[n] = t->decision[n] + width / 2;
		}
	}
	t->decision[LEVELS] = 4096;
	t->scale = 8;
}

/* The character signal (line code) for interval n of either sign. */
static unsigned ulaw_code(int n, int negative)
{
	return negative ? 0x7F - n : 0xFF - n;
}
static unsigned alaw_code(int n, int negative)
{
	return (unsigned)((negative ? n : 0x80 | n) ^ 0x55);
}

/* Interval holding magnitude m in the standard's scale; overload goes to the last one. */
static int interval_of(const struct law_table *t, int m)
{
	for (int n = 0; n < LEVELS; n++)
		if (m < t->decision[n + 1])
			return n;
	return LEVELS - 1;
}

/* 16-bit sample -> standard's scale: drop the low bits of the magnitude; negatives use the one's
 * complement (-x - 1), as the G.191 reference does, so both halves quantize alike. */
static int standard_magnitude(int x, int scale)
{
	return x >= 0 ? x / scale : (-x - 1) / scale;
}

static int oracle_decode(const struct law_table *t, int n, int negative)
{
	int v = t->output[n] * t->scale;
	return negative ? -v : v;
}

static int setup(void **state)
{
	(void)state;
	build_ulaw_table(&ulaw);
	build_alaw_table(&alaw);
	return 0;
}

static void test_ulaw_decodes_every_code_to_g711_table(void **state)
{
	(void)state;
	for (int n = 0; n < LEVELS; n++) {
		for (int neg = 0; neg <= 1; neg++) {
			unsigned code = ulaw_code(n, neg);
			assert_int_equal(g711_ulaw_to_linear((uint8_t)code), oracle_decode(&ulaw, n, neg));
		}
	}
}

static void test_alaw_decodes_every_code_to_g711_table(void **state)
{
	(void)state;
	for (int n = 0; n < LEVELS; n++) {
		for (int neg = 0; neg <= 1; neg++) {
			unsigned code = alaw_code(n, neg);
			assert_int_equal(g711_alaw_to_linear((uint8_t)code), oracle_decode(&alaw, n, neg));
		}
	}
}

/* Values published with the G.711 reference code and quoted by every implementation. */
static void test_published_decode_values(void **state)
{
	(void)state;
	assert_int_equal(g711_ulaw_to_linear(0x00), -32124);
	assert_int_equal(g711_ulaw_to_linear(0x80), 32124);
	assert_int_equal(g711_ulaw_to_linear(0xFF), 0);
	assert_int_equal(g711_ulaw_to_linear(0x7F), 0);
	assert_int_equal(g711_alaw_to_linear(0xD5), 8);
	assert_int_equal(g711_alaw_to_linear(0x55), -8);
	assert_int_equal(g711_alaw_to_linear(0x2A), -32256);
	assert_int_equal(g711_alaw_to_linear(0xAA), 32256);
	assert_int_equal(g711_ulaw_to_linear(g711_silence_code(G711_ULAW)), 0);
	assert_int_equal(g711_alaw_to_linear(g711_silence_code(G711_ALAW)), 8);
}

static void test_every_code_round_trips(void **state)
{
	(void)state;
	for (unsigned code = 0; code < 256; code++) {
		uint8_t u = g711_linear_to_ulaw(g711_ulaw_to_linear((uint8_t)code));
		/* µ-law has two zeros; 0x7F ("negative zero") decodes to 0, which encodes as 0xFF. */
		assert_int_equal(u, code == 0x7F ? 0xFF : code);
		assert_int_equal(g711_linear_to_alaw(g711_alaw_to_linear((uint8_t)code)), code);
	}
}

static void test_every_sample_encodes_to_its_g711_interval(void **state)
{
	(void)state;
	for (int x = INT16_MIN; x <= INT16_MAX; x++) {
		int neg = x < 0;
		int nu = interval_of(&ulaw, standard_magnitude(x, ulaw.scale));
		int na = interval_of(&alaw, standard_magnitude(x, alaw.scale));
		if (g711_linear_to_ulaw((int16_t)x) != ulaw_code(nu, neg))
			fail_msg("µ-law %d: got 0x%02X, G.711 interval %d gives 0x%02X", x,
			         g711_linear_to_ulaw((int16_t)x), nu, ulaw_code(nu, neg));
		if (g711_linear_to_alaw((int16_t)x) != alaw_code(na, neg))
			fail_msg("A-law %d: got 0x%02X, G.711 interval %d gives 0x%02X", x,
			         g711_linear_to_alaw((int16_t)x), na, alaw_code(na, neg));
	}
}

/* Nearest-level check by brute force over all 256 outputs. G.711 puts the decision value between
 * two segments at the segment boundary, not half-way between the two neighbouring outputs, so
 * just above each boundary a sample goes to the first level of the upper segment although the
 * last level of the lower one is nearer. Everywhere else the chosen level is a nearest one. The
 * test allows exactly that case and bounds its extra error by half a step of the lower segment. */
static void check_nearest(const char *name, int16_t (*decode)(uint8_t), uint8_t (*encode)(int16_t),
                          int *segment_edge_cases)
{
	int levels[256];
	for (int c = 0; c < 256; c++)
		levels[c] = decode((uint8_t)c);
	*segment_edge_cases = 0;

	for (int x = INT16_MIN; x <= INT16_MAX; x++) {
		uint8_t code = encode((int16_t)x);
		int got = abs(x - decode(code));
		int best = INT32_MAX;
		int best_level = 0;
		for (int c = 0; c < 256; c++) {
			if (abs(x - levels[c]) < best) {
				best = abs(x - levels[c]);
				best_level = levels[c];
			}
		}
		if (got == best)
			continue;
		/* The chosen level and the nearest one must be neighbours across a segment boundary:
		 * the gap between them is wider than the lower segment's step. */
		int chosen = decode(code);
		int lower_step = 0;
		for (int c = 0; c < 256; c++) {
			int gap = abs(levels[c] - best_level);
			if (gap > 0 && (lower_step == 0 || gap < lower_step))
				lower_step = gap;
		}
		int gap = abs(chosen - best_level);
		if (!(gap > lower_step && got - best <= lower_step / 2))
			fail_msg("%s %d: level %d, nearest %d (step %d)", name, x, chosen, best_level,
			         lower_step);
		(*segment_edge_cases)++;
	}
}

static void test_every_sample_encodes_to_nearest_level(void **state)
{
	(void)state;
	int ulaw_edges = 0, alaw_edges = 0;
	check_nearest("µ-law", g711_ulaw_to_linear, g711_linear_to_ulaw, &ulaw_edges);
	check_nearest("A-law", g711_alaw_to_linear, g711_linear_to_alaw, &alaw_edges);
	/* 7 segment boundaries per sign; the band above each is about a quarter of the lower step
	 * (2, 4, ... 128 samples in 16-bit units). The totals are pinned so that any change in
	 * rounding (for example Sun's x >> 2 on negatives instead of G.191's one's complement)
	 * shows up here. */
	assert_int_equal(ulaw_edges, 501);
	assert_int_equal(alaw_edges, 498);
}

static void test_frame_functions_match_sample_functions(void **state)
{
	(void)state;
	int16_t pcm[160], back[160];
	uint8_t codes[160];
	for (int i = 0; i < 160; i++)
		pcm[i] = (int16_t)(i * 409 - 32768);
	g711_encode(G711_ULAW, pcm, codes, 160);
	g711_decode(G711_ULAW, codes, back, 160);
	for (int i = 0; i < 160; i++) {
		assert_int_equal(codes[i], g711_linear_to_ulaw(pcm[i]));
		assert_int_equal(back[i], g711_ulaw_to_linear(codes[i]));
	}
	g711_encode(G711_ALAW, pcm, codes, 160);
	g711_decode(G711_ALAW, codes, back, 160);
	for (int i = 0; i < 160; i++) {
		assert_int_equal(codes[i], g711_linear_to_alaw(pcm[i]));
		assert_int_equal(back[i], g711_alaw_to_linear(codes[i]));
	}
	g711_encode(G711_ULAW, pcm, codes, 0); /* empty frame is a no-op */
}

static void test_rtp_payload_types(void **state)
{
	(void)state;
	assert_int_equal(g711_law_from_rtp_pt(0), G711_ULAW);
	assert_int_equal(g711_law_from_rtp_pt(8), G711_ALAW);
	assert_true(g711_law_from_rtp_pt(18) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ulaw_decodes_every_code_to_g711_table),
	    cmocka_unit_test(test_alaw_decodes_every_code_to_g711_table),
	    cmocka_unit_test(test_published_decode_values),
	    cmocka_unit_test(test_every_code_round_trips),
	    cmocka_unit_test(test_every_sample_encodes_to_its_g711_interval),
	    cmocka_unit_test(test_every_sample_encodes_to_nearest_level),
	    cmocka_unit_test(test_frame_functions_match_sample_functions),
	    cmocka_unit_test(test_rtp_payload_types),
	};
	return cmocka_run_group_tests_name("g711", tests, setup, NULL);
}
