/* The board files: every shipped board/<name>/board.ini parses and says what its folder is; the
 * parser names the line of any unknown key; the HAL configurations built from a board open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "board/board.h"

static void load(const char *name, struct vm_board *b)
{
	char path[512], err[512];
	snprintf(path, sizeof(path), "%s/%s/board.ini", VMPORT_BOARD_SRC, name);
	if (vm_board_load(b, path, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

static int parse(const char *text, struct vm_board *b, char *err, size_t cap)
{
	return vm_board_parse_string(b, text, "t.ini", err, cap);
}

static void test_every_shipped_board_parses(void **state)
{
	(void)state;
	DIR *d = opendir(VMPORT_BOARD_SRC);
	assert_non_null(d);
	unsigned boards = 0;
	const char *required[] = {"host", "rpi4", "bbb", "qemu-arm64", "qemu-armhf"};
	bool found[5] = {false};
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s/board.ini", VMPORT_BOARD_SRC, e->d_name);
		if (e->d_name[0] == '.' || access(path, R_OK) != 0)
			continue;
		struct vm_board b;
		load(e->d_name, &b);
		print_message("  %s: ok\n", e->d_name);
		assert_string_equal(b.name, e->d_name); /* the folder is the board's name */
		assert_true(b.port_budget >= 1);
		assert_non_null(hal_audio_find(b.audio.backend));
		assert_non_null(hal_net_find(b.net.backend));
		assert_non_null(hal_led_find(b.leds.backend));
		assert_non_null(hal_watchdog_find(b.watchdog.backend));
		assert_non_null(hal_rt_find(b.media.rt));
		/* Every board but the build machine itself is cross-compiled. */
		snprintf(path, sizeof(path), "%s/%s/toolchain.cmake", VMPORT_BOARD_SRC, e->d_name);
		if (strcmp(e->d_name, "host") != 0)
			assert_int_equal(access(path, R_OK), 0);
		for (size_t i = 0; i < 5; i++)
			found[i] |= strcmp(e->d_name, required[i]) == 0;
		boards++;
	}
	closedir(d);
	for (size_t i = 0; i < 5; i++)
		if (!found[i])
			fail_msg("board/%s/board.ini is missing", required[i]);
	assert_true(boards >= 5);
}

static void test_rpi4_and_bbb_values(void **state)
{
	(void)state;
	struct vm_board b;
	load("rpi4", &b);
	assert_string_equal(b.arch, "aarch64");
	assert_string_equal(b.audio.backend, "alsa");
	assert_string_equal(b.audio.monitor, "plughw:CARD=Headphones,DEV=0");
	assert_string_equal(b.audio.capture, "");
	assert_int_equal(b.audio.n_controls, 1);
	assert_string_equal(b.audio.controls[0].name, "PCM Playback Volume");
	assert_string_equal(b.audio.controls[0].value, "80%");
	assert_string_equal(b.net.iface, "eth0");
	assert_string_equal(b.leds.registered, "led0");
	assert_string_equal(b.leds.mwi, "led1");
	assert_string_equal(b.watchdog.backend, "linux");
	assert_int_equal(b.watchdog.timeout_s, 15);
	assert_int_equal(b.media.cpu, 3);
	assert_int_equal(b.media.priority, 80);
	assert_true(b.media.lock_memory);

	struct hal_audio_config ac;
	assert_true(vm_board_audio_config(&b, HAL_AUDIO_PLAYBACK, &ac));
	assert_string_equal(ac.device, "plughw:CARD=Headphones,DEV=0");
	assert_int_equal(ac.n_controls, 1);
	assert_int_equal(hal_audio_config_check(&ac, NULL, 0), 0);
	assert_false(vm_board_audio_config(&b, HAL_AUDIO_CAPTURE, &ac)); /* the jack is output only */
	struct hal_rt_policy rt;
	vm_board_rt_policy(&b, &rt);
	assert_int_equal(rt.cpu, 3);
	assert_int_equal(rt.priority, 80);
	assert_true(rt.lock_memory);

	load("bbb", &b);
	assert_string_equal(b.arch, "armhf");
	assert_string_equal(b.audio.backend, "null");
	assert_string_equal(b.leds.registered, "beaglebone:green:usr2");
	assert_string_equal(b.leds.mwi, "beaglebone:green:usr3");
	struct hal_led_config lc;
	assert_true(vm_board_led_config(&b, VM_BOARD_LED_MWI, &lc));
	assert_string_equal(lc.name, "beaglebone:green:usr3");
	assert_string_equal(lc.root, ""); /* the LED class itself */
}

/* A CI board opens every HAL device through its twin, as `vmport run` would. */
static void test_qemu_board_opens_its_twins(void **state)
{
	(void)state;
	struct vm_board b;
	load("qemu-arm64", &b);
	struct hal_net net;
	struct hal_net_config nc;
	vm_board_net_config(&b, &nc);
	assert_int_equal(hal_net_open_by_name(&net, b.net.backend, &nc), 0);
	hal_net_close(&net);
	for (int which = VM_BOARD_LED_REGISTERED; which <= VM_BOARD_LED_MWI; which++) {
		struct hal_led led;
		struct hal_led_config lc;
		assert_true(vm_board_led_config(&b, (enum vm_board_led)which, &lc));
		assert_int_equal(hal_led_open_by_name(&led, b.leds.backend, &lc), 0);
		hal_led_close(&led);
	}
	struct hal_watchdog w;
	struct hal_watchdog_config wc;
	vm_board_watchdog_config(&b, &wc);
	assert_int_equal(hal_watchdog_open_by_name(&w, b.watchdog.backend, &wc), 0);
	hal_watchdog_stop(&w);
	struct hal_audio a;
	struct hal_audio_config ac;
	assert_true(vm_board_audio_config(&b, HAL_AUDIO_PLAYBACK, &ac));
	assert_int_equal(hal_audio_open_by_name(&a, b.audio.backend, &ac), 0);
	hal_audio_close(&a);
	char line[512];
	vm_board_describe(&b, line, sizeof(line));
	assert_non_null(strstr(line, "board qemu-arm64 (aarch64)"));
	assert_non_null(strstr(line, "up to 8 ports"));
}

static void test_unknown_keys_name_the_line(void **state)
{
	(void)state;
	struct vm_board b;
	char err[512];
	const char *text = "[board]\nname = x\narch = armhf\n\n[net]\nifname = eth0\n[ports]\nbudget = 4\n";
	assert_int_equal(parse(text, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "t.ini:6: unknown key 'ifname' in [net]");

	assert_int_equal(parse("[board]\nname = x\n[gpio]\npin = 4\n", &b, err, sizeof(err)), -1);
	assert_string_equal(err, "t.ini:4: unknown section [gpio]");

	assert_int_equal(parse("[board]\nname = x\nname = y\n", &b, err, sizeof(err)), -1);
	assert_string_equal(err, "t.ini:3: name given twice in [board]");

	assert_int_equal(parse("[board]\nname = x\njust text\n", &b, err, sizeof(err)), -1);
	assert_string_equal(err, "t.ini:3: not an INI line (no '=' or ']')");
}

static void test_values_are_checked(void **state)
{
	(void)state;
	struct vm_board b;
	char err[512];
	struct {
		const char *text;
		const char *want;
	} cases[] = {
	    {"[leds]\nbackend = gpio\n", "t.ini:2: backend = 'gpio': unknown backend (known: sysfs, null)"},
	    {"[audio]\nbackend = pulse\n",
	     "t.ini:2: backend = 'pulse': unknown backend (known: alsa, file, null)"},
	    {"[media_thread]\nrt = fifo\n", "t.ini:2: rt = 'fifo': unknown backend (known: linux, null)"},
	    {"[board]\narch = mips\n", "t.ini:2: arch = 'mips': must be x86_64, aarch64 or armhf"},
	    {"[media_thread]\ncpu = -2\n", "t.ini:2: cpu = '-2': must be a whole number from -1 to 1023"},
	    {"[media_thread]\npriority = 100\n",
	     "t.ini:2: priority = '100': must be a whole number from 0 to 99"},
	    {"[media_thread]\nlock_memory = maybe\n", "t.ini:2: lock_memory = 'maybe': must be yes or no"},
	    {"[watchdog]\ntimeout_s = 9999\n",
	     "t.ini:2: timeout_s = '9999': must be a whole number from 0 to 3600"},
	    {"[net]\niface = a-name-far-too-long\n",
	     "t.ini:2: iface = 'a-name-far-too-long': longer than 15 characters"},
	    {"[leds]\nmwi = ../../etc/passwd\n",
	     "t.ini:2: mwi = '../../etc/passwd': a name, not a path (no '/' or blanks)"},
	    {"[audio]\ncontrol = Master\n",
	     "t.ini:2: control = 'Master': must be NAME=VALUE (\"PCM Playback Volume=80%\")"},
	    {"[ports]\nbudget = 0\n", "t.ini:2: budget = '0': must be a whole number from 1 to 1000"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].text, &b, err, sizeof(err)), -1);
		assert_string_equal(err, cases[i].want);
	}
}

static void test_whole_file_rules(void **state)
{
	(void)state;
	struct vm_board b;
	char err[512];
	const char *head = "[board]\nname = t\narch = x86_64\n[ports]\nbudget = 2\n";
	char text[1024];
	assert_int_equal(parse(head, &b, err, sizeof(err)), 0);
	/* Defaults: twins, except the network (linux, default route) and the scheduler. */
	assert_string_equal(b.audio.backend, "null");
	assert_string_equal(b.net.backend, "linux");
	assert_string_equal(b.net.iface, "");
	assert_string_equal(b.leds.backend, "null");
	assert_string_equal(b.watchdog.backend, "null");
	assert_string_equal(b.media.rt, "linux");
	assert_int_equal(b.media.cpu, -1);
	assert_int_equal(b.media.priority, 0);

	assert_int_equal(parse("[board]\nname = t\narch = armhf\n", &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "[ports] budget is required"));
	assert_int_equal(parse("[ports]\nbudget = 2\n", &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "name and arch are required"));
	snprintf(text, sizeof(text), "%s[audio]\nbackend = alsa\nmixer = hw:0\n", head);
	assert_int_equal(parse(text, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "t.ini: [audio] backend alsa needs a monitor or a capture device");
	snprintf(text, sizeof(text), "%s[leds]\nbackend = sysfs\n", head);
	assert_int_equal(parse(text, &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "needs a registered or an mwi LED"));
	snprintf(text, sizeof(text), "%s[leds]\nregistered = led0\nmwi = led0\n", head);
	assert_int_equal(parse(text, &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "same LED 'led0'"));
	snprintf(text, sizeof(text), "%s[net]\niface = eth0\nvlan = eth0\n", head);
	assert_int_equal(parse(text, &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "NIC itself"));

	/* Mixer settings repeat, up to the HAL's limit. */
	snprintf(text, sizeof(text), "%s[audio]\nbackend = file\nmonitor = /tmp/m.wav\n", head);
	for (unsigned i = 0; i < HAL_AUDIO_MAX_CONTROLS; i++) {
		char line[64];
		snprintf(line, sizeof(line), "control = Control %u = %u%%\n", i, i * 10);
		strcat(text, line);
	}
	assert_int_equal(parse(text, &b, err, sizeof(err)), 0);
	assert_int_equal(b.audio.n_controls, HAL_AUDIO_MAX_CONTROLS);
	assert_string_equal(b.audio.controls[3].name, "Control 3");
	assert_string_equal(b.audio.controls[3].value, "30%");
	strcat(text, "control = One Too Many=1\n");
	assert_int_equal(parse(text, &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than 8 mixer settings"));
}

static void test_board_path(void **state)
{
	(void)state;
	char path[512];
	unsetenv("VMPORT_BOARD_DIR");
	unsetenv("VMPORT_DATADIR");
	/* By name: the copy beside the program (build/share/vmport, as installed), not the sources. */
	assert_int_equal(vm_board_path("rpi4", path, sizeof(path)), 0);
	const char *tail = "/bin/../share/vmport/board/rpi4/board.ini";
	assert_true(strlen(path) > strlen(tail));
	assert_string_equal(path + strlen(path) - strlen(tail), tail);
	assert_null(strstr(path, VMPORT_BOARD_SRC));
	/* $VMPORT_BOARD_DIR, then $VMPORT_DATADIR/board come first. */
	char dir[] = "/tmp/vmport-boardpath-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char sub[600], file[640];
	snprintf(sub, sizeof(sub), "%s/board", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/board/rpi4", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(file, sizeof(file), "%s/board.ini", sub);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	setenv("VMPORT_DATADIR", dir, 1);
	assert_int_equal(vm_board_path("rpi4", path, sizeof(path)), 0);
	assert_string_equal(path, file);
	setenv("VMPORT_BOARD_DIR", VMPORT_BOARD_SRC, 1);
	assert_int_equal(vm_board_path("rpi4", path, sizeof(path)), 0);
	assert_string_equal(path, VMPORT_BOARD_SRC "/rpi4/board.ini");
	unsetenv("VMPORT_BOARD_DIR");
	unsetenv("VMPORT_DATADIR");
	unlink(file);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/board", dir);
	rmdir(sub);
	rmdir(dir);
	assert_int_equal(vm_board_path("no-such-board", path, sizeof(path)), -ENOENT);
	assert_int_equal(vm_board_path(VMPORT_BOARD_SRC "/bbb/board.ini", path, sizeof(path)), 0);
	assert_int_equal(vm_board_path("./nope/board.ini", path, sizeof(path)), -ENOENT);
	assert_int_equal(vm_board_path("", path, sizeof(path)), -EINVAL);
	struct vm_board b;
	char err[256];
	assert_int_equal(vm_board_load(&b, "/nonexistent/board.ini", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/board.ini: cannot open"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_shipped_board_parses),
	    cmocka_unit_test(test_rpi4_and_bbb_values),
	    cmocka_unit_test(test_qemu_board_opens_its_twins),
	    cmocka_unit_test(test_unknown_keys_name_the_line),
	    cmocka_unit_test(test_values_are_checked),
	    cmocka_unit_test(test_whole_file_rules),
	    cmocka_unit_test(test_board_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
