#!/usr/bin/env bash
# SIGHUP re-reads CONF and re-registers only what changed: a run-time setting (the MWI numbers)
# changes in place without a new registration; a registration setting (protocol version)
# makes every port register again, now with the new value.
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
echo "e2e sighup: all checks passed"
