#!/usr/bin/env bash
# Failover and fallback between two CallManagers, encrypted: primary labcm on 127.0.0.1, secondary
# on 127.0.0.2, keepalive 2 s, vmport with reconnect_to_higher_order = yes. Each labcm signs a CTL
# naming only itself, so the CTL vmport gets (from Debian's in.tftpd) is built here by
# ctl_build.py: signed with the primary's SAST key, one record per server (the primary's
# CallManager certificate for 127.0.0.1, the secondary's for 127.0.0.2), as a CUCM cluster's CTL.
# kill -9 the primary: every port must be registered on the secondary within 3 keepalive
# intervals. Restart the primary: every port must move back, one at a time, within a bounded time.
#
# Usage: test_failover.sh [PORTS] [kill|hang]. `hang` stops the primary (SIGSTOP) instead: no FIN,
# no RST, only missing KeepAliveAcks (3 missed, the 4th tick closes: at most 4 intervals + 1 s).
# The primary then stays hung for 12 s, past the 5 s hold-off and several 2 s fallback checks:
# the ports must stay in service on the secondary (at most one away probing the primary at any
# time), then move back once the primary is resumed (SIGCONT).
# `hang` failed before vmport had a connect/handshake timeout (5 s) and moved ports back one at
# a time only after the previous one registered: a hung primary accepts TCP and never answers.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
PORTS=${1:-3}
HOW=${2:-kill}
KA=2

E2E_KEEPALIVE=$KA labcm_conf lab encrypted "$PORTS" "name = cucm-a"
E2E_KEEPALIVE=$KA labcm_conf lab2 encrypted "$PORTS" "name = cucm-b"
sed -i 's/^listen = .*/listen = 127.0.0.2/' "$E2E_DIR/lab2.ini"
mkdir -p "$E2E_DIR/tftproot"
start_tftpd tftp "$E2E_DIR/tftproot"
P1="127.0.0.1:$lab_TLS" P2="127.0.0.2:$lab2_TLS"
vmport_conf vm encrypted "$PORTS" "$P1, $P2" "127.0.0.1:$tftp_PORT" "register_rate = 50" \
  "reconnect_to_higher_order = yes"
trust_vmport_root vm lab
trust_vmport_root vm lab2

start lab labcm -c "$E2E_DIR/lab.ini"
start lab2 labcm -c "$E2E_DIR/lab2.ini"
wait_for 20 "primary labcm listening" test -S "$E2E_DIR/lab/labcm.sock"
wait_for 20 "secondary labcm listening" test -S "$E2E_DIR/lab2/labcm.sock"
python3 "$here/ctl_build.py" "$E2E_DIR/tftproot/CTLFile.tlv" "$E2E_DIR/lab/sast.pem" "$E2E_DIR/lab/sast.key" \
  "ccm+tftp,127.0.0.1,cucm-a,$E2E_DIR/lab/callmanager.pem" "ccm,127.0.0.2,cucm-b,$E2E_DIR/lab2/callmanager.pem"

start vm run -c "$E2E_DIR/vm.ini"
# Every port registered, idle, on SERVER.
all_on() {
  "$VMPORT" status -c "$E2E_DIR/vm.ini" >"$E2E_DIR/status.now" 2>/dev/null || return 1
  [ "$(awk -v s="$1" '/^CiscoUM1-VI/ && $2 == "idle" && $3 == s' "$E2E_DIR/status.now" | wc -l)" -eq "$PORTS" ]
}
wait_for 30 "$PORTS ports registered on the primary $P1" all_on "$P1"
log_has vm "CCM Server '127.0.0.1': CTL record #2 CCM+TFTP CN=cucm-a" || fail "no CTL record for the primary"
log_has vm "CCM Server '127.0.0.2': CTL record #3 CCM CN=cucm-b" || fail "no CTL record for the secondary"
say "$PORTS ports on the primary"

if [ "$HOW" = kill ]; then
  # Failover: the primary dies without a word (the kernel closes its sockets).
  t0=$(date +%s%N)
  kill -KILL "$lab_PID"
  { wait "$lab_PID"; } 2>/dev/null || true
  LIMIT=$((3 * KA))
else
  # Failover: the primary hangs; only the missing KeepAliveAcks tell.
  t0=$(date +%s%N)
  kill -STOP "$lab_PID"
  LIMIT=$((4 * KA + 1))
fi
wait_for "$LIMIT" "every port on the secondary $P2 within $LIMIT s" all_on "$P2"
t1=$(date +%s%N)
cp "$E2E_DIR/status.now" "$E2E_DIR/status-secondary.txt"
head -n 5 "$E2E_DIR/status-secondary.txt"
say "failover ($HOW): all $PORTS ports on the secondary $(( (t1 - t0) / 1000000 )) ms after the primary went (limit $LIMIT s)"
[ "$(grep -c " registered from " "$E2E_DIR/lab2.log")" -ge "$PORTS" ] || fail "the secondary did not see the registrations"
for i in $(seq 1 "$PORTS"); do
  log_has vm "CiscoUM1-VI$i: failing over from $P1 to $P2" || fail "CiscoUM1-VI$i: no failover line"
done
[ "$HOW" = kill ] || log_has vm "closing the connection to $P1: keepalive lost" || fail "no 'keepalive lost' line"

if [ "$HOW" = kill ]; then
  # Fallback: the primary comes back (same state: same certificate); ports move back one by one.
  mv "$E2E_DIR/lab.log" "$E2E_DIR/lab-before-kill.log"
  t2=$(date +%s%N)
  start lab labcm -c "$E2E_DIR/lab.ini"
else
  # The primary stays hung: the ports must stay in service meanwhile.
  worst=$PORTS
  for _ in $(seq 1 12); do
    sleep 1
    n=$(registered_count vm || true)
    [ "${n:-0}" -lt "$worst" ] && worst=${n:-0}
    if [ "${n:-0}" -lt $((PORTS - 1)) ]; then
      "$VMPORT" status -c "$E2E_DIR/vm.ini" >"$E2E_DIR/status-hung.txt" 2>&1 || true
      cat "$E2E_DIR/status-hung.txt"
      grep -E "moving back|registered with|keepalive lost" "$E2E_DIR/vm.log" | tail -n 8
      fail "with the primary hung, only ${n:-0} of $PORTS ports are registered (want at least $((PORTS - 1)): at most one away probing)"
    fi
  done
  say "12 s with the primary hung: at least $worst of $PORTS ports registered throughout"
  t2=$(date +%s%N)
  kill -CONT "$lab_PID"
fi
LIMIT=$((10 + 3 * PORTS))
wait_for "$LIMIT" "every port back on the primary $P1" all_on "$P1"
t3=$(date +%s%N)
head -n 5 "$E2E_DIR/status.now"
say "fallback: all $PORTS ports back on the primary $(( (t3 - t2) / 1000000 )) ms after its return (limit $LIMIT s)"

# One at a time: each port that moves back is registered on the primary before the next one moves.
grep -E "moving back to higher-order CallManager|registered with $P1" "$E2E_DIR/vm.log" |
  awk -v since="$(date -u -d @"$((t2 / 1000000000))" +%Y-%m-%dT%H:%M:%S)" '$1 >= since' >"$E2E_DIR/fallback.txt"
cat "$E2E_DIR/fallback.txt"
moves=$(grep -c "moving back" "$E2E_DIR/fallback.txt" || true)
[ "$moves" -eq "$PORTS" ] || fail "$moves ports moved back, want $PORTS (one move each)"
awk '
  /moving back/ { if (pending != "") bad = bad " " $4 " moved while " pending " was still on its way;"; pending = $4 }
  /registered with/ { if ($4 == pending) pending = "" }
  END { if (bad != "") { print "not one at a time:" bad; exit 1 } }' "$E2E_DIR/fallback.txt" ||
  fail "ports did not move back one at a time"
[ "$(grep -c " unregistered " "$E2E_DIR/lab2.log")" -ge "$PORTS" ] || fail "the ports did not unregister from the secondary"
[ "$HOW" = hang ] || log_has lab "CTL .* CCM+TFTP record cucm-a" || fail "the restarted primary did not start normally"
echo "e2e failover ($HOW, $PORTS encrypted ports): all checks passed"
