/* audio_tool: drive one hal/audio instance from the command line, the way the media thread does
 * (one packet per period on an absolute grid). For the black-box test under ALSA_CONFIG_PATH and
 * for bringing up a board's codec by hand.
 *
 *   audio_tool play    [options] [--seconds S] [--tone HZ]       a sine tone, amplitude 8000
 *   audio_tool capture [options] --frames N --out FILE.raw        S16_LE samples
 * options: --backend alsa|file|null  --device NAME  --mixer NAME  --control "Name=value" (repeat)
 *          --period MS  --buffer PERIODS
 * Exit status 0, or 1 with the HAL's error on stderr. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audio/hal_audio.h"

static void usage(void)
{
	fprintf(stderr,
	        "usage: audio_tool play|capture [--backend B] [--device D] [--mixer M] [--control N=V]...\n"
	        "                  [--period MS] [--buffer PERIODS] [--seconds S] [--tone HZ]\n"
	        "                  [--frames N --out FILE.raw]\n");
}

static void next_tick(struct timespec *t, unsigned ms)
{
	t->tv_nsec += (long)ms * 1000000L;
	while (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, t, NULL) != 0)
		;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage();
		return 2;
	}
	const char *cmd = argv[1];
	const char *backend = "alsa", *out_path = NULL;
	double seconds = 1.0, hz = 1000.0;
	long frames_wanted = 0;
	bool capture = strcmp(cmd, "capture") == 0;
	if (!capture && strcmp(cmd, "play") != 0) {
		usage();
		return 2;
	}
	struct hal_audio_config cfg;
	hal_audio_config_init(&cfg, capture ? HAL_AUDIO_CAPTURE : HAL_AUDIO_PLAYBACK);

	static const struct option opts[] = {
	    {"backend", required_argument, NULL, 'b'},
	    {"device", required_argument, NULL, 'd'},
	    {"mixer", required_argument, NULL, 'm'},
	    {"control", required_argument, NULL, 'c'},
	    {"period", required_argument, NULL, 'p'},
	    {"buffer", required_argument, NULL, 'B'},
	    {"seconds", required_argument, NULL, 's'},
	    {"tone", required_argument, NULL, 't'},
	    {"frames", required_argument, NULL, 'n'},
	    {"out", required_argument, NULL, 'o'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			backend = optarg;
			break;
		case 'd':
			snprintf(cfg.device, sizeof(cfg.device), "%s", optarg);
			break;
		case 'm':
			snprintf(cfg.mixer, sizeof(cfg.mixer), "%s", optarg);
			break;
		case 'c':
			if (hal_audio_config_add_control(&cfg, optarg) != 0) {
				fprintf(stderr, "audio_tool: bad --control '%s' (want Name=value)\n", optarg);
				return 2;
			}
			break;
		case 'p':
			cfg.period_ms = (unsigned)atoi(optarg);
			break;
		case 'B':
			cfg.buffer_periods = (unsigned)atoi(optarg);
			break;
		case 's':
			seconds = atof(optarg);
			break;
		case 't':
			hz = atof(optarg);
			break;
		case 'n':
			frames_wanted = atol(optarg);
			break;
		case 'o':
			out_path = optarg;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (capture && (frames_wanted <= 0 || out_path == NULL)) {
		usage();
		return 2;
	}

	struct hal_audio a;
	if (hal_audio_open_by_name(&a, backend, &cfg) != 0 || hal_audio_start(&a) != 0) {
		fprintf(stderr, "audio_tool: %s\n", a.error);
		hal_audio_close(&a);
		return 1;
	}
	struct hal_audio_caps caps;
	hal_audio_caps(&a, &caps);
	unsigned packet = cfg.rate * cfg.period_ms / 1000u;
	int16_t *buf = calloc(packet, sizeof(*buf));
	struct timespec tick;
	clock_gettime(CLOCK_MONOTONIC, &tick);
	int rc = 0;

	if (!capture) {
		long total = lround(seconds * cfg.rate);
		for (long done = 0; done < total && rc >= 0; done += packet) {
			size_t n = (size_t)(total - done < (long)packet ? total - done : (long)packet);
			for (size_t i = 0; i < n; i++)
				buf[i] = (int16_t)lrint(
				    8000.0 * sin(2.0 * M_PI * hz * (double)(done + (long)i) / cfg.rate));
			rc = hal_audio_write(&a, buf, n);
			if (caps.paced)
				next_tick(&tick, cfg.period_ms);
		}
	} else {
		FILE *out = fopen(out_path, "wb");
		if (out == NULL) {
			perror(out_path);
			return 1;
		}
		long done = 0;
		unsigned idle = 0;
		while (done < frames_wanted && rc >= 0) {
			size_t n = (size_t)(frames_wanted - done < (long)packet ? frames_wanted - done
			                                                        : (long)packet);
			rc = hal_audio_read(&a, buf, n);
			for (int i = 0; i < rc; i++) {
				uint8_t le[2] = {(uint8_t)((uint16_t)buf[i] & 0xff),
				                 (uint8_t)((uint16_t)buf[i] >> 8)};
				fwrite(le, 1, 2, out);
			}
			if (rc > 0) {
				done += rc;
				idle = 0;
			} else if (rc == 0 && ++idle > 1000 / cfg.period_ms * 5) {
				fprintf(stderr, "audio_tool: no audio from '%s' for 5 s\n", cfg.device);
				rc = -ETIMEDOUT;
			}
			if (caps.paced && rc >= 0 && done < frames_wanted)
				next_tick(&tick, cfg.period_ms);
		}
		if (fclose(out) != 0)
			rc = -EIO;
	}
	if (rc < 0 && a.error[0] != '\0')
		fprintf(stderr, "audio_tool: %s\n", a.error);
	fprintf(stderr,
	        "audio_tool: %s %s '%s': %llu written, %llu read, %llu dropped, %u underruns, %u overruns, "
	        "period %u, buffer %u frames\n",
	        backend, capture ? "capture" : "play", cfg.device, (unsigned long long)a.stats.frames_written,
	        (unsigned long long)a.stats.frames_read, (unsigned long long)a.stats.frames_dropped,
	        a.stats.underruns, a.stats.overruns, caps.period_frames, caps.buffer_frames);
	hal_audio_stop(&a);
	if (hal_audio_close(&a) != 0) {
		fprintf(stderr, "audio_tool: %s\n", a.error);
		rc = -EIO;
	}
	free(buf);
	return rc < 0 ? 1 : 0;
}
