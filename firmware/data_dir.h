/* Where vmport finds the data it ships (greeting.wav, board/<name>/board.ini). */
#ifndef VMPORT_DATA_DIR_H
#define VMPORT_DATA_DIR_H

#include <stddef.h>

/* The installed copy (install.sh; /usr/bin/vmport's ../share/vmport). */
#define VMPORT_INSTALLED_DATADIR "/usr/share/vmport"

/* Find the readable file `rel` (e.g. "greeting.wav") in, in order: $VMPORT_DATADIR; the running
 * program's <bin>/../share/vmport (a build tree, where CMake copies share/ and board/; an unpacked
 * release tarball; /usr/bin → /usr/share/vmport); VMPORT_INSTALLED_DATADIR. Writes the path to
 * `out` and returns 0, or -ENOENT with `out` naming the installed location (for the error). No
 * path of the source tree is compiled in. */
int vm_data_find(const char *rel, char *out, size_t cap);

#endif
