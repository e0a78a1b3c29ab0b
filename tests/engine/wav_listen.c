/* See wav_listen.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "wav/wav.h"
#include "wav_listen.h"

double goertzel(const int16_t *x, size_t n, double freq)
{
	double k = 2.0 * cos(2.0 * M_PI * freq / 8000.0), s1 = 0, s2 = 0;
	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] + k * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	return s1 * s1 + s2 * s2 - k * s1 * s2;
}

int16_t *load_wav(const char *path, size_t *samples)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	long len = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	uint8_t *buf = malloc((size_t)len);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	struct wav_info info;
	assert_int_equal(wav_parse_header(buf, (size_t)len, &info), WAV_OK);
	assert_int_equal(info.encoding, WAV_PCM16);
	assert_int_equal(info.sample_rate, 8000);
	assert_int_equal(info.channels, 1);
	assert_int_equal((size_t)len, info.data_offset + info.data_len); /* header sizes are final */
	*samples = info.data_len / 2;
	int16_t *pcm = malloc(*samples * sizeof(int16_t) + 1);
	assert_non_null(pcm);
	for (size_t i = 0; i < *samples; i++)
		pcm[i] = (int16_t)(uint16_t)(buf[info.data_offset + 2 * i] |
		                             (buf[info.data_offset + 2 * i + 1] << 8));
	free(buf);
	return pcm;
}
