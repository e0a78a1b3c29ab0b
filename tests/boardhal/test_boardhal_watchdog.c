/* hal/watchdog: the linux backend against a fake device (a regular file, a FIFO), the null twin,
 * the liveness rule that gates every kick, and sd_notify against a socket the test binds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "watchdog/hal_watchdog.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vmport-wdt-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *slurp(const char *path)
{
	static char text[256];
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

static struct hal_watchdog_config dev_cfg(const char *name, unsigned timeout)
{
	struct hal_watchdog_config cfg = {.timeout_s = timeout};
	snprintf(cfg.device, sizeof(cfg.device), "%s/%s", dir, name);
	return cfg;
}

static void test_file_device_kicks_and_magic_close(void **state)
{
	(void)state;
	struct hal_watchdog_config cfg = dev_cfg("watchdog0", 15);
	fclose(fopen(cfg.device, "w"));
	struct hal_watchdog w;
	assert_int_equal(hal_watchdog_open_by_name(&w, "linux", &cfg), 0);
	/* A file takes no ioctls: the timeout could not be set, kicks are writes. */
	assert_non_null(strstr(w.note, "timeout not settable"));
	assert_int_equal(w.timeout_s, 0);
	assert_int_equal(hal_watchdog_kick_interval_ms(&w), 1000);
	for (int i = 0; i < 3; i++)
		assert_int_equal(hal_watchdog_kick(&w), 0);
	assert_int_equal(w.stats.kicks, 3);
	assert_string_equal(slurp(cfg.device), "kkk");
	assert_int_equal(hal_watchdog_stop(&w), 0);
	assert_true(w.disarmed);
	assert_string_equal(slurp(cfg.device), "kkkV");
	assert_int_equal(hal_watchdog_kick(&w), -EBADF);
	assert_int_equal(hal_watchdog_stop(&w), 0);
}

static void test_abandon_leaves_it_armed(void **state)
{
	(void)state;
	struct hal_watchdog_config cfg = dev_cfg("watchdog1", 0);
	fclose(fopen(cfg.device, "w"));
	struct hal_watchdog w;
	assert_int_equal(hal_watchdog_open_by_name(&w, "linux", &cfg), 0);
	assert_null(strstr(w.note, "not settable")); /* nothing was asked */
	assert_int_equal(hal_watchdog_kick(&w), 0);
	assert_int_equal(hal_watchdog_abandon(&w), 0);
	assert_false(w.disarmed);
	assert_string_equal(slurp(cfg.device), "k"); /* no 'V': the board resets */
}

static void test_fifo_device(void **state)
{
	(void)state;
	struct hal_watchdog_config cfg = dev_cfg("fifo", 10);
	assert_int_equal(mkfifo(cfg.device, 0600), 0);
	int reader = open(cfg.device, O_RDONLY | O_NONBLOCK);
	assert_true(reader >= 0);
	struct hal_watchdog w;
	assert_int_equal(hal_watchdog_open_by_name(&w, "linux", &cfg), 0);
	char buf[16];
	assert_int_equal(read(reader, buf, sizeof(buf)), -1); /* opening writes nothing */
	assert_int_equal(hal_watchdog_kick(&w), 0);
	assert_int_equal(hal_watchdog_kick(&w), 0);
	assert_int_equal(read(reader, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "kk", 2);
	assert_int_equal(hal_watchdog_stop(&w), 0);
	assert_int_equal(read(reader, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'V');
	assert_int_equal(read(reader, buf, sizeof(buf)), 0); /* closed after the magic character */
	close(reader);
}

static void test_missing_device_is_named(void **state)
{
	(void)state;
	struct hal_watchdog_config cfg = dev_cfg("nosuch", 10);
	struct hal_watchdog w;
	assert_int_equal(hal_watchdog_open_by_name(&w, "linux", &cfg), -ENOENT);
	assert_non_null(strstr(w.error, cfg.device));
	assert_int_equal(hal_watchdog_open_by_name(&w, "softdog", &cfg), -ENOENT);
	assert_non_null(strstr(w.error, "linux, null"));
	cfg.timeout_s = HAL_WATCHDOG_MAX_TIMEOUT_S + 1;
	assert_int_equal(hal_watchdog_open_by_name(&w, "null", &cfg), -EINVAL);
	struct hal_watchdog_config dflt = {0};
	assert_int_equal(hal_watchdog_open_by_name(&w, "null", &dflt), 0);
	assert_string_equal(w.cfg.device, "/dev/watchdog");
	hal_watchdog_stop(&w);
}

static void test_null_twin(void **state)
{
	(void)state;
	struct hal_watchdog_config cfg = {.timeout_s = 9};
	struct hal_watchdog w;
	assert_int_equal(hal_watchdog_open_by_name(&w, "null", &cfg), 0);
	assert_int_equal(hal_watchdog_kick_interval_ms(&w), 3000);
	for (int i = 0; i < 5; i++)
		assert_int_equal(hal_watchdog_kick(&w), 0);
	assert_int_equal(w.stats.kicks, 5);
	assert_int_equal(hal_watchdog_stop(&w), 0);
	assert_true(w.disarmed);
}

static void test_liveness_rule(void **state)
{
	(void)state;
	struct hal_watchdog_liveness lv;
	hal_watchdog_liveness_init(&lv, 10000, 7, 0);
	assert_int_equal(lv.stall_ms, HAL_WATCHDOG_MEDIA_STALL_MS);
	/* Grace at start: the media thread has stall_ms to show its first beat. */
	assert_true(hal_watchdog_liveness_check(&lv, 11999, 7));
	assert_false(hal_watchdog_liveness_check(&lv, 12000, 7));
	assert_true(lv.media_stalled);
	assert_int_equal(lv.media_silent_ms, 2000);
	/* It beats: kicks resume. */
	assert_true(hal_watchdog_liveness_check(&lv, 12100, 8));
	assert_false(lv.media_stalled);
	assert_true(hal_watchdog_liveness_check(&lv, 13000, 9));
	assert_true(hal_watchdog_liveness_check(&lv, 14999, 9));
	assert_false(hal_watchdog_liveness_check(&lv, 15000, 9));
	/* The loop's own gap is reported for the log. */
	assert_true(hal_watchdog_liveness_check(&lv, 25000, 10));
	assert_int_equal(lv.loop_gap_ms, 10000);
	/* A counter that wraps still moved. */
	hal_watchdog_liveness_init(&lv, 0, UINT64_MAX, 500);
	assert_true(hal_watchdog_liveness_check(&lv, 600, 0));
}

/* The event loop's kick timer over 10 s with the media thread freezing after 3 s: kicks stop
 * and the (null) watchdog is left to fire. */
static void test_media_freeze_stops_kicks(void **state)
{
	(void)state;
	struct hal_watchdog_config cfg = {.timeout_s = 3};
	struct hal_watchdog w;
	assert_int_equal(hal_watchdog_open_by_name(&w, "null", &cfg), 0);
	uint32_t every = hal_watchdog_kick_interval_ms(&w);
	assert_int_equal(every, 1000);
	struct hal_watchdog_liveness lv;
	uint64_t beat = 0;
	hal_watchdog_liveness_init(&lv, 0, beat, 0);
	uint64_t last_kick = 0;
	for (uint64_t t = every; t <= 10000; t += every) {
		if (t < 4000)
			beat += every / 10; /* a wake every 10 ms */
		if (hal_watchdog_liveness_check(&lv, t, beat)) {
			assert_int_equal(hal_watchdog_kick(&w), 0);
			last_kick = t;
		}
	}
	/* The last beat was seen at 3000; at 5000 it has stood still for the whole 2000 ms. The
	 * 3 s watchdog then fires at 7000, three seconds after the last kick. */
	assert_int_equal(last_kick, 4000);
	assert_int_equal(w.stats.kicks, 4);
	hal_watchdog_abandon(&w);
}

static int bind_dgram(const char *path, bool abstract, struct sockaddr_un *sun, socklen_t *len)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	size_t n = strlen(path);
	memcpy(sun->sun_path, path, n);
	if (abstract)
		sun->sun_path[0] = '\0';
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (abstract ? 0 : 1));
	assert_int_equal(bind(fd, (struct sockaddr *)sun, *len), 0);
	return fd;
}

static void expect_datagram(int fd, const char *want)
{
	char buf[128];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static void test_sd_notify(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(hal_sd_notify("WATCHDOG=1"), 0); /* not under systemd: nothing to do */

	char path[200];
	snprintf(path, sizeof(path), "%s/notify", dir);
	struct sockaddr_un sun;
	socklen_t len;
	int fd = bind_dgram(path, false, &sun, &len);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(hal_sd_notify("READY=1"), 1);
	assert_int_equal(hal_sd_notify("WATCHDOG=1"), 1);
	expect_datagram(fd, "READY=1");
	expect_datagram(fd, "WATCHDOG=1");
	close(fd);

	char abstract[64];
	snprintf(abstract, sizeof(abstract), "@vmport-test-notify-%d", (int)getpid());
	fd = bind_dgram(abstract, true, &sun, &len);
	setenv("NOTIFY_SOCKET", abstract, 1);
	assert_int_equal(hal_sd_notify("WATCHDOG=1"), 1);
	expect_datagram(fd, "WATCHDOG=1");
	close(fd);

	setenv("NOTIFY_SOCKET", "relative/path", 1);
	assert_int_equal(hal_sd_notify("WATCHDOG=1"), -EAFNOSUPPORT);
	snprintf(path, sizeof(path), "%s/nobody", dir);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(hal_sd_notify("WATCHDOG=1"), -ENOENT);
	unsetenv("NOTIFY_SOCKET");
}

static void test_sd_watchdog_interval(void **state)
{
	(void)state;
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	assert_int_equal(hal_sd_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "20000000", 1);
	assert_int_equal(hal_sd_watchdog_usec(), 20000000);
	char pid[32];
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(hal_sd_watchdog_usec(), 20000000);
	snprintf(pid, sizeof(pid), "%d", (int)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(hal_sd_watchdog_usec(), 0); /* meant for another process */
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "20s", 1);
	assert_int_equal(hal_sd_watchdog_usec(), 0);
	unsetenv("WATCHDOG_USEC");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_file_device_kicks_and_magic_close),
	    cmocka_unit_test(test_abandon_leaves_it_armed),
	    cmocka_unit_test(test_fifo_device),
	    cmocka_unit_test(test_missing_device_is_named),
	    cmocka_unit_test(test_null_twin),
	    cmocka_unit_test(test_liveness_rule),
	    cmocka_unit_test(test_media_freeze_stops_kicks),
	    cmocka_unit_test(test_sd_notify),
	    cmocka_unit_test(test_sd_watchdog_interval),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
