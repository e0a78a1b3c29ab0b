/* G.711 companding. Decoding is a table look-up; the two 256-entry tables are written out by the
 * preprocessor from the G.711 reconstruction formula below, so there is no init call to forget
 * and the tables live in read-only memory. Encoding searches the eight segments. */
#include "g711.h"

/* µ-law: the code is sent inverted (all bits). Once un-inverted, bit 7 is the sign (0 = positive
 * after inversion means the transmitted bit 7 was 1), bits 6..4 the segment and bits 3..0 the step.
 * In 16-bit units the output of segment s, step m is ((m << 3) + 0x84) << s, minus the bias 0x84
 * (33 in G.711's 14-bit scale) that makes segment 0 start at zero. */
#define ULAW_INV(c) (0xFF ^ (c))
#define ULAW_MAGNITUDE(c) (((((ULAW_INV(c) & 0x0F) << 3) + 0x84) << ((ULAW_INV(c) >> 4) & 0x07)) - 0x84)
#define ULAW_VALUE(c) ((int16_t)(((c)&0x80) ? ULAW_MAGNITUDE(c) : -ULAW_MAGNITUDE(c)))

/* A-law: the even bits are sent inverted (XOR 0x55). Bit 7 set means positive. Segment 0 and 1
 * share a step of 16 (in 16-bit units); each further segment doubles it. The output is the middle
 * of the step: (m << 4) + 8 in segment 0, ((m + 16) << 4) + 8 shifted left by s - 1 in segment s
 * (written as << s >> 1, exact because the value is even, to keep shift counts non-negative). */
#define ALAW_RAW(c) (((c) ^ 0x55) & 0x7F)
#define ALAW_SEG(c) (ALAW_RAW(c) >> 4)
#define ALAW_STEP(c) (ALAW_RAW(c) & 0x0F)
#define ALAW_MAGNITUDE(c)                                                                                    \
	(ALAW_SEG(c) == 0 ? (ALAW_STEP(c) << 4) + 8 : ((((ALAW_STEP(c) + 16) << 4) + 8) << ALAW_SEG(c)) >> 1)
#define ALAW_VALUE(c) ((int16_t)(((c)&0x80) ? ALAW_MAGNITUDE(c) : -ALAW_MAGNITUDE(c)))

#define ROW4(F, c) F(c), F((c) + 1), F((c) + 2), F((c) + 3)
#define ROW16(F, c) ROW4(F, c), ROW4(F, (c) + 4), ROW4(F, (c) + 8), ROW4(F, (c) + 12)
#define ROW64(F, c) ROW16(F, c), ROW16(F, (c) + 16), ROW16(F, (c) + 32), ROW16(F, (c) + 48)
#define TABLE256(F) ROW64(F, 0), ROW64(F, 64), ROW64(F, 128), ROW64(F, 192)

static const int16_t ulaw_to_linear_table[256] = {TABLE256(ULAW_VALUE)};
static const int16_t alaw_to_linear_table[256] = {TABLE256(ALAW_VALUE)};

int16_t g711_ulaw_to_linear(uint8_t code)
{
	return ulaw_to_linear_table[code];
}

int16_t g711_alaw_to_linear(uint8_t code)
{
	return alaw_to_linear_table[code];
}

/* Sign-magnitude split used by both laws. Negative samples use the one's complement (-x - 1), as
 * G.191 does: it maps -1..-32768 onto 0..32767, so the negative half quantizes exactly like the
 * positive half and -32768 needs no special case. */
static inline unsigned magnitude_of(int16_t sample)
{
	return sample < 0 ? (unsigned)(-(int32_t)sample - 1) : (unsigned)sample;
}

uint8_t g711_linear_to_ulaw(int16_t sample)
{
	/* 14-bit magnitude plus G.711's bias of 33, so that segment s covers [32 << s, 64 << s).
	 * 0x1FFF is the top of the last segment: larger inputs overload to the last step. */
	unsigned biased = (magnitude_of(sample) >> 2) + 33;
	if (biased > 0x1FFF)
		biased = 0x1FFF;

	unsigned segment = 0;
	while (biased >= (64u << segment))
		segment++;
	unsigned step = (biased >> (segment + 1)) & 0x0F;
	unsigned code = (segment << 4) | step;

	/* µ-law inverts every bit on the line; positive samples carry sign bit 1 after inversion. */
	return (uint8_t)(sample < 0 ? code ^ 0x7F : code ^ 0xFF);
}

uint8_t g711_linear_to_alaw(int16_t sample)
{
	/* 12-bit magnitude in steps of 16 (16-bit units): segment 0 is [0, 16), segment s >= 1 is
	 * [16 << (s - 1), 32 << (s - 1)), each with 16 steps. */
	unsigned level = magnitude_of(sample) >> 4;
	unsigned segment = 0;
	unsigned step = level;
	if (level >= 16) {
		segment = 1;
		while (level >= (32u << (segment - 1)))
			segment++;
		step = (level >> (segment - 1)) & 0x0F;
	}
	unsigned code = (segment << 4) | step;
	if (sample >= 0)
		code |= 0x80;
	return (uint8_t)(code ^ 0x55);
}

void g711_encode(enum g711_law law, const int16_t *pcm, uint8_t *codes, size_t n)
{
	if (law == G711_ALAW) {
		for (size_t i = 0; i < n; i++)
			codes[i] = g711_linear_to_alaw(pcm[i]);
	} else {
		for (size_t i = 0; i < n; i++)
			codes[i] = g711_linear_to_ulaw(pcm[i]);
	}
}

void g711_decode(enum g711_law law, const uint8_t *codes, int16_t *pcm, size_t n)
{
	const int16_t *table = law == G711_ALAW ? alaw_to_linear_table : ulaw_to_linear_table;
	for (size_t i = 0; i < n; i++)
		pcm[i] = table[codes[i]];
}

uint8_t g711_silence_code(enum g711_law law)
{
	return law == G711_ALAW ? G711_ALAW_SILENCE : G711_ULAW_SILENCE;
}

int g711_law_from_rtp_pt(unsigned pt)
{
	if (pt == G711_RTP_PT_ULAW)
		return G711_ULAW;
	if (pt == G711_RTP_PT_ALAW)
		return G711_ALAW;
	return -1;
}
