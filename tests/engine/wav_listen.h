/* Listening to what the engine wrote, for the engine tests: an 8 kHz mono 16-bit WAV's samples
 * and a Goertzel filter for one frequency's energy. Failures are cmocka assertions. */
#ifndef VMPORT_TEST_WAV_LISTEN_H
#define VMPORT_TEST_WAV_LISTEN_H

#include <stddef.h>
#include <stdint.h>

/* Energy at `freq` Hz in x[0..n) sampled at 8 kHz. */
double goertzel(const int16_t *x, size_t n, double freq);
/* The samples of an 8 kHz 16-bit PCM WAV whose header sizes are final; *samples set. Free it. */
int16_t *load_wav(const char *path, size_t *samples);

#endif
