# BeagleBone Black: AM3358, Cortex-A8 with NEON and VFPv3, armhf (hard-float ABI).
set(VMPORT_TRIPLE arm-linux-gnueabihf)
set(VMPORT_PROCESSOR armv7l)
set(VMPORT_CPU_FLAGS "-mcpu=cortex-a8 -mfpu=neon -mfloat-abi=hard")
set(VMPORT_QEMU qemu-arm)
set(VMPORT_QEMU_CPU cortex-a8)
include(${CMAKE_CURRENT_LIST_DIR}/../cross-toolchain.cmake)
