/* Clips: audio the media thread plays (greetings, prompts, test tones). Loaded and freed on the
 * control side only; the media thread reads them and never frees them. A clip holds its samples
 * as 16-bit linear and pre-encoded as µ-law and A-law, so sending a frame is a copy. */
#ifndef VMPORT_MEDIA_CLIP_H
#define VMPORT_MEDIA_CLIP_H

#include <stddef.h>
#include <stdint.h>

struct media_clip {
	unsigned refs; /* control thread only */
	size_t samples;
	int16_t *pcm;
	uint8_t *ulaw;
	uint8_t *alaw;
	char name[64];
};

/* Load an 8 kHz mono WAV (16-bit PCM, µ-law or A-law). 0, or -errno / -EINVAL with a message
 * naming the file in err. The clip starts with one reference, the caller's. */
int media_clip_load_wav(const char *path, struct media_clip **out, char *err, size_t err_cap);
/* A clip from samples in memory (copied). */
int media_clip_from_pcm(const int16_t *pcm, size_t samples, const char *name, struct media_clip **out);
/* A sine tone of about `ms` milliseconds, a whole number of periods long so it loops without a
 * click. amplitude is the peak (e.g. 8000). */
int media_clip_tone(unsigned freq_hz, int amplitude, unsigned ms, struct media_clip **out);

void media_clip_ref(struct media_clip *c);
void media_clip_unref(struct media_clip *c);

#endif
