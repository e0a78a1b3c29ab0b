/* hal/audio "file" backend: the codec's twin for tests and boards without a codec.
 *
 * Playback writes an 8 kHz mono 16-bit WAV at `device`: samples go to a hidden temp file in the
 * same directory (".<name>.XXXXXX"), and close() writes the real header, fsyncs, renames it over
 * `device` and fsyncs the directory, so a reader never sees a half-written file and a crash leaves
 * only a hidden temp file. A write error (full disk) is reported once, further writes fail, and
 * close() removes the temp file.
 *
 * Capture reads the WAV at `device` (16-bit PCM, µ-law or A-law, 8 kHz mono; G.711 is expanded to
 * linear). After the last sample, reads return 0 frames and silence: a codec input that went
 * quiet.
 *
 * Not paced and not real-time safe: stdio may block on the disk. That is fine for its users (tests,
 * a board whose "codec" is a file on tmpfs); the alsa backend is the one for the media thread.
 * Mixer controls are ignored: a file has none. */
#include "audio_internal.h"

#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "g711/g711.h"
#include "wav/wav.h"

#define FILE_CHUNK 512 /* samples converted per stdio call */
#define FILE_HEADER_PROBE 4096u
#define FILE_HEADER_MAX 65536u /* a LIST chunk bigger than this before "data" is refused */

struct file_audio {
	FILE *fp;
	/* playback */
	char tmp_path[HAL_AUDIO_DEVICE_MAX + 16];
	uint64_t data_bytes;
	bool failed; /* a write failed: the file is abandoned at close */
	/* capture */
	enum wav_encoding encoding;
	uint64_t remaining; /* samples left in the data chunk */
};

static void put_le16(uint8_t *p, int16_t v)
{
	uint16_t u = (uint16_t)v;
	p[0] = (uint8_t)(u & 0xff);
	p[1] = (uint8_t)(u >> 8);
}

static int16_t get_le16(const uint8_t *p)
{
	return (int16_t)(uint16_t)(p[0] | (p[1] << 8));
}

/* fsync the directory holding path, so a rename in it survives a power cut. */
static void fsync_parent(const char *path)
{
	char copy[HAL_AUDIO_DEVICE_MAX];
	snprintf(copy, sizeof(copy), "%s", path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

static int open_playback(struct hal_audio *a, struct file_audio *f)
{
	const char *path = a->cfg.device;
	char dir[HAL_AUDIO_DEVICE_MAX], base[HAL_AUDIO_DEVICE_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(base, sizeof(base), "%s", path);
	int n = snprintf(f->tmp_path, sizeof(f->tmp_path), "%s/.%s.XXXXXX", dirname(dir), basename(base));
	if (n < 0 || (size_t)n >= sizeof(f->tmp_path)) {
		hal_audio_set_error(a, "file: WAV path '%s' is too long", path);
		return -ENAMETOOLONG;
	}
	int fd = mkostemp(f->tmp_path, O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		hal_audio_set_error(a, "file: cannot create a temp file next to '%s': %s", path,
		                    strerror(err));
		return -err;
	}
	f->fp = fdopen(fd, "wb");
	if (f->fp == NULL) {
		int err = errno;
		close(fd);
		unlink(f->tmp_path);
		hal_audio_set_error(a, "file: fdopen for '%s': %s", path, strerror(err));
		return -err;
	}
	/* A placeholder header with no data, rewritten with the real length at close. */
	uint8_t hdr[WAV_HEADER_LEN];
	(void)wav_build_header(hdr, sizeof(hdr), 0);
	if (fwrite(hdr, 1, sizeof(hdr), f->fp) != sizeof(hdr)) {
		int err = errno ? errno : EIO;
		fclose(f->fp);
		unlink(f->tmp_path);
		hal_audio_set_error(a, "file: cannot write '%s': %s", f->tmp_path, strerror(err));
		return -err;
	}
	return 0;
}

static int open_capture(struct hal_audio *a, struct file_audio *f)
{
	const char *path = a->cfg.device;
	f->fp = fopen(path, "rbe");
	if (f->fp == NULL) {
		int err = errno;
		hal_audio_set_error(a, "file: cannot open WAV '%s' for capture: %s", path, strerror(err));
		return -err;
	}
	uint8_t *buf = malloc(FILE_HEADER_MAX);
	if (buf == NULL) {
		fclose(f->fp);
		return -ENOMEM;
	}
	size_t have = fread(buf, 1, FILE_HEADER_PROBE, f->fp);
	struct wav_info info;
	int rc = wav_parse_header(buf, have, &info);
	if (rc == WAV_ERR_TRUNCATED && info.needed > have && info.needed <= FILE_HEADER_MAX) {
		have += fread(buf + have, 1, info.needed - have, f->fp);
		rc = wav_parse_header(buf, have, &info);
	}
	free(buf);
	if (rc != WAV_OK) {
		hal_audio_set_error(a, "file: '%s' is not a WAV vmport can capture from: %s", path,
		                    info.error[0] ? info.error : wav_strerror(rc));
		fclose(f->fp);
		return -EINVAL;
	}
	struct stat st;
	if (fstat(fileno(f->fp), &st) != 0 || fseek(f->fp, (long)info.data_offset, SEEK_SET) != 0) {
		int err = errno;
		hal_audio_set_error(a, "file: cannot seek in '%s': %s", path, strerror(err));
		fclose(f->fp);
		return -err;
	}
	/* A writer that died leaves a data length of 0 or one beyond the end: trust the file size. */
	off_t size = st.st_size;
	uint64_t in_file = size > (off_t)info.data_offset ? (uint64_t)(size - (off_t)info.data_offset) : 0;
	uint64_t data = info.data_len == 0 || info.data_len > in_file ? in_file : info.data_len;
	f->encoding = info.encoding;
	f->remaining = info.encoding == WAV_PCM16 ? data / 2 : data;
	return 0;
}

static int file_open(struct hal_audio *a)
{
	struct file_audio *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -ENOMEM;
	if (a->cfg.device[0] == '\0') {
		hal_audio_set_error(a, "file: no WAV path for %s", hal_audio_dir_name(a->cfg.dir));
		free(f);
		return -EINVAL;
	}
	int rc = a->cfg.dir == HAL_AUDIO_PLAYBACK ? open_playback(a, f) : open_capture(a, f);
	if (rc != 0) {
		free(f);
		return rc;
	}
	a->priv = f;
	return 0;
}

static int file_start(struct hal_audio *a)
{
	(void)a;
	return 0;
}

static int file_write(struct hal_audio *a, const int16_t *frames, size_t n)
{
	struct file_audio *f = a->priv;
	if (f->failed)
		return -EIO;
	/* Past what a WAV header can describe, the rest is dropped (that is 74 hours at 8 kHz). */
	uint64_t room = (WAV_MAX_DATA_LEN & ~1ull) - f->data_bytes;
	size_t take = n;
	if ((uint64_t)take * 2 > room)
		take = (size_t)(room / 2);
	uint8_t bytes[FILE_CHUNK * 2];
	for (size_t done = 0; done < take;) {
		size_t k = take - done < FILE_CHUNK ? take - done : FILE_CHUNK;
		for (size_t i = 0; i < k; i++)
			put_le16(bytes + 2 * i, frames[done + i]);
		if (fwrite(bytes, 2, k, f->fp) != k) {
			int err = errno ? errno : EIO;
			f->failed = true;
			a->stats.errors++;
			hal_audio_set_error(a, "file: writing '%s' failed: %s; the recording is abandoned",
			                    a->cfg.device, strerror(err));
			return -err;
		}
		done += k;
		f->data_bytes += 2 * k;
	}
	a->stats.frames_written += take;
	a->stats.frames_dropped += n - take;
	return (int)take;
}

static int file_read(struct hal_audio *a, int16_t *frames, size_t n)
{
	struct file_audio *f = a->priv;
	size_t want = n < f->remaining ? n : (size_t)f->remaining;
	size_t got = 0;
	uint8_t bytes[FILE_CHUNK * 2];
	size_t width = f->encoding == WAV_PCM16 ? 2 : 1;
	while (got < want) {
		size_t k = want - got < FILE_CHUNK ? want - got : FILE_CHUNK;
		size_t r = fread(bytes, width, k, f->fp);
		if (width == 2) {
			for (size_t i = 0; i < r; i++)
				frames[got + i] = get_le16(bytes + 2 * i);
		} else {
			g711_decode(f->encoding == WAV_MULAW ? G711_ULAW : G711_ALAW, bytes, frames + got, r);
		}
		got += r;
		if (r < k) {
			if (ferror(f->fp)) {
				int err = errno ? errno : EIO;
				a->stats.errors++;
				hal_audio_set_error(a, "file: reading '%s' failed: %s", a->cfg.device,
				                    strerror(err));
				memset(frames + got, 0, (n - got) * sizeof(*frames));
				f->remaining = 0;
				return -err;
			}
			f->remaining = 0; /* shorter than it said: that is the end */
			break;
		}
	}
	if (f->remaining > 0)
		f->remaining -= got;
	memset(frames + got, 0, (n - got) * sizeof(*frames));
	a->stats.frames_read += got;
	return (int)got;
}

static int file_stop(struct hal_audio *a)
{
	struct file_audio *f = a->priv;
	/* Hand what was written to the kernel, so a reader of the temp file sees it; the real header
	 * comes at close. */
	if (a->cfg.dir == HAL_AUDIO_PLAYBACK && !f->failed)
		(void)fflush(f->fp);
	return 0;
}

static int finish_playback(struct hal_audio *a, struct file_audio *f)
{
	int err = 0;
	if (!f->failed) {
		uint8_t hdr[WAV_HEADER_LEN];
		(void)wav_build_header(hdr, sizeof(hdr), (uint32_t)f->data_bytes);
		if (fseek(f->fp, 0, SEEK_SET) != 0 || fwrite(hdr, 1, sizeof(hdr), f->fp) != sizeof(hdr) ||
		    fflush(f->fp) != 0 || fsync(fileno(f->fp)) != 0)
			err = errno ? errno : EIO;
	}
	if (fclose(f->fp) != 0 && err == 0)
		err = errno ? errno : EIO;
	f->fp = NULL;
	if (f->failed || err != 0) {
		unlink(f->tmp_path);
		if (err != 0) {
			a->stats.errors++;
			hal_audio_set_error(a, "file: finishing '%s' failed: %s; nothing was saved",
			                    a->cfg.device, strerror(err));
			return -err;
		}
		return -EIO; /* the write error was reported when it happened */
	}
	if (rename(f->tmp_path, a->cfg.device) != 0) {
		err = errno;
		unlink(f->tmp_path);
		a->stats.errors++;
		hal_audio_set_error(a, "file: cannot rename the temp file to '%s': %s", a->cfg.device,
		                    strerror(err));
		return -err;
	}
	fsync_parent(a->cfg.device);
	return 0;
}

static int file_close(struct hal_audio *a)
{
	struct file_audio *f = a->priv;
	int rc = 0;
	if (f == NULL)
		return 0;
	if (a->cfg.dir == HAL_AUDIO_PLAYBACK)
		rc = finish_playback(a, f);
	else if (f->fp != NULL)
		fclose(f->fp);
	free(f);
	a->priv = NULL;
	return rc;
}

static int file_caps(const struct hal_audio *a, struct hal_audio_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	caps->playback = true;
	caps->capture = true;
	caps->rate = a->cfg.rate;
	caps->channels = a->cfg.channels;
	caps->period_frames = hal_audio_period_frames(&a->cfg);
	caps->buffer_frames = caps->period_frames * a->cfg.buffer_periods;
	return 0;
}

const struct hal_audio_ops hal_audio_file_ops = {
    .name = "file",
    .open = file_open,
    .start = file_start,
    .write = file_write,
    .read = file_read,
    .stop = file_stop,
    .close = file_close,
    .caps = file_caps,
};
