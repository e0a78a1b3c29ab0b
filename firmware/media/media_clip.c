#include "media_clip.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "g711/g711.h"
#include "wav/wav.h"

/* Ten minutes: longer greetings are a configuration mistake, not something to map into RAM. */
#define CLIP_MAX_SAMPLES (8000u * 600u)

static int clip_alloc(size_t samples, const char *name, struct media_clip **out)
{
	struct media_clip *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->pcm = malloc(samples * sizeof(int16_t));
	c->ulaw = malloc(samples);
	c->alaw = malloc(samples);
	if (c->pcm == NULL || c->ulaw == NULL || c->alaw == NULL) {
		free(c->pcm);
		free(c->ulaw);
		free(c->alaw);
		free(c);
		return -ENOMEM;
	}
	c->samples = samples;
	c->refs = 1;
	snprintf(c->name, sizeof(c->name), "%s", name ? name : "");
	*out = c;
	return 0;
}

static void clip_encode(struct media_clip *c)
{
	g711_encode(G711_ULAW, c->pcm, c->ulaw, c->samples);
	g711_encode(G711_ALAW, c->pcm, c->alaw, c->samples);
}

int media_clip_from_pcm(const int16_t *pcm, size_t samples, const char *name, struct media_clip **out)
{
	if (samples == 0 || samples > CLIP_MAX_SAMPLES)
		return -EINVAL;
	int rc = clip_alloc(samples, name, out);
	if (rc != 0)
		return rc;
	memcpy((*out)->pcm, pcm, samples * sizeof(int16_t));
	clip_encode(*out);
	return 0;
}

static unsigned gcd(unsigned a, unsigned b)
{
	while (b != 0) {
		unsigned t = a % b;
		a = b;
		b = t;
	}
	return a;
}

int media_clip_tone(unsigned freq_hz, int amplitude, unsigned ms, struct media_clip **out)
{
	if (freq_hz == 0 || freq_hz >= 4000 || ms == 0)
		return -EINVAL;
	/* The shortest whole number of periods that is a whole number of samples. */
	size_t period = 8000u / gcd(8000u, freq_hz);
	size_t want = (size_t)ms * 8u;
	size_t samples = (want + period - 1) / period * period;
	char name[32];
	snprintf(name, sizeof(name), "tone %u Hz", freq_hz);
	int rc = clip_alloc(samples, name, out);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < samples; i++)
		(*out)->pcm[i] = (int16_t)lrint(amplitude * sin(2.0 * M_PI * freq_hz * (double)i / 8000.0));
	clip_encode(*out);
	return 0;
}

static int read_all(int fd, uint8_t *buf, size_t len, off_t off)
{
	while (len > 0) {
		ssize_t n = pread(fd, buf, len, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

int media_clip_load_wav(const char *path, struct media_clip **out, char *err, size_t err_cap)
{
	uint8_t head[4096];
	struct wav_info info;
	struct stat st;
	int rc;

	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, err_cap, "%s: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		snprintf(err, err_cap, "%s: %s", path, strerror(errno));
		goto out;
	}
	ssize_t got = pread(fd, head, sizeof(head), 0);
	if (got < 0) {
		rc = -errno;
		snprintf(err, err_cap, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = wav_parse_header(head, (size_t)got, &info);
	if (rc != WAV_OK) {
		snprintf(err, err_cap, "%s: not a playable WAV: %s", path,
		         info.error[0] ? info.error : wav_strerror(rc));
		rc = -EINVAL;
		goto out;
	}
	/* A recorder that died may leave a data length past the end of the file: trust the file. */
	uint64_t data_len = info.data_len;
	if ((uint64_t)st.st_size < info.data_offset) {
		data_len = 0;
	} else if (data_len > (uint64_t)st.st_size - info.data_offset) {
		data_len = (uint64_t)st.st_size - info.data_offset;
	}
	size_t bytes_per_sample = info.encoding == WAV_PCM16 ? 2 : 1;
	size_t samples = (size_t)(data_len / bytes_per_sample);
	if (samples == 0 || samples > CLIP_MAX_SAMPLES) {
		snprintf(err, err_cap, "%s: %zu samples (need 1..%u)", path, samples, CLIP_MAX_SAMPLES);
		rc = -EINVAL;
		goto out;
	}
	const char *base = strrchr(path, '/');
	rc = clip_alloc(samples, base ? base + 1 : path, out);
	if (rc != 0) {
		snprintf(err, err_cap, "%s: out of memory", path);
		goto out;
	}
	uint8_t *raw = info.encoding == WAV_PCM16 ? (uint8_t *)(*out)->pcm : (*out)->ulaw;
	rc = read_all(fd, raw, samples * bytes_per_sample, (off_t)info.data_offset);
	if (rc != 0) {
		snprintf(err, err_cap, "%s: read: %s", path, strerror(-rc));
		media_clip_unref(*out);
		*out = NULL;
		goto out;
	}
	if (info.encoding == WAV_PCM16) {
		/* WAV is little-endian. */
		uint8_t *b = raw;
		for (size_t i = 0; i < samples; i++)
			(*out)->pcm[i] = (int16_t)(uint16_t)(b[2 * i] | (b[2 * i + 1] << 8));
	} else {
		/* Decode from the ulaw buffer (used as scratch), then encode both laws afresh. */
		g711_decode(info.encoding == WAV_MULAW ? G711_ULAW : G711_ALAW, raw, (*out)->pcm, samples);
	}
	clip_encode(*out);
	rc = 0;
out:
	close(fd);
	return rc;
}

void media_clip_ref(struct media_clip *c)
{
	c->refs++;
}

void media_clip_unref(struct media_clip *c)
{
	if (c == NULL || --c->refs > 0)
		return;
	free(c->pcm);
	free(c->ulaw);
	free(c->alaw);
	free(c);
}
