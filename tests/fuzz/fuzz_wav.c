/* Fuzz the WAV header parser: no crash, and what it accepts is self-consistent. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wav/wav.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant broke: say which before aborting, so a crash file explains itself. */
#define check(ok)                                                                                            \
	do {                                                                                                 \
		if (!(ok)) {                                                                                 \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #ok);           \
			abort();                                                                             \
		}                                                                                            \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wav_info info;
	int rc = wav_parse_header(data, size, &info);
	check(memchr(info.error, '\0', sizeof info.error) != NULL);
	if (rc == WAV_ERR_TRUNCATED) {
		check(info.needed > size);
		return 0;
	}
	if (rc != WAV_OK) {
		check(info.error[0] != '\0');
		return 0;
	}
	check(info.error[0] == '\0');
	check(info.sample_rate == WAV_SAMPLE_RATE && info.channels == 1);
	check(info.data_offset >= 12 + 8 + 16 + 8 && info.data_offset <= size);
	check(info.bits_per_sample == (info.encoding == WAV_PCM16 ? 16 : 8));

	/* A canonical header for the same data parses to the same description. */
	if (info.encoding == WAV_PCM16 && info.data_len % 2 == 0 && info.data_len <= WAV_MAX_DATA_LEN) {
		uint8_t h[WAV_HEADER_LEN];
		check(wav_build_header(h, sizeof h, info.data_len) == WAV_HEADER_LEN);
		struct wav_info again;
		check(wav_parse_header(h, sizeof h, &again) == WAV_OK);
		check(again.data_len == info.data_len && again.encoding == WAV_PCM16);
	}
	return 0;
}
