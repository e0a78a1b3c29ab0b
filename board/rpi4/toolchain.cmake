# Raspberry Pi 4: BCM2711, Cortex-A72, aarch64. The BCM2711 has no ARMv8 crypto extensions:
# +nocrypto keeps the compiler from emitting AES/SHA/PMULL instructions. qemu's cortex-a72 model
# does execute them, so tests under qemu cannot catch a library that uses them unconditionally:
# see board/README.md for the objdump check.
set(VMPORT_TRIPLE aarch64-linux-gnu)
set(VMPORT_PROCESSOR aarch64)
set(VMPORT_CPU_FLAGS "-mcpu=cortex-a72+crc+nocrypto")
set(VMPORT_QEMU qemu-aarch64)
set(VMPORT_QEMU_CPU cortex-a72)
include(${CMAKE_CURRENT_LIST_DIR}/../cross-toolchain.cmake)
