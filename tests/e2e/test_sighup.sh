#!/usr/bin/env bash
# SIGHUP re-reads CONF and re-registers only what changed: a run-time setting (the MWI numbers)
# changes in place without a new registration; a registration setting (protocol version)
# makes every port register again, now with the new value. The greeting is re-read as well (what
# `vmport greeting record` writes plays on the next call); one that does not load is refused and
# the previous one keeps playing.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

labcm_conf lab nonsecure 2
vmport_conf vm nonsecure 2 "127.0.0.1:$lab_SCCP" "127.0.0.1:$lab_TFTP" "register_rate = 50"
start lab labcm -c "$E2E_DIR/lab.ini"
wait_for 20 "labcm listening" test -S "$E2E_DIR/lab/labcm.sock"
start vm run -c "$E2E_DIR/vm.ini"
wait_for 20 "2 ports registered" all_registered vm 2
regs() { grep -c "registered from" "$E2E_DIR/lab.log" || true; }
[ "$(regs)" -eq 2 ] || fail "expected 2 registrations, labcm saw $(regs)"

# A run-time setting only: no port registers again, the new MWI number is dialled.
sed -i 's/^mwi_on_extension = 9999991$/mwi_on_extension = 9999993/' "$E2E_DIR/vm.ini"
kill -HUP "$vm_PID"
wait_for 10 "SIGHUP handled" log_has vm "SIGHUP: configuration re-read; 0 of 2 ports register again"
"$VMPORT" mwi on 1001 -c "$E2E_DIR/vm.ini" | grep -q "dialling 9999993" || fail "new MWI number not used"
sleep 1
[ "$(regs)" -eq 2 ] || fail "a run-time change made ports register again ($(regs) registrations)"
say "run-time change applied in place"

# A registration setting: both ports unregister and register again with protocol 15.
sed -i 's/^\[port_group\]$/[port_group]\nprotocol_version = 15/' "$E2E_DIR/vm.ini"
kill -HUP "$vm_PID"
wait_for 10 "SIGHUP handled" log_has vm "SIGHUP: configuration re-read; 2 of 2 ports register again"
wait_for 20 "both ports registered again" sh -c "[ \$(grep -c 'registered from' '$E2E_DIR/lab.log') -ge 4 ]"
wait_for 10 "2 ports registered" all_registered vm 2
n15=$(grep "registered from" "$E2E_DIR/lab.log" | tail -n 2 | grep -c "protocol 15" || true)
[ "$n15" -eq 2 ] || fail "ports did not register again with protocol 15: $(grep 'registered from' "$E2E_DIR/lab.log" | tail -n 2)"
say "registration change: both ports registered again with protocol 15"
# The greeting: a new file is loaded and heard on the next call.
heard_greeting() {
  rm -f "$E2E_DIR/heard.wav"
  "$VMPORT" labcm call -c "$E2E_DIR/lab.ini" --from 2002 --to 1001 --forward-to-voicemail \
    --record "$E2E_DIR/heard.wav" --seconds 3 | tee "$E2E_DIR/call.out"
  grep -q "answered by" "$E2E_DIR/call.out" || fail "the call was not answered"
  grep -q "recording .*: saved" "$E2E_DIR/call.out" || fail "the call recorded nothing"
  python3 "$here/wavtool.py" check "$E2E_DIR/heard.wav" 600 2 || fail "the caller did not hear the 600 Hz greeting ($1)"
}
python3 "$here/wavtool.py" tone "$E2E_DIR/greet.wav" 600 2
echo "greeting = $E2E_DIR/greet.wav" >>"$E2E_DIR/vm.ini"
kill -HUP "$vm_PID"
wait_for 10 "greeting re-read" log_has vm "SIGHUP: greeting loaded from $E2E_DIR/greet.wav (2.00 s)"
heard_greeting "after SIGHUP"
say "SIGHUP: the new greeting is played"
# A greeting that does not load: refused, the previous one still plays.
printf 'not a wav' >"$E2E_DIR/greet.wav"
kill -HUP "$vm_PID"
wait_for 10 "bad greeting refused" log_has vm "keeping the previous greeting"
heard_greeting "after a bad greeting"
say "SIGHUP: a bad greeting is refused, the previous one still plays"
echo "e2e sighup: all checks passed"
