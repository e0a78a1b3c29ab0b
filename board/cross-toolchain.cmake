# Shared by board/<name>/toolchain.cmake: a Debian cross compiler (crossbuild-essential-<arch>) plus
# a sysroot holding the target's -dev packages unpacked with `dpkg -x` (platform.md, "Cross builds
# and emulation"). The including file sets, before include():
#   VMPORT_TRIPLE       aarch64-linux-gnu | arm-linux-gnueabihf
#   VMPORT_PROCESSOR    CMAKE_SYSTEM_PROCESSOR (aarch64 | armv7l)
#   VMPORT_CPU_FLAGS    -mcpu/-march/-mfpu/-mfloat-abi for the board
#   VMPORT_QEMU         qemu-aarch64 | qemu-arm (user mode), to run tests with ctest
#   VMPORT_QEMU_CPU     the -cpu model for it; "" lets qemu choose
#
# Cache variable: VMPORT_SYSROOT, the unpacked target packages (for example
# build/deps/sysroot-arm64). Libraries are looked for there and in /usr/<triple> (libc and the
# compiler's own, from the cross toolchain packages).

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${VMPORT_PROCESSOR})
set(CMAKE_C_COMPILER ${VMPORT_TRIPLE}-gcc)
set(CMAKE_C_FLAGS_INIT "${VMPORT_CPU_FLAGS}")
# 32-bit targets: 64-bit file offsets and time_t (glibc >= 2.34). Without them readdir() fails
# with EOVERFLOW under qemu-arm on 64-bit hosts (ext4's 64-bit directory hashes) and certificates
# valid past 2038 (vmport's 20-year root, CallManager certificates) look expired or garbled.
# scripts/cross-build.sh builds wolfSSL and libsrtp2 for these targets with the same flags, so
# they agree on struct layouts; vmport passes no time_t to Debian's 32-bit libraries.
if(VMPORT_PROCESSOR MATCHES "^arm")
  string(APPEND CMAKE_C_FLAGS_INIT " -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64")
endif()

set(VMPORT_SYSROOT "" CACHE PATH "Sysroot with the target's -dev packages (dpkg -x)")
# try_compile projects re-read this file: hand the sysroot on to them.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES VMPORT_SYSROOT)

set(CMAKE_FIND_ROOT_PATH /usr/${VMPORT_TRIPLE})
if(VMPORT_SYSROOT)
  list(PREPEND CMAKE_FIND_ROOT_PATH ${VMPORT_SYSROOT})
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# The target's library directories, for the linker's search of indirect dependencies
# (-rpath-link) and for the emulator's loader.
set(_vmport_libdirs "")
if(VMPORT_SYSROOT)
  set(_vmport_libdirs "${VMPORT_SYSROOT}/usr/lib/${VMPORT_TRIPLE}:${VMPORT_SYSROOT}/lib/${VMPORT_TRIPLE}")
  string(APPEND CMAKE_EXE_LINKER_FLAGS_INIT " -Wl,-rpath-link,${_vmport_libdirs}")
  string(APPEND CMAKE_SHARED_LINKER_FLAGS_INIT " -Wl,-rpath-link,${_vmport_libdirs}")
  string(APPEND CMAKE_MODULE_LINKER_FLAGS_INIT " -Wl,-rpath-link,${_vmport_libdirs}")
endif()

# pkg-config: only the target's .pc files, never the build machine's.
if(VMPORT_SYSROOT)
  set(ENV{PKG_CONFIG_LIBDIR}
      "${VMPORT_SYSROOT}/usr/lib/${VMPORT_TRIPLE}/pkgconfig:${VMPORT_SYSROOT}/usr/lib/pkgconfig:${VMPORT_SYSROOT}/usr/share/pkgconfig")
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "${VMPORT_SYSROOT}")
else()
  # Multi-Arch packages installed for the target (apt-get install libfoo-dev:arm64).
  set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${VMPORT_TRIPLE}/pkgconfig:/usr/share/pkgconfig")
endif()
set(ENV{PKG_CONFIG_PATH} "")

# ctest runs the target's test programs under qemu user mode (binfmt_misc is not mounted here).
set(_vmport_emulator ${VMPORT_QEMU})
if(VMPORT_QEMU_CPU)
  list(APPEND _vmport_emulator -cpu ${VMPORT_QEMU_CPU})
endif()
list(APPEND _vmport_emulator -L /usr/${VMPORT_TRIPLE})
if(_vmport_libdirs)
  list(APPEND _vmport_emulator -E LD_LIBRARY_PATH=${_vmport_libdirs})
endif()
set(CMAKE_CROSSCOMPILING_EMULATOR ${_vmport_emulator})
