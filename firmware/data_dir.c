/* vm_data_find: the program's data next to the program, as its libraries are (RUNPATH
 * $ORIGIN/../lib/vmport), so that a build tree, an unpacked tarball and an installed copy all
 * work without a compiled-in source path. */
#include "data_dir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* <directory of the running program>/../share/vmport, or "" when /proc is not mounted. */
static void program_datadir(char *out, size_t cap)
{
	char exe[1024];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	out[0] = '\0';
	if (n <= 0 || (size_t)n >= sizeof(exe) - 1)
		return;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash == NULL)
		return;
	*slash = '\0';
	if ((size_t)snprintf(out, cap, "%s/../share/vmport", exe) >= cap)
		out[0] = '\0';
}

int vm_data_find(const char *rel, char *out, size_t cap)
{
	char own[1024 + 32];
	program_datadir(own, sizeof(own));
	const char *dirs[] = {getenv("VMPORT_DATADIR"), own, VMPORT_INSTALLED_DATADIR};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (dirs[i] == NULL || dirs[i][0] == '\0')
			continue;
		if ((size_t)snprintf(out, cap, "%s/%s", dirs[i], rel) < cap && access(out, R_OK) == 0)
			return 0;
	}
	snprintf(out, cap, "%s/%s", VMPORT_INSTALLED_DATADIR, rel);
	return -ENOENT;
}
