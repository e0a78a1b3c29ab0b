#!/usr/bin/env bash
# Encrypted ports that cannot get a CallManager certificate must not connect, and must say why in
# CUC's words (protocol.md §6.5, §7.6), retrying every 5 s. Two vmport instances run side by side:
#  A. the TFTP server (Debian's in.tftpd, empty directory) has no CTLFile.tlv: res=68, "FAILED
#     Port group ... error retrieving server certificates.", "Starting retry timer -> 5000 msec",
#     retried ~5 s apart; once the CTL appears on the TFTP server, the ports register;
#  B. the CTL (labcm's, naming 127.0.0.1) has no record for the configured CUCM 127.0.0.2 (a
#     second labcm listening there): "failed to find CCM Server '127.0.0.2' in CTL File",
#     "Failed to extract any CCM Certificates - Registration cannot proceed. Starting retry timer
#     -> 5000 msec"; it never connects to the CallManager on 127.0.0.2;
#  C. a TFTP server that never answers: while the fetch waits out its timeout (on a thread),
#     `vmport status` still answers at once: the event loop is not blocked.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
PORTS=2

labcm_conf lab encrypted "$PORTS"
labcm_conf lab2 encrypted "$PORTS"
sed -i 's/^listen = .*/listen = 127.0.0.2/' "$E2E_DIR/lab2.ini"
mkdir -p "$E2E_DIR/tftproot"
start_tftpd tftp "$E2E_DIR/tftproot"
vmport_conf vmA encrypted "$PORTS" "127.0.0.1:$lab_TLS" "127.0.0.1:$tftp_PORT" "register_rate = 50"
vmport_conf vmB encrypted "$PORTS" "127.0.0.2:$lab2_TLS" "127.0.0.1:$lab_TFTP" "register_rate = 50"
trust_vmport_root vmA lab
trust_vmport_root vmB lab2

start lab labcm -c "$E2E_DIR/lab.ini"
start lab2 labcm -c "$E2E_DIR/lab2.ini"
wait_for 20 "labcm listening" test -S "$E2E_DIR/lab/labcm.sock"
wait_for 20 "second labcm listening" test -S "$E2E_DIR/lab2/labcm.sock"
log_has lab2 "listening for SCCP over TLS on 127.0.0.2:$lab2_TLS" || fail "second labcm not on 127.0.0.2"
start vmA run -c "$E2E_DIR/vmA.ini"
start vmB run -c "$E2E_DIR/vmB.ini"

# Three attempts each: the first and two retries.
url="tftp://127.0.0.1:$tftp_PORT/CTLFile.tlv"
three_a() { [ "$(grep -c "Error executing tftp command '$url' res=68" "$E2E_DIR/vmA.log")" -ge 3 ]; }
three_b() { [ "$(grep -c "Failed to extract any CCM Certificates - Registration cannot proceed. Starting retry timer -> 5000 msec" "$E2E_DIR/vmB.log")" -ge 3 ]; }
wait_for 20 "A: three failed CTL fetches" three_a
wait_for 20 "B: three attempts without a CCM certificate" three_b

# A: the CUC lines, each attempt ~5 s after the previous one.
log_has vmA "FAILED Port group 'E2E-vmA' attempt set InService(true), error retrieving server certificates." ||
  fail "A: no FAILED Port group line"
log_has vmA "trust: Starting retry timer -> 5000 msec" || fail "A: no retry timer line"
grep -m1 "Error executing tftp command" "$E2E_DIR/vmA.log"
grep -m1 "FAILED Port group" "$E2E_DIR/vmA.log"
check_spacing() { # check_spacing LOG PATTERN WHAT
  local prev="" t gap
  while IFS= read -r line; do
    t=$(log_time "$line")
    if [ -n "$prev" ]; then
      gap=$(echo "$t - $prev" | bc)
      echo "   $3: attempt after ${gap} s"
      [ "$(echo "$gap >= 4.5 && $gap <= 6.5" | bc)" = 1 ] || fail "$3: retry after $gap s, want about 5 s"
    fi
    prev=$t
  done < <(grep -- "$2" "$E2E_DIR/$1.log")
}
check_spacing vmA "Error executing tftp command '$url' res=68" "A"

# B: the CUC lines, every ~5 s.
log_has vmB "failed to find CCM Server '127.0.0.2' in CTL File" || fail "B: no 'failed to find CCM Server' line"
grep -m1 "failed to find CCM Server" "$E2E_DIR/vmB.log"
grep -m1 "Failed to extract any CCM Certificates" "$E2E_DIR/vmB.log"
check_spacing vmB "Failed to extract any CCM Certificates" "B"

# Neither connected to a CallManager: no connection in either labcm's log (every accepted
# connection is logged with its peer address when it closes, fails or registers), none in status.
for l in lab lab2; do
  if grep -E "labcm: 127\.0\.0\.[0-9]+:[0-9]+[: ]| registered from " "$E2E_DIR/$l.log"; then
    fail "$l saw a connection (above)"
  fi
  "$VMPORT" labcm status -c "$E2E_DIR/$l.ini" >"$E2E_DIR/$l.status"
  head -n 1 "$E2E_DIR/$l.status"
  grep -q " 0 registered, 0 calls up, 0 connections" "$E2E_DIR/$l.status" || fail "$l has connections"
done
for v in vmA vmB; do
  [ "$(registered_count $v)" = 0 ] || fail "$v: registered ports"
  if grep -q "port: CiscoUM1" "$E2E_DIR/$v.log"; then fail "$v: a port tried to connect"; fi
done
log_has lab "TFTP 127.0.0.1:[0-9]*: sent CTLFile.tlv" || fail "B never fetched labcm's CTL"

# A recovers as soon as the TFTP server has the CTL.
cp "$E2E_DIR/lab/tftp/CTLFile.tlv" "$E2E_DIR/tftproot/CTLFile.tlv"
chmod 0644 "$E2E_DIR/tftproot/CTLFile.tlv"
wait_for 15 "A: $PORTS ports registered once the CTL is there" all_registered vmA "$PORTS"
log_has vmA "tftp command '$url' res=0" || fail "A: registered without fetching the CTL"
say "A registered after the CTL appeared"
# C. A TFTP server that never answers: each fetch takes the whole TFTP timeout (3 s). The fetch
# runs off the event loop, so vmport answers its control socket meanwhile (a blocked loop would
# answer only after the fetch gave up).
silent_port=$(free_port)
python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", '"$silent_port"'))
time.sleep(600)' &
E2E_PIDS+=("$!")
vmport_conf vmC encrypted "$PORTS" "127.0.0.1:$lab_TLS" "127.0.0.1:$silent_port" "register_rate = 50"
start vmC run -c "$E2E_DIR/vmC.ini"
wait_for 10 "C: the first CTL fetch under way" log_has vmC "fetching CTLFile.tlv (start"
t0=$(date +%s%N)
"$VMPORT" status -c "$E2E_DIR/vmC.ini" >"$E2E_DIR/vmC.status" || fail "C: vmport status failed"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
head -n 1 "$E2E_DIR/vmC.status"
[ "$ms" -lt 1000 ] || fail "C: status took $ms ms during the CTL fetch: the event loop was blocked"
if log_has vmC "Error executing tftp command 'tftp://127.0.0.1:$silent_port/CTLFile.tlv'"; then
  fail "C: the fetch had already given up when status answered (machine too slow to tell)"
fi
say "C: status answered in $ms ms while the CTL fetch was in progress"
wait_for 10 "C: the silent TFTP server timed out" \
  log_has vmC "Error executing tftp command 'tftp://127.0.0.1:$silent_port/CTLFile.tlv' res=28"
grep -m1 "Error executing tftp command 'tftp://127.0.0.1:$silent_port" "$E2E_DIR/vmC.log"
echo "e2e no CTL / server not in CTL / silent TFTP server: all checks passed"
