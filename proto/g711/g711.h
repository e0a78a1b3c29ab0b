/* G.711 companding (ITU-T G.711): 16-bit linear PCM <-> 8-bit µ-law or A-law.
 *
 * Bit-exact with the ITU-T G.191 Software Tool Library reference (src/g711/g711.c): decoding
 * gives the G.711 decoder output values scaled to 16 bits, encoding reduces a 16-bit sample to
 * the 14-bit (µ-law) or 13-bit (A-law) uniform PCM that G.711 is defined on, then quantizes it
 * with the G.711 decision values. See README.md for the scaling and rounding details. */
#ifndef VMPORT_G711_H
#define VMPORT_G711_H

#include <stddef.h>
#include <stdint.h>

enum g711_law {
	G711_ULAW, /* PCMU, RTP static payload type 0 */
	G711_ALAW, /* PCMA, RTP static payload type 8 */
};

#define G711_RTP_PT_ULAW 0
#define G711_RTP_PT_ALAW 8

/* The code each law sends for digital silence (µ-law "positive zero", A-law "+8"). */
#define G711_ULAW_SILENCE 0xFF
#define G711_ALAW_SILENCE 0xD5

uint8_t g711_linear_to_ulaw(int16_t sample);
uint8_t g711_linear_to_alaw(int16_t sample);
int16_t g711_ulaw_to_linear(uint8_t code);
int16_t g711_alaw_to_linear(uint8_t code);

/* Whole frames: n samples in, n codes out (and back). In and out must not overlap. */
void g711_encode(enum g711_law law, const int16_t *pcm, uint8_t *codes, size_t n);
void g711_decode(enum g711_law law, const uint8_t *codes, int16_t *pcm, size_t n);

/* The silence code for a law, for filling frames when there is nothing to send. */
uint8_t g711_silence_code(enum g711_law law);

/* Law of an RTP static payload type (0 or 8); negative when pt is neither. */
int g711_law_from_rtp_pt(unsigned pt);

#endif
