# CI: generic ARMv7-A hard-float (Debian armhf's baseline: VFPv3-D16, Thumb-2) under qemu-arm.
set(VMPORT_TRIPLE arm-linux-gnueabihf)
set(VMPORT_PROCESSOR armv7l)
set(VMPORT_CPU_FLAGS "-march=armv7-a -mfpu=vfpv3-d16 -mfloat-abi=hard -mthumb")
set(VMPORT_QEMU qemu-arm)
set(VMPORT_QEMU_CPU "")
include(${CMAKE_CURRENT_LIST_DIR}/../cross-toolchain.cmake)
