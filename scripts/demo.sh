#!/usr/bin/env bash
# The main job on the embedded default: the lab CallManager plus 4 encrypted voicemail ports on
# loopback, one forwarded call that leaves a spoken message over SRTP, and the message-waiting
# lamp of extension 1001 going on. Exits 0 only when all of that happened.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
./scripts/bootstrap.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target vmport >/dev/null
export VMPORT="$root/build/bin/vmport"
E2E_KEEP=1
source tests/e2e/lib.sh
PORTS=4

echo
echo "vmport demo: lab CallManager + $PORTS encrypted ports on 127.0.0.1 (work dir $E2E_DIR)"
labcm_conf lab encrypted "$PORTS"
vmport_conf vm encrypted "$PORTS" "127.0.0.1:$lab_TLS" "127.0.0.1:$lab_TFTP" "register_rate = 10"
trust_vmport_root vm lab
say "vmport's root certificate exported and placed in the lab CallManager's CallManager-trust"
start lab labcm -c "$E2E_DIR/lab.ini"
wait_for 20 "the lab CallManager to listen" test -S "$E2E_DIR/lab/labcm.sock"
start vm run -c "$E2E_DIR/vm.ini"
wait_for 30 "$PORTS ports to register" all_registered vm "$PORTS"
"$VMPORT" status -c "$E2E_DIR/vm.ini" >"$E2E_DIR/status.txt"
say "ports registered over TLS with the CTL-pinned CallManager certificate:"
awk 'NR > 1 { printf "   %-14s %-6s %-10s %s\n", $1, $2, $4, $5 }' "$E2E_DIR/status.txt"

say "calling 1001 from 2002; 1001 forwards to voicemail; the caller speaks share/demo-message.wav"
"$VMPORT" labcm call -c "$E2E_DIR/lab.ini" --from 2002 --to 1001 --forward-to-voicemail \
  --play "$root/share/demo-message.wav" --record "$E2E_DIR/caller-heard.wav" --seconds 14 | tee "$E2E_DIR/call.txt" | sed 's/^/   /'
grep -q "answered by" "$E2E_DIR/call.txt" || fail "the call was not answered"
grep -q "(SRTP)" "$E2E_DIR/call.txt" || fail "the call's media was not SRTP"
grep -q "SRTP auth failures 0" "$E2E_DIR/call.txt" || fail "SRTP authentication failures at the caller"

wait_for 15 "the message to be saved" sh -c "ls '$E2E_DIR'/vm/messages/1001/*.wav"
msg=$(ls "$E2E_DIR"/vm/messages/1001/*.wav | head -n 1)
seconds=$(python3 -c 'import sys, wave; w = wave.open(sys.argv[1]); print(f"{w.getnframes() / w.getframerate():.1f}")' "$msg")
wait_for 10 "the port's media statistics" log_has vm "media closed"
media=$(grep "media closed" "$E2E_DIR/vm.log" | tail -n 1 | sed 's/.*media closed: //')
say "message saved: $msg ($seconds s, 8 kHz mono 16-bit)"
say "port media: $media"
grep -q "0 auth failures" <<<"$media" || fail "SRTP authentication failures at the port"

wait_for 15 "the lamp of 1001" log_has lab "SetLamp 0x0F on for 1001"
say "lab CallManager: $(grep "SetLamp 0x0F on for 1001" "$E2E_DIR/lab.log" | tail -n 1 | sed 's/.*labcm: //')"

kill -TERM "$vm_PID"
wait "$vm_PID" || fail "vmport run did not exit cleanly"
say "vmport stopped: every port unregistered"
echo
echo "demo: OK - $PORTS encrypted ports registered, one message recorded over SRTP ($seconds s), MWI on for 1001."
echo "      Listen to it: $msg"
