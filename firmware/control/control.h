/* The control socket: a unix stream socket in the state directory through which `vmport status`,
 * `vmport mwi` and `vmport messages` talk to a running `vmport run` (or `vmport labcm`).
 * One request line per connection, answered with text lines, then the server closes. */
#ifndef VMPORT_CONTROL_H
#define VMPORT_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "loop/loop.h"

#define VM_CONTROL_MAX_CLIENTS 8
#define VM_CONTROL_LINE 512

struct vm_control;

/* Answer one request. Write the reply with vm_control_reply(); return 0 for success or a
 * negative value to prefix the reply with "error". */
typedef int (*vm_control_handler)(void *arg, struct vm_control *ctl, int argc, char **argv);

struct vm_control_client {
	struct vm_fd h;
	struct vm_control *ctl;
	char line[VM_CONTROL_LINE];
	size_t len;
};

struct vm_control {
	struct vm_fd listen;
	struct vm_loop *loop;
	char path[256];
	vm_control_handler handler;
	void *arg;
	struct vm_control_client clients[VM_CONTROL_MAX_CLIENTS];
	int reply_fd; /* the client being answered, for vm_control_reply */
};

/* Listen on path (an old socket file left by a crashed run is replaced; a live one is an error). */
int vm_control_open(struct vm_control *ctl, struct vm_loop *loop, const char *path,
                    vm_control_handler handler, void *arg, char *err, size_t err_cap);
void vm_control_close(struct vm_control *ctl);
void vm_control_reply(struct vm_control *ctl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Client side: send one request line and copy the reply to `out` (stdout). Returns 0 when the
 * reply did not start with "error", 1 when it did, or -1 with err set when nothing answered. */
int vm_control_request(const char *path, const char *request, int out_fd, int timeout_ms, char *err,
                       size_t err_cap);

#endif
