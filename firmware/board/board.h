/* The board file (board/<name>/board.ini): which devices this board has and which HAL backend
 * drives each, the media thread's CPU and priority, and how many ports the board can carry. Data,
 * not code: a new board is a new folder, never an #ifdef.
 *
 * Parsed with inih from one table of keys (as firmware/config.c): unknown sections and keys,
 * unknown backend names and values out of range are errors that name the file and the line.
 * Every section is optional except [board] and [ports]; what is missing takes the twin ("null"),
 * except the network, which defaults to the linux backend on the default-route interface, and
 * the media thread, which defaults to the linux scheduler with normal priority. */
#ifndef VMPORT_BOARD_H
#define VMPORT_BOARD_H

#include <stdbool.h>
#include <stddef.h>

#include "audio/hal_audio.h"
#include "led/hal_led.h"
#include "net/hal_net.h"
#include "rt/hal_rt.h"
#include "watchdog/hal_watchdog.h"

#define VM_BOARD_NAME_MAX 32u
#define VM_BOARD_TEXT_MAX 128u
#define VM_BOARD_BACKEND_MAX 16u

struct vm_board {
	/* [board] */
	char name[VM_BOARD_NAME_MAX];        /* the folder name: "rpi4" */
	char arch[VM_BOARD_NAME_MAX];        /* x86_64 | aarch64 | armhf */
	char description[VM_BOARD_TEXT_MAX]; /* one line for the start-up log */
	/* [audio]: the codec for monitoring a live call and capturing greetings */
	struct {
		char backend[VM_BOARD_BACKEND_MAX]; /* alsa | file | null */
		char monitor[HAL_AUDIO_DEVICE_MAX]; /* playback PCM (file: WAV path); "" none */
		char capture[HAL_AUDIO_DEVICE_MAX]; /* capture PCM (file: WAV path); "" none */
		char mixer[HAL_AUDIO_MIXER_MAX];    /* control device for the mixer settings */
		struct hal_audio_control
		    controls[HAL_AUDIO_MAX_CONTROLS]; /* control = NAME=VALUE, repeated */
		unsigned n_controls;
	} audio;
	/* [net] */
	struct {
		char backend[VM_BOARD_BACKEND_MAX]; /* linux | null */
		char iface[HAL_NET_IFNAME_MAX];     /* "" the default-route interface */
		char vlan[HAL_NET_IFNAME_MAX];      /* voice VLAN interface; "" none */
	} net;
	/* [leds] */
	struct {
		char backend[VM_BOARD_BACKEND_MAX]; /* sysfs | null */
		char root[HAL_LED_ROOT_MAX];        /* "" /sys/class/leds */
		char registered[HAL_LED_NAME_MAX];  /* lit while every port is registered; "" none */
		char mwi[HAL_LED_NAME_MAX];         /* lit while MWI is set on any mailbox; "" none */
	} leds;
	/* [watchdog] */
	struct {
		char backend[VM_BOARD_BACKEND_MAX]; /* linux | null */
		char device[HAL_WATCHDOG_PATH_MAX]; /* "" /dev/watchdog */
		unsigned timeout_s;                 /* 0 keeps the driver's */
	} watchdog;
	/* [media_thread] */
	struct {
		char rt[VM_BOARD_BACKEND_MAX]; /* hal/rt backend: linux | null */
		int cpu;                       /* -1: any CPU */
		int priority;                  /* SCHED_FIFO 1..99; 0 the normal scheduler */
		bool lock_memory;
	} media;
	/* [ports] */
	unsigned port_budget; /* the most ports this board is meant to carry */
};

/* What a board file omits. */
void vm_board_defaults(struct vm_board *b);
/* Parse board INI text (`name` in messages). 0, or -1 with "name:line: problem" in err. */
int vm_board_parse_string(struct vm_board *b, const char *text, const char *name, char *err, size_t err_cap);
int vm_board_load(struct vm_board *b, const char *path, char *err, size_t err_cap);

/* Where a board is: `board` is a path to a board.ini when it contains '/', otherwise a board
 * name looked up as <dir>/<name>/board.ini in $VMPORT_BOARD_DIR, the source tree's board/, then
 * /usr/share/vmport/board. 0 with the path in out, or -ENOENT (out: the last path tried). */
int vm_board_path(const char *board, char *out, size_t cap);

/* HAL configurations from the board. */
/* Audio for one direction: false when the board has no device for it (then do not open). */
bool vm_board_audio_config(const struct vm_board *b, enum hal_audio_dir dir, struct hal_audio_config *cfg);
/* The net configuration; on_event and arg are left NULL for the caller. */
void vm_board_net_config(const struct vm_board *b, struct hal_net_config *cfg);
/* LED `which`: the board's registered or mwi LED. false when the board names none. */
enum vm_board_led { VM_BOARD_LED_REGISTERED, VM_BOARD_LED_MWI };
bool vm_board_led_config(const struct vm_board *b, enum vm_board_led which, struct hal_led_config *cfg);
void vm_board_watchdog_config(const struct vm_board *b, struct hal_watchdog_config *cfg);
/* The media thread's policy (stack_prefault: 64 KiB). */
void vm_board_rt_policy(const struct vm_board *b, struct hal_rt_policy *policy);

/* One line for the log: "rpi4 (aarch64): audio alsa hw:..., net linux eth0, ...". */
void vm_board_describe(const struct vm_board *b, char *buf, size_t cap);

#endif
