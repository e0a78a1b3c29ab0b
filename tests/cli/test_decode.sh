#!/usr/bin/env bash
# `vmport decode` on real CallManager frames: hex arguments, a raw byte stream, and bad input.
set -euo pipefail
vmport=$1
vectors=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

frame() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]][sys.argv[3]])' "$vectors" "$1" "$2"; }

# OpenReceiveChannel from a CallManager 4.x: codec 4, 20 ms, no key block.
out=$("$vmport" decode "$(frame cm_call_open_rx 148)")
echo "$out"
grep -q 'OpenReceiveChannel(0x0105)' <<<"$out" || fail "OpenReceiveChannel not named"
grep -qi 'passthru[^ ]*=0*16777473\|passthru[^ ]*=0x1000101' <<<"$out" || fail "passThroughPartyId not shown"

# A truncated frame (cm31 LineStatRes is 4 bytes short) is an error naming the cause.
if err=$("$vmport" decode "$(frame cm31_reg line_stat)" 2>&1); then fail "truncated frame accepted"; fi
grep -qi truncated <<<"$err" || fail "truncated frame not reported as truncated: $err"

# Not hex at all.
if "$vmport" decode zz >/dev/null 2>&1; then fail "non-hex accepted"; fi

# A byte stream of every complete frame of the call scenarios, decoded in one pass.
python3 - "$vectors" "$work/stream.bin" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
with open(sys.argv[2], "wb") as f:
    for scen in ("cm_call_ring", "cm_call_answer", "cm_call_open_rx", "cm_call_media"):
        for k in sorted(d[scen], key=int):
            f.write(bytes.fromhex(d[scen][k]))
PY
out=$("$vmport" decode -f "$work/stream.bin")
echo "$out" | tail -n 3
grep -q '^18 messages, 0 unknown ids skipped, 0 malformed$' <<<"$out" || fail "stream decode count wrong"

# An unknown id inside a stream is skipped by its length and counted.
printf '\x04\x00\x00\x00\x00\x00\x00\x00\xee\x0e\x00\x00' >>"$work/stream.bin"
out=$("$vmport" decode -f "$work/stream.bin")
grep -q '^18 messages, 1 unknown ids skipped, 0 malformed$' <<<"$out" || fail "unknown id not skipped/counted"

# A stream whose length field lies (oversize) stops with a clear error.
printf '\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' >"$work/bad.bin"
if err=$("$vmport" decode -f "$work/bad.bin" 2>&1); then fail "oversize accepted"; fi
grep -qi oversize <<<"$err" || fail "oversize not named: $err"
echo "cli decode: all checks passed"
