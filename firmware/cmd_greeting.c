/* `vmport greeting record -c CONF [-b BOARD] [--seconds N] [-o FILE]`: a new greeting from the
 * board's codec input (the board file's [audio] `capture` device, through hal/audio).
 *
 * The audio is captured into memory first (at most 600 s: 9.6 MB) and written only once the
 * capture is over, through the HAL's `file` backend: a hidden temp file beside FILE, header,
 * fsync, rename. So a capture that fails, or delivers nothing, never touches the previous
 * greeting, and a write that fails leaves it as it was too. SIGINT/SIGTERM end the capture early
 * and keep what was recorded. */
#include "cmd.h"

#include "board/board.h"
#include "config.h"
#include "data_dir.h"

#include "audio/hal_audio.h"

#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_SECONDS 10u
#define MAX_SECONDS 600u
/* A paced device this far behind the wall clock has stopped delivering: keep what came. */
#define STALL_GRACE_MS 2000u

#define USAGE "usage: vmport greeting record -c CONF [-b BOARD] [--seconds N] [-o FILE]\n"

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

struct recording {
	struct hal_audio in;
	int16_t *pcm; /* everything captured so far */
	size_t frames;
	size_t want;
	unsigned peak; /* largest |sample| */
	bool stalled;  /* a paced device stopped delivering before `want` */
};

static uint64_t ms_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t ms = (int64_t)(now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
	return ms > 0 ? (uint64_t)ms : 0;
}

/* Sleep until the next point of the period grid; a stop signal cuts the sleep short. */
static void next_tick(struct timespec *t, unsigned ms)
{
	t->tv_nsec += (long)ms * 1000000L;
	while (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, t, NULL) != 0 && !stop_signal)
		;
}

/* One read of at most n frames onto the end of the recording: frames delivered, or -1. */
static int read_some(struct recording *r, size_t n)
{
	int16_t *at = r->pcm + r->frames;
	int got = hal_audio_read(&r->in, at, n);
	if (got < 0) {
		fprintf(stderr, "vmport greeting record: %s\n",
		        r->in.error[0] ? r->in.error : strerror(-got));
		return -1;
	}
	for (int i = 0; i < got; i++) {
		unsigned mag = at[i] < 0 ? (unsigned)(-(int)at[i]) : (unsigned)at[i];
		if (mag > r->peak)
			r->peak = mag;
	}
	r->frames += (size_t)got;
	return got;
}

/* A codec on its own clock: one wake-up per period on an absolute grid, taking what arrived.
 * Never more than the wall clock allows (plus one device buffer), so a PCM that claims to be
 * paced but delivers on demand (ALSA's file and null plug-ins) still records in real time. */
static int capture_paced(struct recording *r, const struct hal_audio_caps *caps)
{
	unsigned period_ms = r->in.cfg.period_ms;
	size_t period = caps->period_frames ? caps->period_frames : HAL_AUDIO_RATE * period_ms / 1000u;
	uint64_t deadline_ms = (uint64_t)r->want * 1000u / HAL_AUDIO_RATE + STALL_GRACE_MS;
	struct timespec t0, tick;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tick = t0;
	while (r->frames < r->want && !stop_signal) {
		uint64_t elapsed = ms_since(&t0);
		uint64_t allowed = elapsed * HAL_AUDIO_RATE / 1000u + caps->buffer_frames;
		size_t limit = allowed < r->want ? (size_t)allowed : r->want;
		while (r->frames < limit) {
			size_t n = limit - r->frames < period ? limit - r->frames : period;
			int got = read_some(r, n);
			if (got < 0)
				return -1;
			if ((size_t)got < n)
				break;
		}
		if (r->frames >= r->want)
			break;
		if (elapsed >= deadline_ms) {
			r->stalled = true;
			break;
		}
		next_tick(&tick, period_ms);
	}
	return 0;
}

/* On demand (the `file` backend reading a WAV): until the input ends or the duration is reached. */
static int capture_unpaced(struct recording *r)
{
	size_t chunk = HAL_AUDIO_RATE / 10u;
	while (r->frames < r->want && !stop_signal) {
		size_t n = r->want - r->frames < chunk ? r->want - r->frames : chunk;
		int got = read_some(r, n);
		if (got < 0)
			return -1;
		if (got == 0)
			break; /* the end of the input */
	}
	return 0;
}

/* Both name the same existing file. */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Fail early, before the user speaks for a minute, when the output cannot be created. */
static int check_output_dir(const char *out)
{
	char copy[VMPORT_PATH_MAX + 256];
	snprintf(copy, sizeof(copy), "%s", out);
	const char *dir = dirname(copy);
	struct stat st;
	int err = 0;
	if (stat(dir, &st) != 0)
		err = errno;
	else if (!S_ISDIR(st.st_mode))
		err = ENOTDIR;
	else if (access(dir, W_OK | X_OK) != 0)
		err = errno;
	if (err != 0) {
		fprintf(stderr,
		        "vmport greeting record: cannot write the greeting '%s': directory '%s': %s\n", out,
		        dir, strerror(err));
		return -1;
	}
	return 0;
}

/* Write the recording with the HAL's file backend (temp file, header, fsync, rename). The file
 * backend takes every frame a WAV can hold (74 hours; a recording is at most 600 s). A write
 * error marks its file abandoned, so close() then removes the temp file and renames nothing. */
static int save(const struct recording *r, const char *out)
{
	struct hal_audio w;
	memset(&w, 0, sizeof(w));
	struct hal_audio_config wc;
	hal_audio_config_init(&wc, HAL_AUDIO_PLAYBACK);
	snprintf(wc.device, sizeof(wc.device), "%s", out);
	int rc = hal_audio_open(&w, hal_audio_find("file"), &wc);
	if (rc == 0)
		rc = hal_audio_start(&w);
	if (rc == 0) {
		int took = hal_audio_write(&w, r->pcm, r->frames);
		rc = took < 0 ? took : 0;
	}
	char why[HAL_AUDIO_ERROR_MAX];
	snprintf(why, sizeof(why), "%s", w.error);
	int crc = hal_audio_close(&w);
	if (rc == 0 && crc != 0) {
		rc = crc;
		snprintf(why, sizeof(why), "%s", w.error);
	}
	if (rc != 0) {
		fprintf(stderr, "vmport greeting record: %s\n", why[0] ? why : strerror(-rc));
		return -1;
	}
	return 0;
}

static int parse_seconds(const char *s, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < 1 || v > MAX_SECONDS)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int record(const char *conf, const char *board_name, unsigned seconds, const char *out_opt)
{
	struct vmport_config cfg;
	char err[512];
	if (vmport_config_load(&cfg, conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "vmport greeting record: %s\n", err);
		return 1;
	}
	const char *out = out_opt ? out_opt : cfg.greeting;
	if (out[0] == '\0') {
		fprintf(
		    stderr,
		    "vmport greeting record: %s has no greeting file (it uses the shipped greeting, which is "
		    "never overwritten): set `greeting = PATH` in its [media] section, or pass -o FILE\n",
		    conf);
		return 1;
	}
	if (strlen(out) >= HAL_AUDIO_DEVICE_MAX) {
		fprintf(stderr, "vmport greeting record: output path '%s' is too long (at most %u bytes)\n",
		        out, HAL_AUDIO_DEVICE_MAX - 1);
		return 1;
	}
	char shipped[VMPORT_PATH_MAX];
	if (vm_data_find("greeting.wav", shipped, sizeof(shipped)) == 0 && same_file(out, shipped)) {
		fprintf(
		    stderr,
		    "vmport greeting record: '%s' is the shipped greeting (%s), which is never overwritten: "
		    "record to a file of your own (-o FILE, or `greeting = PATH` in %s)\n",
		    out, shipped, conf);
		return 1;
	}
	if (check_output_dir(out) < 0)
		return 1;

	char board_path[512];
	if (vm_board_path(board_name, board_path, sizeof(board_path)) < 0) {
		fprintf(stderr, "vmport greeting record: board '%s': no board.ini (last tried %s)\n",
		        board_name, board_path);
		return 1;
	}
	struct vm_board board;
	if (vm_board_load(&board, board_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "vmport greeting record: %s\n", err);
		return 1;
	}
	if (!strcmp(board.audio.backend, "null")) {
		fprintf(stderr,
		        "vmport greeting record: board '%s' (%s) has no codec ([audio] backend = null): "
		        "there is no input to record a greeting from\n",
		        board_name, board_path);
		return 1;
	}
	struct hal_audio_config ac;
	if (!vm_board_audio_config(&board, HAL_AUDIO_CAPTURE, &ac)) {
		fprintf(
		    stderr,
		    "vmport greeting record: board '%s' (%s): its [audio] section has no `capture` device\n",
		    board_name, board_path);
		return 1;
	}

	struct recording r;
	memset(&r, 0, sizeof(r));
	r.want = (size_t)seconds * HAL_AUDIO_RATE;
	r.pcm = calloc(r.want, sizeof(*r.pcm));
	if (r.pcm == NULL) {
		fprintf(stderr, "vmport greeting record: out of memory for %u s of audio\n", seconds);
		return 1;
	}
	if (hal_audio_open_by_name(&r.in, board.audio.backend, &ac) != 0 || hal_audio_start(&r.in) != 0) {
		fprintf(stderr, "vmport greeting record: %s\n",
		        r.in.error[0] ? r.in.error : "cannot open the capture device");
		hal_audio_close(&r.in);
		free(r.pcm);
		return 1;
	}
	struct hal_audio_caps caps;
	memset(&caps, 0, sizeof(caps));
	(void)hal_audio_caps(&r.in, &caps);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal; /* no SA_RESTART: a signal ends the sleep */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	fprintf(stderr, "vmport greeting record: recording up to %u s from %s '%s' (board %s)%s\n", seconds,
	        board.audio.backend, ac.device, board_name, caps.paced ? "; Ctrl-C stops early" : "");
	int rc = caps.paced ? capture_paced(&r, &caps) : capture_unpaced(&r);
	hal_audio_stop(&r.in);
	hal_audio_close(&r.in);
	if (rc < 0) {
		fprintf(stderr, "vmport greeting record: nothing saved; '%s' is unchanged\n", out);
		free(r.pcm);
		return 1;
	}
	double kept = (double)r.frames / HAL_AUDIO_RATE;
	if (stop_signal)
		fprintf(stderr, "vmport greeting record: %s: stopped early, keeping %.2f s\n",
		        stop_signal == SIGINT ? "SIGINT" : "SIGTERM", kept);
	else if (r.stalled)
		fprintf(stderr,
		        "vmport greeting record: warning: '%s' delivered only %.2f of %u s; keeping that\n",
		        ac.device, kept, seconds);
	if (r.frames == 0) {
		fprintf(stderr,
		        "vmport greeting record: nothing was captured from %s '%s': '%s' is unchanged\n",
		        board.audio.backend, ac.device, out);
		free(r.pcm);
		return 1;
	}
	if (save(&r, out) < 0) {
		fprintf(stderr, "vmport greeting record: nothing saved; '%s' is unchanged\n", out);
		free(r.pcm);
		return 1;
	}
	free(r.pcm);

	char peak[32];
	if (r.peak == 0)
		snprintf(peak, sizeof(peak), "-inf dBFS (silence)");
	else
		snprintf(peak, sizeof(peak), "%.1f dBFS", 20.0 * log10((double)r.peak / 32768.0));
	printf("greeting: %zu frames (%.2f s) written to %s, peak %s, %u overruns\n", r.frames, kept, out,
	       peak, r.in.stats.overruns);
	if (r.peak == 0)
		fprintf(stderr, "vmport greeting record: warning: the recording is silent (check the board's "
		                "capture mixer controls)\n");
	if (same_file(out, cfg.greeting[0] ? cfg.greeting : ""))
		printf("a running `vmport run -c %s` plays it after SIGHUP (`systemctl reload vmport`, "
		       "`kill -HUP`) or a restart\n",
		       conf);
	else
		printf("%s's greeting is %s: set `greeting = %s` in its [media] section to use this one\n",
		       conf, cfg.greeting[0] ? cfg.greeting : "the shipped one", out);
	return 0;
}

int cmd_greeting(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "record") != 0) {
		fprintf(stderr, USAGE);
		return 2;
	}
	const char *conf = NULL, *out = NULL;
	const char *board = getenv("VMPORT_BOARD") ? getenv("VMPORT_BOARD") : "host";
	unsigned seconds = DEFAULT_SECONDS;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < argc) {
			conf = argv[++i];
		} else if (!strcmp(argv[i], "-b") && i + 1 < argc) {
			board = argv[++i];
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			out = argv[++i];
		} else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			if (parse_seconds(argv[++i], &seconds) < 0) {
				fprintf(stderr,
				        "vmport greeting record: --seconds '%s': must be a whole number from "
				        "1 to %u\n",
				        argv[i], MAX_SECONDS);
				return 2;
			}
		} else {
			fprintf(stderr, USAGE);
			return 2;
		}
	}
	if (conf == NULL || (out != NULL && out[0] == '\0')) {
		fprintf(stderr, USAGE);
		return 2;
	}
	return record(conf, board, seconds, out);
}
