/* vmport-bench media: N full-duplex SRTP G.711 streams through one media engine on loopback.
 *
 * Set-up: engine A (the one measured) on one CPU at SCHED_FIFO P with mlockall; engine B, the far
 * end, in a child process on the other CPU at P-1, its N channels looped one-to-one to A's. Both
 * play a 1 kHz tone, so every packet is a real encrypted voice packet in both directions. A bare
 * timer thread at P on B's CPU wakes on its own absolute grid: it preempts B, so it measures what
 * the platform gives a real-time thread under the same load, in the same run.
 *
 * Printed: CPU time per stream (engine A's thread), engine A's CPU per packet pair (one sent,
 * one received, everything included) next to bare libsrtp protect+unprotect of the same packet
 * measured here (one context pair, and cycling over N like the engine), and send-time lateness
 * (due time on the grid to sendto) next to the bare timer's wake-up lateness. Engine A's CPU is
 * also split into user mode (judged against bare libsrtp, which is all user mode) and kernel mode
 * (judged against bare UDP, which is nearly all kernel), from samples of its thread's CPU clock
 * (cpu_split.h says why not from the kernel's own utime/stime). */
#include <errno.h>
#include <poll.h>
#include <sys/wait.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <srtp2/srtp.h>

#include "bench.h"
#include "clock/hal_clock.h"
#include "cpu_split.h"
#include "log.h"
#include "media.h"
#include "media_clip.h"
#include "media_hist.h"
#include "media_srtp.h"
#include "rt/hal_rt.h"

struct opts {
	unsigned streams;
	unsigned seconds;
	unsigned warmup;
	unsigned suite;
	unsigned ptime;
	int prio;
	int cpu;
	int peer_cpu;
	bool rt;
	unsigned slot_fill;
};

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t process_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char *suite_name(unsigned suite)
{
	return suite == MEDIA_CRYPTO_NONE ? "plain RTP" : media_crypto_name(suite);
}

static void make_key(unsigned suite, struct media_key *k)
{
	memset(k, 0, sizeof(*k));
	k->algorithm = suite;
	if (suite == MEDIA_CRYPTO_NONE)
		return;
	k->key_len = suite == MEDIA_CRYPTO_AEAD_AES_256_GCM ? 32 : 16;
	k->salt_len = suite >= MEDIA_CRYPTO_AEAD_AES_128_GCM ? 12 : 14;
	hal_random_bytes(k->key, k->key_len);
	hal_random_bytes(k->salt, k->salt_len);
}

/* ---- bare libsrtp: protect + unprotect, on the calling thread ---- */

/* ns of thread CPU per protect+unprotect of one G.711 packet, cycling over `contexts` pairs of
 * sessions (1: the library's best case; N: the same working set as N channels). 0 on failure. */
static double bare_srtp_pair_ns(unsigned suite, unsigned ptime, unsigned iterations, unsigned contexts)
{
	struct media_key k;
	uint8_t material[MEDIA_KEY_MAX + MEDIA_SALT_MAX];
	srtp_policy_t pol_tx, pol_rx;
	srtp_t *tx = calloc(contexts, sizeof(*tx)), *rx = calloc(contexts, sizeof(*rx));
	double result = 0;

	if (suite == MEDIA_CRYPTO_NONE || tx == NULL || rx == NULL)
		goto out;
	memset(&pol_tx, 0, sizeof(pol_tx));
	switch (suite) {
	case MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol_tx.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol_tx.rtcp);
		break;
	case MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol_tx.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol_tx.rtcp);
		break;
	case MEDIA_CRYPTO_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol_tx.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol_tx.rtcp);
		break;
	case MEDIA_CRYPTO_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&pol_tx.rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&pol_tx.rtcp);
		break;
	}
	pol_tx.key = material;
	pol_tx.window_size = 128;
	pol_rx = pol_tx;
	pol_tx.ssrc.type = ssrc_any_outbound;
	pol_rx.ssrc.type = ssrc_any_inbound;
	if (media_srtp_global_init() != 0)
		goto out;
	for (unsigned c = 0; c < contexts; c++) {
		make_key(suite, &k);
		memcpy(material, k.key, k.key_len);
		memcpy(material + k.key_len, k.salt, k.salt_len);
		if (srtp_create(&tx[c], &pol_tx) != srtp_err_status_ok ||
		    srtp_create(&rx[c], &pol_rx) != srtp_err_status_ok)
			goto out;
	}

	size_t payload = ptime * 8u;
	uint8_t plain[12 + 480], pkt[12 + 480 + SRTP_MAX_TRAILER_LEN];
	memset(plain, 0xd5, sizeof(plain));
	plain[0] = 0x80;
	plain[1] = 0x00;
	plain[8] = 0x12;
	plain[9] = 0x34;
	plain[10] = 0x56;
	plain[11] = 0x78;
	uint64_t t0 = 0;
	unsigned warm = 2 * contexts + 1000; /* every stream cloned, caches warm */
	for (unsigned i = 0; i < iterations + warm; i++) {
		if (i == warm)
			t0 = thread_cpu_ns();
		unsigned c = i % contexts, n = i / contexts;
		memcpy(pkt, plain, 12 + payload);
		pkt[2] = (uint8_t)(n >> 8);
		pkt[3] = (uint8_t)n;
		uint32_t ts = n * (uint32_t)payload;
		pkt[4] = (uint8_t)(ts >> 24);
		pkt[5] = (uint8_t)(ts >> 16);
		pkt[6] = (uint8_t)(ts >> 8);
		pkt[7] = (uint8_t)ts;
		int len = (int)(12 + payload);
		if (srtp_protect(tx[c], pkt, &len) != srtp_err_status_ok ||
		    srtp_unprotect(rx[c], pkt, &len) != srtp_err_status_ok)
			goto out;
	}
	result = (double)(thread_cpu_ns() - t0) / iterations;
out:
	for (unsigned c = 0; tx != NULL && rx != NULL && c < contexts; c++) {
		if (tx[c] != NULL)
			srtp_dealloc(tx[c]);
		if (rx[c] != NULL)
			srtp_dealloc(rx[c]);
	}
	free(tx);
	free(rx);
	explicit_bzero(material, sizeof(material));
	explicit_bzero(&k, sizeof(k));
	return result;
}

/* ---- bare UDP: one 176-byte datagram sent and received over loopback ---- */

/* ns of thread CPU per sendto + recv of one SRTP-sized datagram, cycling over `pairs` socket
 * pairs (on loopback the sender's call also runs the receiver's network stack). 0 on failure. */
static double bare_udp_pair_ns(unsigned pairs, unsigned iterations)
{
	int *tx = calloc(pairs, sizeof(int)), *rx = calloc(pairs, sizeof(int));
	struct sockaddr_in *to = calloc(pairs, sizeof(*to));
	double result = 0;
	unsigned made = 0;
	if (tx == NULL || rx == NULL || to == NULL)
		goto out;
	for (; made < pairs; made++) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		socklen_t sl = sizeof(sa);
		tx[made] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		rx[made] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (tx[made] < 0 || rx[made] < 0 || bind(rx[made], (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
		    getsockname(rx[made], (struct sockaddr *)&to[made], &sl) != 0) {
			if (tx[made] >= 0)
				close(tx[made]);
			if (rx[made] >= 0)
				close(rx[made]);
			goto out;
		}
	}
	uint8_t pkt[176], back[1500];
	memset(pkt, 0x5a, sizeof(pkt));
	uint64_t t0 = 0;
	unsigned warm = 2 * pairs + 1000;
	for (unsigned i = 0; i < iterations + warm; i++) {
		if (i == warm)
			t0 = thread_cpu_ns();
		unsigned c = i % pairs;
		if (sendto(tx[c], pkt, sizeof(pkt), MSG_DONTWAIT, (struct sockaddr *)&to[c], sizeof(to[c])) <
		        0 ||
		    recv(rx[c], back, sizeof(back), MSG_DONTWAIT) < 0)
			goto out;
	}
	result = (double)(thread_cpu_ns() - t0) / iterations;
out:
	for (unsigned c = 0; c < made; c++) {
		close(tx[c]);
		close(rx[c]);
	}
	free(tx);
	free(rx);
	free(to);
	return result;
}

/* ---- bare timer thread ---- */

/* 2 ms rather than 20: the same wake-up on the same kind of absolute grid, ten times the
 * samples, so that its p99.9 rests on thousands of wake-ups even in a short run. */
#define BARE_TIMER_PERIOD_NS 2000000u

struct bare_timer {
	pthread_t thread;
	struct hal_rt_policy policy;
	bool rt;
	atomic_bool stop;
	atomic_bool reset;
	struct media_hist hist;
	int apply_rc;
};

static void *bare_timer_main(void *arg)
{
	struct bare_timer *t = arg;
	struct hal_rt_result res;
	t->apply_rc = t->rt ? hal_rt_apply(hal_rt_find("linux"), &t->policy, &res) : 0;
	const uint64_t period = BARE_TIMER_PERIOD_NS;
	uint64_t next = (hal_clock_now_ns() / period + 1) * period;
	while (!atomic_load(&t->stop)) {
		hal_rt_sleep_until_ns(next);
		uint64_t now = hal_clock_now_ns();
		if (atomic_load(&t->reset)) {
			media_hist_reset(&t->hist);
			atomic_store(&t->reset, false);
		} else {
			media_hist_add(&t->hist, (int64_t)(now - next));
		}
		next += period;
		if (next < now) /* overran: stay on the grid, skip the missed wake-ups */
			next += (now - next) / period * period + period;
	}
	return NULL;
}

/* ---- the run ---- */

static int wait_events(struct media_engine *e, unsigned n, int type, uint16_t *ports, unsigned timeout_ms)
{
	unsigned got = 0;
	uint64_t deadline = hal_clock_now_ms() + timeout_ms;
	struct media_event ev;
	while (got < n) {
		int any = 0;
		while (media_poll_event(e, &ev) == 1) {
			any = 1;
			if (ev.type != type)
				continue;
			int status = type == MEDIA_EV_OPENED ? ev.u.opened.status : ev.u.status;
			if (status != MEDIA_OK) {
				fprintf(stderr, "vmport-bench: channel %u: %s failed: %s\n", ev.ch,
				        media_event_name(type), media_status_name(status));
				return -1;
			}
			if (ports != NULL)
				ports[ev.ch] = ev.u.opened.local_port;
			got++;
		}
		if (!any) {
			if (hal_clock_now_ms() > deadline) {
				fprintf(stderr, "vmport-bench: only %u of %u %s events\n", got, n,
				        media_event_name(type));
				return -1;
			}
			usleep(2000);
		}
	}
	return 0;
}

static void drain_events(struct media_engine *e)
{
	struct media_event ev;
	while (media_poll_event(e, &ev) == 1)
		;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	    {"streams", required_argument, NULL, 'n'},
	    {"seconds", required_argument, NULL, 's'},
	    {"warmup", required_argument, NULL, 'w'},
	    {"suite", required_argument, NULL, 'a'},
	    {"ptime", required_argument, NULL, 'p'},
	    {"prio", required_argument, NULL, 'P'},
	    {"cpu", required_argument, NULL, 'c'},
	    {"peer-cpu", required_argument, NULL, 'C'},
	    {"no-rt", no_argument, NULL, 'R'},
	    {"slot-fill", required_argument, NULL, 'F'},
	    {NULL, 0, NULL, 0},
	};
	*o = (struct opts){.streams = 100,
	                   .seconds = 10,
	                   .warmup = 2,
	                   .suite = 1,
	                   .ptime = 20,
	                   .prio = 80,
	                   .cpu = 0,
	                   .peer_cpu = 1,
	                   .rt = true,
	                   .slot_fill = 0};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->streams = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's':
			o->seconds = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'w':
			o->warmup = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'a':
			o->suite = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'p':
			o->ptime = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'P':
			o->prio = atoi(optarg);
			break;
		case 'c':
			o->cpu = atoi(optarg);
			break;
		case 'C':
			o->peer_cpu = atoi(optarg);
			break;
		case 'R':
			o->rt = false;
			break;
		case 'F':
			o->slot_fill = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			return -1;
		}
	}
	if (o->streams == 0 || o->streams > 4000 || o->seconds == 0 || o->prio < 2 || o->prio > 99 ||
	    (o->suite != 0 && o->suite != 1 && o->suite != 2 && o->suite != 5 && o->suite != 6) ||
	    o->ptime < 10 || o->ptime > 60 || o->ptime % 10 != 0) {
		fprintf(stderr, "vmport-bench media: bad arguments\n");
		return -1;
	}
	return 0;
}

static void print_lat(const char *name, const struct media_hist *h)
{
	printf("  %-30s %8.0f %8.0f %8.0f %8.0f %10llu\n", name, media_hist_percentile(h, 0.50) / 1e3,
	       media_hist_percentile(h, 0.99) / 1e3, media_hist_percentile(h, 0.999) / 1e3, h->max_ns / 1e3,
	       (unsigned long long)h->count);
}

/* The user/kernel split of engine A's media thread over the measured window. One sample per
 * ~0.5 ms of its CPU time (a prime number of ns, so that nothing periodic in the thread lines up
 * with it): ~15000 samples in a 10 s run at 75% of a core, +-0.8 points. */
#define SPLIT_PERIOD_NS 499979u

struct split_figures {
	bool sampled;      /* share from samples; otherwise from the kernel's ticks */
	double share;      /* user-mode share of the thread's CPU, 0..1; -1: unknown */
	double tick_share; /* the kernel's tick accounting's, for comparison; -1: unknown */
	double ci_points;  /* 95% half-width of a sampled share, percentage points */
	double unseen;     /* share of the CPU time outside the sampled clock, counted as kernel */
	uint64_t samples;
	double user_ns, kernel_ns; /* per packet pair */
};

static void split_compute(const struct cpu_split *s, uint64_t cpu_ns, double pair_ns, struct split_figures *f)
{
	f->samples = cpu_split_samples(s);
	f->tick_share = cpu_split_tick_user_share(s);
	f->share = cpu_split_user_share(s, cpu_ns);
	f->unseen = cpu_split_unseen_share(s, cpu_ns);
	f->sampled = f->share >= 0;
	if (!f->sampled)
		f->share = f->tick_share;
	f->ci_points = f->sampled ? 196.0 * sqrt(f->share * (1 - f->share) / (double)f->samples) : 0;
	f->user_ns = f->share >= 0 ? pair_ns * f->share : 0;
	f->kernel_ns = f->share >= 0 ? pair_ns - f->user_ns : 0;
}

static void print_split(const struct split_figures *f, double bare_ns, double bare_n_ns, double udp_ns)
{
	if (f->share < 0) {
		printf("  engine user/kernel split       : not measurable (no perf_event_open, no /proc)\n");
		return;
	}
	printf("  engine user mode per pair      : %7.2f us (%.0f%% of its CPU)", f->user_ns / 1e3,
	       100 * f->share);
	if (bare_ns > 0 && bare_n_ns > 0)
		printf("   vs bare libsrtp: ratio %.2f (1 context pair), %.2f (N)", f->user_ns / bare_ns,
		       f->user_ns / bare_n_ns);
	printf(
	    "\n  engine kernel mode per pair    : %7.2f us (%.0f%% of its CPU)   vs bare UDP: ratio %.2f\n",
	    f->kernel_ns / 1e3, 100 * (1 - f->share), udp_ns > 0 ? f->kernel_ns / udp_ns : 0);
	if (!f->sampled) {
		printf("  user/kernel split from         : the kernel's tick accounting (perf_event_open not "
		       "permitted): biased, see cpu_split.h\n");
		return;
	}
	printf("  user/kernel split from         : %llu samples of the thread's CPU clock, 1 per %.1f ms "
	       "(95%%: +-%.1f points);\n",
	       (unsigned long long)f->samples, SPLIT_PERIOD_NS / 1e6, f->ci_points);
	printf("                                   %.1f%% of its CPU unsampled (context switches) counted as "
	       "kernel; user is an upper bound\n",
	       100 * f->unseen);
	if (f->tick_share >= 0)
		printf("                                   (the kernel's tick accounting says %.0f%% user: "
		       "its ticks fall on grid slots)\n",
		       100 * f->tick_share);
}

/* The split's fields of the RESULT line. */
static void print_split_result(const struct split_figures *f, double bare_ns, double bare_n_ns, double udp_ns)
{
	printf(
	    " user_pair_us=%.2f kernel_pair_us=%.2f user_pct=%.1f user_ratio=%.2f user_ratioN=%.2f "
	    "kernel_ratio_udp=%.2f split_samples=%llu split_unseen_pct=%.1f split_src=%s tick_user_pct=%.1f",
	    f->user_ns / 1e3, f->kernel_ns / 1e3, f->share >= 0 ? 100 * f->share : -1,
	    bare_ns > 0 ? f->user_ns / bare_ns : 0, bare_n_ns > 0 ? f->user_ns / bare_n_ns : 0,
	    udp_ns > 0 ? f->kernel_ns / udp_ns : 0, (unsigned long long)f->samples, 100 * f->unseen,
	    f->sampled ? "perf" : (f->share >= 0 ? "ticks" : "none"),
	    f->tick_share >= 0 ? 100 * f->tick_share : -1);
}

/* Ports are fixed so the two processes need not exchange them: channel i of engine A uses
 * A_PORT + 2i, of engine B B_PORT + 2i (RTCP one above). */
#define A_PORT 10000u
#define B_PORT 20000u

/* Open every channel with explicit ports, start transmitting to the other engine, play the
 * tone; wait until all of it is applied. */
static int setup_engine(struct media_engine *e, const struct opts *o, unsigned local_base,
                        unsigned remote_base, const struct media_key *rx_keys,
                        const struct media_key *tx_keys, struct media_clip *tone)
{
	for (unsigned i = 0; i < o->streams; i++) {
		struct media_open_req r = {.local_port = (uint16_t)(local_base + 2 * i),
		                           .ptime_ms = (uint16_t)o->ptime,
		                           .codec = MEDIA_CODEC_PCMU,
		                           .dtmf_pt = 101,
		                           .key = rx_keys[i]};
		while (media_open(e, i, &r) == -EAGAIN)
			usleep(1000);
		explicit_bzero(&r, sizeof(r));
	}
	if (wait_events(e, o->streams, MEDIA_EV_OPENED, NULL, 60000) != 0)
		return -1;
	for (unsigned i = 0; i < o->streams; i++) {
		struct media_tx_req t = {.remote_addr = htonl(INADDR_LOOPBACK),
		                         .remote_port = (uint16_t)(remote_base + 2 * i),
		                         .ptime_ms = (uint16_t)o->ptime,
		                         .tos = 0xB8,
		                         .codec = MEDIA_CODEC_PCMU,
		                         .key = tx_keys[i]};
		while (media_start_tx(e, i, &t) == -EAGAIN)
			usleep(1000);
		explicit_bzero(&t, sizeof(t));
		while (media_play(e, i, tone, true) == -EAGAIN)
			usleep(1000);
	}
	return wait_events(e, o->streams, MEDIA_EV_TX_STARTED, NULL, 60000);
}

static void engine_config(struct media_engine_config *c, const struct opts *o, unsigned base, int cpu,
                          int prio, bool lock)
{
	media_engine_config_defaults(c);
	c->max_channels = o->streams;
	c->bind_addr = htonl(INADDR_LOOPBACK);
	c->port_min = (uint16_t)base;
	c->port_max = (uint16_t)(base + 2 * o->streams + 1);
	c->rt_backend = o->rt ? "linux" : "null";
	c->rt.priority = prio;
	c->rt.cpu = cpu;
	c->rt.lock_memory = lock;
	if (o->slot_fill > 0)
		c->slot_fill = o->slot_fill;
}

/* The far end, in its own process: libsrtp's NSS backend serialises every packet of a process
 * on the softoken's session locks, so two engines in one process would measure each other's
 * lock waits instead of the engine. The far end is another machine in real life anyway. */
static int run_far_end(const struct opts *o, const struct media_key *k_ab, const struct media_key *k_ba,
                       int ready_fd, int stop_fd)
{
	struct media_engine_config cfg;
	struct media_engine *b = NULL;
	struct media_clip *tone = NULL;
	char status = 'E';

	engine_config(&cfg, o, B_PORT, o->peer_cpu, o->prio - 1, false);
	cfg.cname = "bench-far-end";
	if (media_engine_create(&cfg, &b) == 0 && media_clip_tone(1000, 8000, 1000, &tone) == 0 &&
	    media_engine_start(b) == 0 && setup_engine(b, o, B_PORT, A_PORT, k_ab, k_ba, tone) == 0)
		status = 'R';
	if (write(ready_fd, &status, 1) != 1 || status != 'R')
		goto out;
	struct pollfd pfd = {.fd = stop_fd, .events = POLLIN};
	for (;;) {
		int n = poll(&pfd, 1, 500);
		drain_events(b);
		if (n != 0)
			break;
	}
out:
	media_engine_destroy(b);
	if (tone != NULL)
		media_clip_unref(tone);
	return status == 'R' ? 0 : 1;
}

int bench_media_main(int argc, char **argv)
{
	struct opts o;
	if (parse_opts(argc, argv, &o) != 0)
		return 2;
	vm_log_set_level(VM_LOG_WARN);

	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 2u * o.streams + 64u) {
		fprintf(stderr, "vmport-bench: %u streams need %u file descriptors, the limit is %llu\n",
		        o.streams, 2u * o.streams + 64u, (unsigned long long)rl.rlim_cur);
		return 1;
	}

	/* Keys for both directions, made before the fork (nothing has touched NSS yet: a child of a
	 * process that initialised NSS may not use it). A sends with k_ab, B with k_ba. */
	struct media_key *k_ab = calloc(o.streams, sizeof(*k_ab));
	struct media_key *k_ba = calloc(o.streams, sizeof(*k_ba));
	if (k_ab == NULL || k_ba == NULL)
		return 1;
	for (unsigned i = 0; i < o.streams; i++) {
		make_key(o.suite, &k_ab[i]);
		make_key(o.suite, &k_ba[i]);
	}
	int ready[2], stop[2];
	if (pipe(ready) != 0 || pipe(stop) != 0)
		return 1;
	fflush(stdout);
	pid_t child = fork();
	if (child < 0) {
		perror("fork");
		return 1;
	}
	if (child == 0) {
		close(ready[0]);
		close(stop[1]);
		int rc = run_far_end(&o, k_ab, k_ba, ready[1], stop[0]);
		explicit_bzero(k_ab, o.streams * sizeof(*k_ab));
		explicit_bzero(k_ba, o.streams * sizeof(*k_ba));
		_exit(rc);
	}
	close(ready[1]);
	close(stop[0]);

	/* Bare libsrtp on the engine's CPU while the far end sets itself up on the other. */
	cpu_set_t old, one;
	pthread_getaffinity_np(pthread_self(), sizeof(old), &old);
	CPU_ZERO(&one);
	CPU_SET(o.cpu, &one);
	pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
	double bare_ns = bare_srtp_pair_ns(o.suite, o.ptime, 100000, 1);
	double bare_n_ns =
	    bare_srtp_pair_ns(o.suite, o.ptime, 100000 > 20 * o.streams ? 100000 : 20 * o.streams, o.streams);
	double udp_ns = bare_udp_pair_ns(o.streams, 100000 > 20 * o.streams ? 100000 : 20 * o.streams);
	pthread_setaffinity_np(pthread_self(), sizeof(old), &old);

	struct media_engine_config ca;
	engine_config(&ca, &o, A_PORT, o.cpu, o.prio, true);
	ca.cname = "bench-a";
	struct media_engine *a = NULL;
	struct media_clip *tone = NULL;
	struct bare_timer *bt = calloc(1, sizeof(*bt));
	struct media_hist *send = malloc(sizeof(*send)), *wake = malloc(sizeof(*wake));
	int rc = 1;
	bool timer_started = false;
	char status = 0;

	if (bt == NULL || send == NULL || wake == NULL)
		goto out;
	if (o.suite != 0 && bare_ns <= 0) {
		fprintf(stderr, "vmport-bench: bare libsrtp measurement failed\n");
		goto out;
	}
	if (media_engine_create(&ca, &a) != 0 || media_clip_tone(1000, 8000, 1000, &tone) != 0 ||
	    media_engine_start(a) != 0) {
		fprintf(stderr, "vmport-bench: engine A could not start\n");
		goto out;
	}
	if (setup_engine(a, &o, A_PORT, B_PORT, k_ba, k_ab, tone) != 0)
		goto out;
	explicit_bzero(k_ab, o.streams * sizeof(*k_ab));
	explicit_bzero(k_ba, o.streams * sizeof(*k_ba));
	if (read(ready[0], &status, 1) != 1 || status != 'R') {
		fprintf(stderr, "vmport-bench: the far end did not start\n");
		goto out;
	}

	bt->policy =
	    (struct hal_rt_policy){.priority = o.prio, .cpu = o.peer_cpu, .stack_prefault = 64 * 1024};
	bt->rt = o.rt;
	atomic_init(&bt->stop, false);
	atomic_init(&bt->reset, false);
	if (pthread_create(&bt->thread, NULL, bare_timer_main, bt) != 0)
		goto out;
	timer_started = true;

	/* Warm-up (jitter buffers settle, libsrtp clones its streams), then measure. */
	for (unsigned s = 0; s < o.warmup; s++) {
		sleep(1);
		drain_events(a);
	}
	struct media_totals t0, t1;
	struct cpu_split split;
	media_engine_timing_reset(a);
	atomic_store(&bt->reset, true);
	usleep(50000);
	media_engine_totals(a, &t0);
	cpu_split_start(&split, media_engine_thread_tid(a), SPLIT_PERIOD_NS);
	uint64_t cpu0 = media_engine_thread_cpu_ns(a);
	uint64_t proc0 = process_cpu_ns();
	uint64_t wall0 = hal_clock_now_ns();
	for (unsigned s = 0; s < o.seconds; s++) {
		sleep(1);
		drain_events(a);
		cpu_split_poll(&split);
	}
	media_engine_totals(a, &t1);
	uint64_t cpu1 = media_engine_thread_cpu_ns(a);
	uint64_t proc1 = process_cpu_ns();
	uint64_t wall1 = hal_clock_now_ns();
	cpu_split_stop(&split);
	atomic_store(&bt->stop, true);
	pthread_join(bt->thread, NULL);
	timer_started = false;
	media_engine_stop(a);
	media_engine_timing(a, send, wake);

	double secs = (double)(wall1 - wall0) / 1e9;
	double cpu = (double)(cpu1 - cpu0);
	uint64_t tx = t1.tx_packets - t0.tx_packets, rx = t1.rx_packets - t0.rx_packets;
	double expected = secs * 1000.0 / o.ptime * o.streams;
	double pair_ns = (tx + rx) > 0 ? cpu / ((double)(tx + rx) / 2.0) : 0;
	double p999_diff =
	    ((double)media_hist_percentile(send, 0.999) - (double)media_hist_percentile(&bt->hist, 0.999)) /
	    1e3;
	const char *sched = o.rt ? "SCHED_FIFO" : "normal, nice";
	struct split_figures sf;
	split_compute(&split, cpu1 - cpu0, pair_ns, &sf);

	printf("vmport-bench media: %u streams, G.711 %u ms, %s, %.1f s measured after %u s warm-up\n",
	       o.streams, o.ptime, suite_name(o.suite), secs, o.warmup);
	if (o.suite != 0)
		printf("  SRTP (engine and bare figures alike): %s\n", media_srtp_implementation());
	printf("  engine A (measured): CPU %d, %s %d; engine B (far end, own process): CPU %d, %s %d; "
	       "bare timer: CPU %d, %s %d\n",
	       o.cpu, sched, o.prio, o.peer_cpu, sched, o.prio - 1, o.peer_cpu, sched, o.prio);
	printf(
	    "  engine A traffic: sent %llu, received %llu (%.1f%% of the %.0f expected each way); lost %llu, "
	    "late %llu, auth failures %llu, send errors %llu, skipped %llu\n",
	    (unsigned long long)tx, (unsigned long long)rx, expected > 0 ? 100.0 * (double)rx / expected : 0,
	    expected, (unsigned long long)(t1.lost - t0.lost), (unsigned long long)(t1.late - t0.late),
	    (unsigned long long)(t1.auth_failures - t0.auth_failures),
	    (unsigned long long)(t1.send_errors - t0.send_errors),
	    (unsigned long long)(t1.tx_skipped - t0.tx_skipped));
	printf("  CPU time per stream            : %7.2f us per second (engine A thread: %.1f%% of one core; "
	       "engine A's process: %.1f%%)\n",
	       cpu / 1e3 / secs / o.streams, 100.0 * cpu / 1e9 / secs,
	       100.0 * (double)(proc1 - proc0) / 1e9 / secs);
	printf(
	    "  engine CPU per packet pair     : %7.2f us (one sent + one received, everything: G.711, jitter "
	    "buffer, SRTP, UDP, RTCP, grid)\n",
	    pair_ns / 1e3);
	if (o.suite != 0) {
		printf("  bare libsrtp protect+unprotect : %7.2f us (%u-byte packet, 1 context pair)   ratio "
		       "%.2f "
		       "(target <= 1.5)\n",
		       bare_ns / 1e3, 12 + o.ptime * 8, pair_ns / bare_ns);
		printf("  bare libsrtp protect+unprotect : %7.2f us (cycling over %u context pairs, the "
		       "engine's "
		       "working set)   ratio %.2f\n",
		       bare_n_ns / 1e3, o.streams, pair_ns / bare_n_ns);
	}
	printf("  bare UDP sendto+recv           : %7.2f us (one %u-byte datagram over loopback, %u socket "
	       "pairs)\n",
	       udp_ns / 1e3, 12 + o.ptime * 8 + 4, o.streams);
	printf("  bare libsrtp (N) + bare UDP    : %7.2f us   ratio %.2f: what the engine adds to the two\n",
	       (bare_n_ns + udp_ns) / 1e3, pair_ns / (bare_n_ns + udp_ns));
	print_split(&sf, o.suite != 0 ? bare_ns : 0, o.suite != 0 ? bare_n_ns : 0, udp_ns);
	printf("  lateness (us)                       p50      p99    p99.9      max    samples\n");
	print_lat("media thread, per send", send);
	print_lat("media thread, wake-ups", wake);
	print_lat("bare timer thread (2 ms grid)", &bt->hist);
	printf("  p99.9 send lateness minus bare timer p99.9: %.0f us (target <= 500)\n", p999_diff);
	printf("RESULT streams=%u cpu_us_per_stream_s=%.2f engine_core_pct=%.1f engine_pair_us=%.2f "
	       "bare_pair_us=%.2f "
	       "ratio=%.2f bareN_pair_us=%.2f ratioN=%.2f udp_pair_us=%.2f ratio_srtp_udp=%.2f "
	       "send_p50_us=%.0f send_p99_us=%.0f send_p999_us=%.0f send_max_us=%.0f bare_p50_us=%.0f "
	       "bare_p99_us=%.0f bare_p999_us=%.0f bare_max_us=%.0f p999_diff_us=%.0f rx_pct=%.1f lost=%llu "
	       "late=%llu skipped=%llu",
	       o.streams, cpu / 1e3 / secs / o.streams, 100.0 * cpu / 1e9 / secs, pair_ns / 1e3,
	       bare_ns / 1e3, bare_ns > 0 ? pair_ns / bare_ns : 0, bare_n_ns / 1e3,
	       bare_n_ns > 0 ? pair_ns / bare_n_ns : 0, udp_ns / 1e3, pair_ns / (bare_n_ns + udp_ns),
	       media_hist_percentile(send, 0.5) / 1e3, media_hist_percentile(send, 0.99) / 1e3,
	       media_hist_percentile(send, 0.999) / 1e3, send->max_ns / 1e3,
	       media_hist_percentile(&bt->hist, 0.5) / 1e3, media_hist_percentile(&bt->hist, 0.99) / 1e3,
	       media_hist_percentile(&bt->hist, 0.999) / 1e3, bt->hist.max_ns / 1e3, p999_diff,
	       expected > 0 ? 100.0 * (double)rx / expected : 0, (unsigned long long)(t1.lost - t0.lost),
	       (unsigned long long)(t1.late - t0.late), (unsigned long long)(t1.tx_skipped - t0.tx_skipped));
	print_split_result(&sf, o.suite != 0 ? bare_ns : 0, o.suite != 0 ? bare_n_ns : 0, udp_ns);
	printf("\n");
	rc = 0;
out:
	if (timer_started) {
		atomic_store(&bt->stop, true);
		pthread_join(bt->thread, NULL);
	}
	close(stop[1]); /* the far end stops */
	close(ready[0]);
	int wst;
	waitpid(child, &wst, 0);
	media_engine_destroy(a);
	if (tone != NULL)
		media_clip_unref(tone);
	explicit_bzero(k_ab, o.streams * sizeof(*k_ab));
	explicit_bzero(k_ba, o.streams * sizeof(*k_ba));
	free(k_ab);
	free(k_ba);
	free(bt);
	free(send);
	free(wake);
	return rc;
}
