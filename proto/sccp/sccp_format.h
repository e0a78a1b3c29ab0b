/* One readable line per SCCP message, for logs and `vmport decode`. */
#ifndef VMPORT_SCCP_FORMAT_H
#define VMPORT_SCCP_FORMAT_H

#include <stddef.h>

#include "sccp_msg.h"

/* Write "Name(0xID) hv=N key=value ..." into buf (always NUL-terminated when cap > 0; cut short
 * when it does not fit). Strings are quoted with non-printable bytes escaped as \xHH. Key and salt
 * bytes are never printed, only the algorithm and their lengths. Returns the length the whole line
 * needs, like snprintf. */
int sccp_msg_format(const struct sccp_msg *m, char *buf, size_t cap);

#endif
