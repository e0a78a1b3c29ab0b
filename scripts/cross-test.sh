#!/usr/bin/env bash
# Run vmport's tests for a board: the board's own binaries under qemu user mode, everything else
# (tshark, the openssl CLI, python, in.tftpd, the test scripts) natively on this machine.
#
# scripts/cross-build.sh BOARD builds first (cached). The tests are the ones CMake defines in
# build/cross-<board>, as `ctest --show-only=json-v1` lists them:
#  - test programs (cmocka units) already run through the toolchain's CMAKE_CROSSCOMPILING_EMULATOR
#    (qemu-aarch64 / qemu-arm -L /usr/<triple> -E LD_LIBRARY_PATH=<sysroot libs>);
#  - scripts that are handed a board binary (VMPORT=.../vmport, test_ca_cli.sh .../vmport, ...)
#    get a wrapper instead (build/cross-<board>/qemu-bin/<name>: exec <emulator> <binary> "$@"),
#    since binfmt_misc is not mounted here. The e2e scripts thus run `vmport run` and
#    `vmport labcm` under qemu on loopback, exactly as the native tests do.
# They are written to build/cross-<board>/qemu-tests/CTestTestfile.cmake with every other property
# (labels, timeouts, skip codes, environment) kept, and run there by one ctest.
#
# Every test gets VMPORT_EMULATOR=<qemu program> in its environment (qemu hands it to the guest):
# a test case that qemu user mode cannot run may skip itself when it is set.
# Left out, each printed with its reason: labels e2e-big and bench (they stay native); e2e tests
# other than those matching VMPORT_CROSS_E2E (default: the 2-port encrypted call: registration
# over TLS with the CTL pin, a forwarded call with SRTP, the message saved, MWI on and off);
# names matching VMPORT_CROSS_EXCLUDE (default: none); the qemu-user limitations and the known
# 32-bit failures listed below. Timeouts are multiplied by VMPORT_CROSS_TIMEOUT_FACTOR (default 3):
# qemu is slower, and its timing says nothing about boards.
# Usage: cross-test.sh BOARD [extra ctest arguments, e.g. -R e2e]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
board=${1:?usage: cross-test.sh BOARD [ctest args]}
shift
jobs=${JOBS:-$(nproc)}
exclude=${VMPORT_CROSS_EXCLUDE:-}
e2e=${VMPORT_CROSS_E2E:-^e2e_encrypted_call\$}
factor=${VMPORT_CROSS_TIMEOUT_FACTOR:-3}
say() { echo "cross-test[$board]: $*" >&2; }

start=$(date +%s)
tarball=$("$root/scripts/cross-build.sh" "$board" | tail -n 1)
say "built in $(($(date +%s) - start)) s: $tarball"
build=$root/build/cross-$board
out=$build/qemu-tests
rm -rf "$out" "$build/qemu-bin"
mkdir -p "$out" "$build/qemu-bin"
(cd "$build" && ctest --show-only=json-v1) >"$out/tests.json"

python3 - "$out/tests.json" "$build" "$out/CTestTestfile.cmake" "$exclude" "$factor" "$e2e" <<'PY'
import json, os, re, sys

# Tests qemu user mode (Debian 12: 7.2) cannot run, or that fail under it for a reason outside the
# code under test (reported). Remove an entry once the test is fixed or skips the case itself
# under VMPORT_EMULATOR.
QEMU_LIMITS = {
    "boardhal_netns": "the IPv6 RTP probe never shows up in the peer namespace's capture under "
                      "qemu-aarch64 and qemu-arm alike (IPv4 does); passes natively",
}
# Known failures on 32-bit boards, reported to the code's owners; run again once fixed.
KNOWN_32BIT = {}

tests_json, build, testfile, exclude, factor, e2e = sys.argv[1:7]
factor = float(factor)
tests = json.load(open(tests_json))["tests"]
machines = {0x3E: "x86_64", 0xB7: "aarch64", 0x28: "arm"}
host_machine = {"x86_64": 0x3E, "aarch64": 0xB7}.get(os.uname().machine)

def elf_machine(path):
    try:
        with open(path, "rb") as f:
            head = f.read(20)
    except OSError:
        return None
    if len(head) < 20 or head[:4] != b"\x7fELF":
        return None
    return int.from_bytes(head[18:20], "little")

def elf_class(path):
    with open(path, "rb") as f:
        return f.read(5)[4]  # 1: 32-bit, 2: 64-bit

def is_board_binary(path):
    m = elf_machine(path) if os.path.isabs(path) and os.path.isfile(path) else None
    return m is not None and m != host_machine

# The emulator prefix, as CMake put it in front of the test programs.
emulator = None
for t in tests:
    cmd = t.get("command") or []
    for i, arg in enumerate(cmd[1:], 1):
        if is_board_binary(arg) and os.path.basename(cmd[0]).startswith("qemu-"):
            emulator = cmd[:i]
            break
    if emulator:
        break

board_bits = 64
board_binaries = [a for t in tests for a in (t.get("command") or [])[1:] if is_board_binary(a)]
if board_binaries and elf_class(board_binaries[0]) == 1:
    board_bits = 32

wrappers = {}
def wrap(path):
    if emulator is None or not is_board_binary(path):
        return path
    if path not in wrappers:
        w = os.path.join(build, "qemu-bin", os.path.basename(path))
        with open(w, "w") as f:
            f.write("#!/bin/sh\n# %s under qemu user mode (written by scripts/cross-test.sh)\n" % path)
            f.write("exec %s %s \"$@\"\n" % (" ".join("'%s'" % a for a in emulator), "'%s'" % path))
        os.chmod(w, 0o755)
        wrappers[path] = w
    return wrappers[path]

def cmake_quote(s):
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'

def value(v):
    if isinstance(v, list):
        return ";".join(str(x) for x in v)
    if isinstance(v, bool):
        return "ON" if v else "OFF"
    return str(v)

lines = ["# Generated by scripts/cross-test.sh from `ctest --show-only=json-v1` of " + build]
kept = skipped = 0
for t in tests:
    name = t["name"]
    props = {p["name"]: p["value"] for p in t.get("properties", [])}
    labels = props.get("LABELS", [])
    if isinstance(labels, str):
        labels = [labels]
    cmd = t.get("command")
    if not cmd:
        continue
    emulated = os.path.basename(cmd[0]).startswith("qemu-")
    reason = None
    if "e2e-big" in labels or "bench" in labels:
        reason = "label " + ",".join(labels)
    elif "e2e" in labels and not re.search(e2e, name):
        reason = "e2e: VMPORT_CROSS_E2E selects " + e2e
    elif exclude and re.search(exclude, name):
        reason = "VMPORT_CROSS_EXCLUDE"
    elif emulator is not None and name in QEMU_LIMITS:
        reason = "qemu-user: " + QEMU_LIMITS[name]
    elif board_bits == 32 and name in KNOWN_32BIT:
        reason = "known 32-bit failure, reported: " + KNOWN_32BIT[name]
    if reason:
        print("  left out: %s (%s)" % (name, reason))
        skipped += 1
        continue
    if not emulated:
        cmd = [cmd[0]] + [wrap(a) for a in cmd[1:]]
    env = props.get("ENVIRONMENT", [])
    env = [env] if isinstance(env, str) else env
    env = [e.split("=", 1)[0] + "=" + wrap(e.split("=", 1)[1]) if "=" in e else e for e in env]
    if emulator is not None:
        env.append("VMPORT_EMULATOR=" + os.path.basename(emulator[0]))
    if env:
        props["ENVIRONMENT"] = env
    if "TIMEOUT" in props:
        props["TIMEOUT"] = int(float(props["TIMEOUT"]) * factor)
    lines.append("add_test(%s %s)" % (cmake_quote(name), " ".join(cmake_quote(a) for a in cmd)))
    if props:
        lines.append("set_tests_properties(%s PROPERTIES %s)" % (
            cmake_quote(name), " ".join("%s %s" % (k, cmake_quote(value(v))) for k, v in props.items())))
    kept += 1
open(testfile, "w").write("\n".join(lines) + "\n")
print("  %d tests for the board, %d left out, %d board binaries wrapped for scripts%s"
      % (kept, skipped, len(wrappers), "" if emulator else " (no emulator: native board)"))
PY

say "ctest ($(grep -c '^add_test' "$out/CTestTestfile.cmake") tests, -j$jobs)"
t0=$(date +%s)
rc=0
(cd "$out" && ctest -j"$jobs" --output-on-failure "$@") || rc=$?
say "tests ran in $(($(date +%s) - t0)) s (total $(($(date +%s) - start)) s), ctest exit $rc"
exit "$rc"
