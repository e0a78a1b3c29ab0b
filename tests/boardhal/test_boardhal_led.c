/* hal/led: the sysfs backend against a fake LED class tree in a temporary directory, and the null
 * twin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "led/hal_led.h"

static char root[128];

static void put(const char *led, const char *attr, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s/%s", root, led, attr);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char *get(const char *led, const char *attr)
{
	static char text[256];
	char path[512];
	snprintf(path, sizeof(path), "%s/%s/%s", root, led, attr);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

/* A fake /sys/class/leds/<led> as the kernel lays it out. */
static void make_led(const char *led, const char *max, const char *trigger)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/%s", root, led);
	assert_int_equal(mkdir(dir, 0755), 0);
	put(led, "brightness", "0\n");
	if (max)
		put(led, "max_brightness", max);
	if (trigger)
		put(led, "trigger", trigger);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/vmport-leds-XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static struct hal_led_config led_cfg(const char *name)
{
	struct hal_led_config cfg = {0};
	snprintf(cfg.name, sizeof(cfg.name), "%s", name);
	snprintf(cfg.root, sizeof(cfg.root), "%s", root);
	return cfg;
}

static void test_sysfs_takes_drives_and_gives_back(void **state)
{
	(void)state;
	make_led("led0", "255\n", "none rc-feedback kbd-scrolllock [mmc0] timer heartbeat default-on\n");
	struct hal_led l;
	struct hal_led_config cfg = led_cfg("led0");
	assert_int_equal(hal_led_open_by_name(&l, "sysfs", &cfg), 0);
	assert_string_equal(l.saved_trigger, "mmc0");
	assert_int_equal(l.max_brightness, 255);
	assert_string_equal(get("led0", "trigger"), "none\n");
	assert_string_equal(get("led0", "brightness"), "0\n");

	assert_int_equal(hal_led_set(&l, true), 0);
	assert_string_equal(get("led0", "brightness"), "255\n");
	/* Already on: nothing is written (the event loop may call set on every status change). */
	put("led0", "brightness", "untouched");
	assert_int_equal(hal_led_set(&l, true), 0);
	assert_string_equal(get("led0", "brightness"), "untouched");
	assert_int_equal(hal_led_set(&l, false), 0);
	assert_string_equal(get("led0", "brightness"), "0\n");
	assert_int_equal(hal_led_set(&l, true), 0);
	assert_int_equal(l.stats.on, 2);
	assert_int_equal(l.stats.off, 1);

	assert_int_equal(hal_led_close(&l), 0);
	assert_string_equal(get("led0", "brightness"), "0\n");
	assert_string_equal(get("led0", "trigger"), "mmc0\n");
	assert_int_equal(hal_led_set(&l, true), -EBADF);
	assert_int_equal(hal_led_close(&l), 0);
}

static void test_sysfs_colon_names_and_no_trigger(void **state)
{
	(void)state;
	/* BeagleBone names; an LED class without CONFIG_LEDS_TRIGGERS has no trigger file. */
	make_led("beaglebone:green:usr3", "1\n", NULL);
	struct hal_led l;
	struct hal_led_config cfg = led_cfg("beaglebone:green:usr3");
	assert_int_equal(hal_led_open_by_name(&l, "sysfs", &cfg), 0);
	assert_string_equal(l.saved_trigger, "");
	assert_int_equal(hal_led_set(&l, true), 0);
	assert_string_equal(get("beaglebone:green:usr3", "brightness"), "1\n");
	assert_int_equal(hal_led_close(&l), 0);
	assert_string_equal(get("beaglebone:green:usr3", "brightness"), "0\n");
	char path[512];
	snprintf(path, sizeof(path), "%s/beaglebone:green:usr3/trigger", root);
	assert_int_not_equal(access(path, F_OK), 0); /* not created */
}

static void test_sysfs_trigger_already_none(void **state)
{
	(void)state;
	make_led("ACT", "1\n", "[none] mmc0 heartbeat\n");
	struct hal_led l;
	struct hal_led_config cfg = led_cfg("ACT");
	assert_int_equal(hal_led_open_by_name(&l, "sysfs", &cfg), 0);
	assert_string_equal(l.saved_trigger, "none");
	assert_int_equal(hal_led_close(&l), 0);
	assert_string_equal(get("ACT", "trigger"), "[none] mmc0 heartbeat\n"); /* nothing to give back */
}

static void test_sysfs_errors_name_the_file(void **state)
{
	(void)state;
	struct hal_led l;
	struct hal_led_config cfg = led_cfg("led9");
	assert_int_equal(hal_led_open_by_name(&l, "sysfs", &cfg), -ENOENT);
	assert_non_null(strstr(l.error, "led9"));
	assert_non_null(strstr(l.error, root));

	make_led("nomax", NULL, "none\n");
	cfg = led_cfg("nomax");
	assert_int_equal(hal_led_open_by_name(&l, "sysfs", &cfg), -ENOENT);
	assert_non_null(strstr(l.error, "nomax/max_brightness"));

	make_led("zeromax", "0\n", "none\n");
	cfg = led_cfg("zeromax");
	assert_int_equal(hal_led_open_by_name(&l, "sysfs", &cfg), -EINVAL);

	/* brightness that cannot be written (a directory: root ignores file modes). */
	make_led("stuck", "1\n", "none [heartbeat]\n");
	char path[512];
	snprintf(path, sizeof(path), "%s/stuck/brightness", root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	cfg = led_cfg("stuck");
	assert_int_equal(hal_led_open_by_name(&l, "sysfs", &cfg), -EISDIR);
	assert_non_null(strstr(l.error, "stuck/brightness"));
	assert_string_equal(get("stuck", "trigger"), "heartbeat\n"); /* given back on failure */

	cfg = led_cfg("../etc");
	assert_int_equal(hal_led_open_by_name(&l, "sysfs", &cfg), -EINVAL);
	cfg = led_cfg("");
	assert_int_equal(hal_led_open_by_name(&l, "sysfs", &cfg), -EINVAL);
	assert_int_equal(hal_led_open_by_name(&l, "gpio", &cfg), -ENOENT);
	assert_non_null(strstr(l.error, "sysfs, null"));
}

static void test_default_root(void **state)
{
	(void)state;
	struct hal_led l;
	struct hal_led_config cfg = {.name = "registered"};
	assert_int_equal(hal_led_open_by_name(&l, "null", &cfg), 0);
	assert_string_equal(l.cfg.root, HAL_LED_DEFAULT_ROOT);
	hal_led_close(&l);
}

static void test_null_twin_counts(void **state)
{
	(void)state;
	struct hal_led l;
	struct hal_led_config cfg = {.name = "mwi"};
	assert_int_equal(hal_led_open_by_name(&l, "null", &cfg), 0);
	assert_false(l.on);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(hal_led_set(&l, true), 0);
		assert_int_equal(hal_led_set(&l, true), 0);
		assert_true(l.on);
		assert_int_equal(hal_led_set(&l, false), 0);
		assert_false(l.on);
	}
	assert_int_equal(l.stats.on, 3);
	assert_int_equal(l.stats.off, 3);
	assert_int_equal(l.stats.errors, 0);
	assert_int_equal(hal_led_close(&l), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sysfs_takes_drives_and_gives_back),
	    cmocka_unit_test(test_sysfs_colon_names_and_no_trigger),
	    cmocka_unit_test(test_sysfs_trigger_already_none),
	    cmocka_unit_test(test_sysfs_errors_name_the_file),
	    cmocka_unit_test(test_default_root),
	    cmocka_unit_test(test_null_twin_counts),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
