/* WAV (RIFF WAVE) headers as pure functions over byte buffers: build the 44-byte header of an
 * 8 kHz mono 16-bit PCM recording, and parse the header of a greeting or recording.
 *
 * The parser walks the chunk list (fmt, data; LIST, fact and anything else is skipped) in the
 * first bytes of a file the caller has read; it never needs the audio itself. It accepts what a
 * voicemail port can play without resampling: 8000 Hz mono 16-bit PCM, 8-bit µ-law (format 7)
 * or A-law (format 6), also inside WAVE_FORMAT_EXTENSIBLE. File I/O lives in firmware/. */
#ifndef VMPORT_WAV_H
#define VMPORT_WAV_H

#include <stddef.h>
#include <stdint.h>

#define WAV_HEADER_LEN 44u
#define WAV_SAMPLE_RATE 8000u
/* Largest data chunk a 44-byte header can describe: the RIFF size (36 + data) is 32 bits. */
#define WAV_MAX_DATA_LEN (UINT32_MAX - 36u)

enum wav_format_tag {
	WAV_FORMAT_PCM = 0x0001,
	WAV_FORMAT_ALAW = 0x0006,
	WAV_FORMAT_MULAW = 0x0007,
	WAV_FORMAT_EXTENSIBLE = 0xFFFE,
};

enum wav_encoding {
	WAV_PCM16,
	WAV_ALAW,
	WAV_MULAW,
};

enum wav_err {
	WAV_OK = 0,
	WAV_ERR_TRUNCATED = -1, /* the buffer ends before the fmt and data chunk headers; see needed */
	WAV_ERR_NOT_RIFF = -2,  /* no "RIFF" ... "WAVE" at the start */
	WAV_ERR_BAD_FMT = -3,   /* fmt chunk too short, twice, or inconsistent (block align) */
	WAV_ERR_NO_FMT = -4,    /* data chunk before any fmt chunk */
	WAV_ERR_ENCODING = -5,  /* a format tag other than PCM, µ-law or A-law */
	WAV_ERR_BITS = -6,      /* PCM that is not 16-bit, or G.711 that is not 8-bit */
	WAV_ERR_RATE = -7,      /* sample rate other than 8000 Hz */
	WAV_ERR_CHANNELS = -8,  /* not mono */
	WAV_ERR_NO_SPACE = -9,  /* build: output buffer smaller than 44 bytes */
	WAV_ERR_TOO_LONG = -10, /* build: data length the header cannot describe, or odd */
};

/* What the header says. On a refusal (RATE, CHANNELS, BITS, ENCODING) the fields read so far are
 * filled in and `error` explains in words, e.g. "sample rate 16000 Hz, need 8000 Hz". */
struct wav_info {
	enum wav_encoding encoding;
	uint16_t format_tag; /* as in the fmt chunk (the sub-format for EXTENSIBLE) */
	uint16_t channels;
	uint32_t sample_rate;
	uint16_t bits_per_sample;
	uint16_t block_align;
	uint32_t data_offset; /* from the start of the file */
	uint32_t data_len;    /* as the data chunk says; may exceed the file if the writer died */
	size_t needed;        /* WAV_ERR_TRUNCATED: bytes of the file needed to get further */
	char error[64];       /* "" on success */
};

/* Fixed text for an error code. For refusals, wav_info.error says more. */
const char *wav_strerror(int err);

/* Write the 44-byte header of an 8 kHz mono 16-bit PCM file with data_len bytes of samples.
 * Returns 44 or a negative wav_err. A recorder writes it once with 0 and again when done. */
int wav_build_header(uint8_t *out, size_t cap, uint32_t data_len);

/* Parse the header at the start of a file. buf holds its first len bytes; the data chunk itself
 * need not be in them. 0 with *info filled, or a negative wav_err. */
int wav_parse_header(const uint8_t *buf, size_t len, struct wav_info *info);

#endif
