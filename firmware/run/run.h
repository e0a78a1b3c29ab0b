/* `vmport run`: the port group in the foreground. Internal to firmware/run. */
#ifndef VMPORT_RUN_H
#define VMPORT_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "audio/hal_audio.h"
#include "board/board.h"
#include "config.h"
#include "led/hal_led.h"
#include "net/hal_net.h"
#include "watchdog/hal_watchdog.h"
#include "control/control.h"
#include "loop/loop.h"
#include "media/media.h"
#include "sccp/sccp_port.h"
#include "trust/trust.h"

struct vm_port_group;
struct vm_trust;
struct vm_trust_result;
struct vm_run_trust_job;
struct tls_ctx;
struct media_clip;

enum vm_call_phase {
	VM_CALL_IDLE,
	VM_CALL_GREETING,
	VM_CALL_BEEP,
	VM_CALL_RECORDING,
	VM_CALL_SAVING,
	VM_CALL_DONE
};

/* A port's call as the media side sees it. */
struct vm_run_call {
	bool active;
	enum vm_call_phase phase;
	uint32_t call_reference;
	uint32_t rx_pass_through;
	char mailbox[SCCP_DN_MAX + 1];
	char path[VMPORT_PATH_MAX + 96];
};

struct vm_run {
	struct vmport_config cfg;
	char conf_path[VMPORT_PATH_MAX];
	struct vm_loop loop;
	struct vm_fd signal_fd;
	struct vm_fd media_fd;
	struct vm_control control;
	struct vm_timer trust_timer;
	struct vm_timer stop_timer; /* shutdown deadline */

	struct vm_trust *trust;
	struct vm_run_trust_job *trust_job; /* run_trust.c: the CTL fetch off the loop */
	struct tls_ctx **tls;               /* one client context per port (its own certificate) */
	struct media_engine *media;
	struct media_clip *greeting;
	struct media_clip *beep;
	struct vm_port_group *group;

	/* the board (board/<name>/board.ini) and its devices */
	char board_name[64];
	struct vm_board board;
	struct hal_led led_registered, led_mwi;
	struct hal_watchdog wdt;
	struct hal_watchdog_liveness live;
	struct vm_timer wdt_timer;
	struct hal_net net;
	struct vm_fd net_fd;
	bool net_usable;
	struct hal_audio monitor; /* [audio] monitor: run_monitor.c */
	char monitor_arg[64];     /* run --monitor PORT */

	char (*device_names)[16];
	struct vm_run_call *calls;
	struct media_stats *last_stats;

	bool group_started;
	bool stopping;
	int exit_status;
	uint64_t messages_saved;
	uint64_t messages_failed;
	uint64_t srtp_auth_failures;
	uint64_t rtp_rx_packets;
	uint64_t rtp_tx_packets;
};

/* run.c */
void vm_run_reload(struct vm_run *r);
/* mkdir -p with mode 0750; 0 or -errno. */
int vm_run_make_dirs(const char *path);

/* run_media.c */
void vm_run_media_action(void *arg, unsigned port, const struct sccp_port_action *act);
int vm_run_media_attach(struct vm_run *r);

/* run_board.c: LEDs, watchdog and network from the board file */
int vm_run_board_open(struct vm_run *r, char *err, size_t cap);
void vm_run_board_started(struct vm_run *r);
void vm_run_board_status(void *arg);
void vm_run_board_close(struct vm_run *r, bool clean);

/* run_trust.c: CTL refreshes with the TFTP fetch on a thread. _refresh starts one unless one is
 * in progress (0 or -errno); when it ends, the loop thread calls vm_run_trust_done (run.c). */
int vm_run_trust_refresh(struct vm_run *r, enum vm_trust_why why, const char *detail);
bool vm_run_trust_busy(const struct vm_run *r);
void vm_run_trust_close(struct vm_run *r);
void vm_run_trust_done(struct vm_run *r, enum vm_trust_status status, const struct vm_trust_result *res);

/* run_monitor.c: the call monitor on the board's codec output */
int vm_run_monitor_open(struct vm_run *r, char *err, size_t cap);
void vm_run_monitor_close(struct vm_run *r);
void vm_run_monitor_status(struct vm_run *r, struct vm_control *ctl);
int vm_run_monitor_request(struct vm_run *r, struct vm_control *ctl, int argc, char **argv);
/* A port by device name or by number (1..ports): its index, or -1. */
int vm_run_port_index(const struct vm_run *r, const char *name);

/* run_control.c */
int vm_run_control_handler(void *arg, struct vm_control *ctl, int argc, char **argv);
void vm_run_control_path(const struct vmport_config *cfg, char *out, size_t cap);

#endif
