#!/usr/bin/env bash
# Encrypted ports against the lab CallManager: registration over TLS with the CTL pin, a
# forwarded call with SRTP both ways, the message saved in the mailbox, MWI on, messages heard
# turning MWI off, and SIGTERM unregistering every port.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
MODE=${1:-encrypted}
PORTS=${2:-2}

labcm_conf lab "$MODE" "$PORTS"
if [ "$MODE" = nonsecure ]; then cucm="127.0.0.1:$lab_SCCP"; else cucm="127.0.0.1:$lab_TLS"; fi
vmport_conf vm "$MODE" "$PORTS" "$cucm" "127.0.0.1:$lab_TFTP" "register_rate = 50"
[ "$MODE" = authenticated ] && sed -i 's/^\[labcm\]$/[labcm]\ntls_mode = authenticated/' "$E2E_DIR/lab.ini"
trust_vmport_root vm lab

start lab labcm -c "$E2E_DIR/lab.ini"
wait_for 20 "labcm listening" test -S "$E2E_DIR/lab/labcm.sock"
start vm run -c "$E2E_DIR/vm.ini"
wait_for $((20 + PORTS / 5)) "$PORTS ports registered" all_registered vm "$PORTS"
say "$PORTS $MODE ports registered"
"$VMPORT" status -c "$E2E_DIR/vm.ini" >"$E2E_DIR/status.txt"
head -n 4 "$E2E_DIR/status.txt"

if [ "$MODE" != encrypted ] || [ "$PORTS" -le 4 ]; then
  python3 "$here/wavtool.py" tone "$E2E_DIR/caller.wav" 1000 8
  "$VMPORT" labcm call -c "$E2E_DIR/lab.ini" --from 2002 --to 1001 --forward-to-voicemail \
    --play "$E2E_DIR/caller.wav" --record "$E2E_DIR/heard.wav" --seconds 8 | tee "$E2E_DIR/call.out"
  grep -q "answered by" "$E2E_DIR/call.out" || fail "the call was not answered"
  if [ "$MODE" = encrypted ]; then grep -q "(SRTP)" "$E2E_DIR/call.out" || fail "media was not SRTP"; fi
  wait_for 15 "message saved for 1001" sh -c "ls '$E2E_DIR'/vm/messages/1001/*.wav"
  msg=$(ls "$E2E_DIR"/vm/messages/1001/*.wav | head -n 1)
  python3 "$here/wavtool.py" check "$msg" 1000 3
  wait_for 15 "MWI lamp on for 1001" log_has lab "SetLamp 0x0F on for 1001"
  say "message $msg saved, lamp on"
  "$VMPORT" messages heard 1001 -c "$E2E_DIR/vm.ini"
  wait_for 15 "MWI lamp off for 1001" log_has lab "SetLamp 0x0F off for 1001"
  [ -f "$E2E_DIR/vm/messages/1001/heard/$(basename "$msg")" ] || fail "message not moved to heard/"
  if [ "$MODE" = encrypted ]; then
    grep -q "0 auth failures" "$E2E_DIR/vm.log" || fail "SRTP authentication failures on the port"
  fi
fi

kill -TERM "$vm_PID"
wait "$vm_PID" && rc=0 || rc=$?
[ "$rc" -eq 0 ] || fail "vmport run exited $rc after SIGTERM"
n=$(grep -c "unregistered" "$E2E_DIR/lab.log" || true)
[ "$n" -ge "$PORTS" ] || fail "labcm saw $n of $PORTS ports unregister"
say "SIGTERM: $n ports unregistered, exit 0"
echo "e2e $MODE x$PORTS: all checks passed"
