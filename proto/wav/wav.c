/* RIFF WAVE header build and parse. Integers in RIFF are little-endian. */
#include "wav.h"

#include <stdbool.h>
#include <string.h>

#define RIFF_CHUNK_HEADER 8u
#define WAV_FMT_MIN_LEN 16u /* WAVEFORMAT + wBitsPerSample */
#define WAV_FMT_EXTENSIBLE_LEN 40u

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}
static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

const char *wav_strerror(int err)
{
	switch (err) {
	case WAV_OK:
		return "ok";
	case WAV_ERR_TRUNCATED:
		return "file ends inside the WAV header";
	case WAV_ERR_NOT_RIFF:
		return "not a RIFF WAVE file";
	case WAV_ERR_BAD_FMT:
		return "malformed fmt chunk";
	case WAV_ERR_NO_FMT:
		return "data chunk before the fmt chunk";
	case WAV_ERR_ENCODING:
		return "encoding is not PCM, mu-law or A-law";
	case WAV_ERR_BITS:
		return "bits per sample do not match the encoding";
	case WAV_ERR_RATE:
		return "sample rate is not 8000 Hz";
	case WAV_ERR_CHANNELS:
		return "not mono";
	case WAV_ERR_NO_SPACE:
		return "output buffer too small";
	case WAV_ERR_TOO_LONG:
		return "data length does not fit a WAV header";
	default:
		return "unknown WAV error";
	}
}

int wav_build_header(uint8_t *out, size_t cap, uint32_t data_len)
{
	if (cap < WAV_HEADER_LEN)
		return WAV_ERR_NO_SPACE;
	/* 16-bit samples come in pairs of bytes; an odd length would also need a pad byte. */
	if (data_len > WAV_MAX_DATA_LEN || data_len % 2)
		return WAV_ERR_TOO_LONG;

	const uint16_t channels = 1, bits = 16;
	const uint16_t block_align = (uint16_t)(channels * bits / 8);
	memcpy(out, "RIFF", 4);
	put_le32(out + 4, 36 + data_len);
	memcpy(out + 8, "WAVE", 4);
	memcpy(out + 12, "fmt ", 4);
	put_le32(out + 16, WAV_FMT_MIN_LEN);
	put_le16(out + 20, WAV_FORMAT_PCM);
	put_le16(out + 22, channels);
	put_le32(out + 24, WAV_SAMPLE_RATE);
	put_le32(out + 28, WAV_SAMPLE_RATE * block_align);
	put_le16(out + 32, block_align);
	put_le16(out + 34, bits);
	memcpy(out + 36, "data", 4);
	put_le32(out + 40, data_len);
	return WAV_HEADER_LEN;
}

/* Error text without printf: proto/ stays free of stdio. */
struct text {
	char *buf;
	size_t cap;
	size_t len;
};

static void text_add(struct text *t, const char *s)
{
	while (*s && t->len + 1 < t->cap)
		t->buf[t->len++] = *s++;
	t->buf[t->len] = '\0';
}

static void text_add_uint(struct text *t, uint32_t v)
{
	char digits[11];
	size_t n = 0;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	char s[12];
	for (size_t i = 0; i < n; i++)
		s[i] = digits[n - 1 - i];
	s[n] = '\0';
	text_add(t, s);
}

static int refuse(struct wav_info *info, int err, const char *before, uint32_t value, const char *after)
{
	struct text t = {info->error, sizeof info->error, 0};
	text_add(&t, before);
	text_add_uint(&t, value);
	text_add(&t, after);
	return err;
}

static int fail(struct wav_info *info, int err, const char *why)
{
	struct text t = {info->error, sizeof info->error, 0};
	text_add(&t, why);
	return err;
}

/* The header goes on past the buffer: say how much of the file is needed to get further, so the
 * caller can read more and try again (or report a truncated file if that was all of it). */
static int truncated(struct wav_info *info, size_t have, uint64_t needed)
{
	info->needed = needed > SIZE_MAX ? SIZE_MAX : (size_t)needed;
	struct text t = {info->error, sizeof info->error, 0};
	text_add(&t, "header needs ");
	text_add_uint(&t, needed > UINT32_MAX ? UINT32_MAX : (uint32_t)needed);
	text_add(&t, " bytes, have ");
	text_add_uint(&t, have > UINT32_MAX ? UINT32_MAX : (uint32_t)have);
	return WAV_ERR_TRUNCATED;
}

/* Check the fmt chunk body (len bytes at p) and record what it says. */
static int parse_fmt(const uint8_t *p, uint32_t len, struct wav_info *info)
{
	if (len < WAV_FMT_MIN_LEN)
		return refuse(info, WAV_ERR_BAD_FMT, "fmt chunk of ", len, " bytes, need 16");
	uint16_t tag = get_le16(p);
	info->channels = get_le16(p + 2);
	info->sample_rate = get_le32(p + 4);
	info->block_align = get_le16(p + 12);
	info->bits_per_sample = get_le16(p + 14);
	if (tag == WAV_FORMAT_EXTENSIBLE) {
		/* The real format is the first two bytes of the sub-format GUID. */
		if (len < WAV_FMT_EXTENSIBLE_LEN)
			return refuse(info, WAV_ERR_BAD_FMT, "extensible fmt chunk of ", len,
			              " bytes, need 40");
		tag = get_le16(p + 24);
	}
	info->format_tag = tag;

	uint16_t want_bits;
	switch (tag) {
	case WAV_FORMAT_PCM:
		info->encoding = WAV_PCM16;
		want_bits = 16;
		break;
	case WAV_FORMAT_MULAW:
		info->encoding = WAV_MULAW;
		want_bits = 8;
		break;
	case WAV_FORMAT_ALAW:
		info->encoding = WAV_ALAW;
		want_bits = 8;
		break;
	default:
		return refuse(info, WAV_ERR_ENCODING, "format tag ", tag,
		              ", need 1 (PCM), 6 (A-law) or 7 (mu-law)");
	}
	if (info->bits_per_sample != want_bits)
		return refuse(info, WAV_ERR_BITS, "", info->bits_per_sample,
		              want_bits == 16 ? "-bit PCM, need 16-bit" : "-bit G.711, need 8-bit");
	if (info->sample_rate != WAV_SAMPLE_RATE)
		return refuse(info, WAV_ERR_RATE, "sample rate ", info->sample_rate, " Hz, need 8000 Hz");
	if (info->channels != 1)
		return refuse(info, WAV_ERR_CHANNELS, "", info->channels, " channels, need mono");
	/* Readers step through the data by block_align; a wrong value would misread every sample.
	 * The byte rate is only advisory, and some writers get it wrong, so it is not checked. */
	if (info->block_align != want_bits / 8)
		return refuse(info, WAV_ERR_BAD_FMT, "block align ", info->block_align,
		              ", need bits / 8 for mono");
	return WAV_OK;
}

int wav_parse_header(const uint8_t *buf, size_t len, struct wav_info *info)
{
	memset(info, 0, sizeof *info);
	if (len < 12)
		return truncated(info, len, 12);
	if (memcmp(buf, "RIFF", 4) != 0 || memcmp(buf + 8, "WAVE", 4) != 0)
		return fail(info, WAV_ERR_NOT_RIFF, "no RIFF/WAVE signature");

	/* The RIFF size is not trusted: streaming writers leave it 0 or 0xFFFFFFFF. Chunks are
	 * walked until the data chunk, whatever the RIFF size says. */
	bool have_fmt = false;
	uint64_t off = 12;
	for (;;) {
		if (off + RIFF_CHUNK_HEADER > len)
			return truncated(info, len, off + RIFF_CHUNK_HEADER);
		const uint8_t *id = buf + off;
		uint32_t size = get_le32(buf + off + 4);
		uint64_t body = off + RIFF_CHUNK_HEADER;

		if (memcmp(id, "data", 4) == 0) {
			if (!have_fmt)
				return fail(info, WAV_ERR_NO_FMT, "data chunk before the fmt chunk");
			if (body > UINT32_MAX)
				return fail(info, WAV_ERR_BAD_FMT, "data chunk starts beyond 4 GiB");
			info->data_offset = (uint32_t)body;
			info->data_len = size;
			return WAV_OK;
		}
		if (memcmp(id, "fmt ", 4) == 0) {
			if (have_fmt)
				return fail(info, WAV_ERR_BAD_FMT, "second fmt chunk");
			/* Enough of the fmt body to check it: all of it, or the 40 bytes that matter
			 * (anything after the extensible layout is ignored). */
			uint32_t usable = size < WAV_FMT_EXTENSIBLE_LEN ? size : WAV_FMT_EXTENSIBLE_LEN;
			if (body + usable > len)
				return truncated(info, len, body + usable);
			int err = parse_fmt(buf + body, usable, info);
			if (err)
				return err;
			have_fmt = true;
		}
		/* Skip this chunk (LIST, fact, cue, ...) and its pad byte: chunks start on even
		 * offsets. The next header may lie beyond the buffer; truncated() then says where. */
		off = body + size + (size & 1u);
	}
}
