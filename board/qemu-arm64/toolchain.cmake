# CI: generic ARMv8-A (Debian arm64's baseline) under qemu-aarch64.
set(VMPORT_TRIPLE aarch64-linux-gnu)
set(VMPORT_PROCESSOR aarch64)
set(VMPORT_CPU_FLAGS "-march=armv8-a")
set(VMPORT_QEMU qemu-aarch64)
set(VMPORT_QEMU_CPU "")
include(${CMAKE_CURRENT_LIST_DIR}/../cross-toolchain.cmake)
