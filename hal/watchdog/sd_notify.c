/* systemd's notification protocol (sd_notify(3), "NOTIFY_SOCKET" in systemd.exec(5)): one
 * datagram of "KEY=VALUE" lines to the AF_UNIX socket named by $NOTIFY_SOCKET, a path or, with a
 * leading '@', an abstract name. Small enough that vmport needs no libsystemd for it. */
#include "hal_watchdog.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int hal_sd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (path == NULL || path[0] == '\0')
		return 0;
	if (state == NULL || state[0] == '\0')
		return -EINVAL;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sun.sun_path))
		return -EAFNOSUPPORT; /* vsock: and other forms newer systemd knows */
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0'; /* abstract namespace: no NUL terminator counts */
	socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/' ? 1 : 0));

	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	size_t slen = strlen(state);
	ssize_t n = sendto(fd, state, slen, MSG_NOSIGNAL, (struct sockaddr *)&sun, alen);
	int rc = n == (ssize_t)slen ? 1 : n < 0 ? -errno : -EIO;
	close(fd);
	return rc;
}

uint64_t hal_sd_watchdog_usec(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	if (usec == NULL || usec[0] == '\0')
		return 0;
	const char *pid = getenv("WATCHDOG_PID");
	if (pid != NULL && pid[0] != '\0') {
		char *end;
		unsigned long p = strtoul(pid, &end, 10);
		if (*end != '\0' || p != (unsigned long)getpid())
			return 0; /* meant for another process (the one systemd started before an exec) */
	}
	char *end;
	unsigned long long v = strtoull(usec, &end, 10);
	if (*end != '\0' || usec[0] == '-')
		return 0;
	return (uint64_t)v;
}
