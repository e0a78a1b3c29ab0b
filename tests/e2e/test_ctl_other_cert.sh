#!/usr/bin/env bash
# The CTL names another CallManager certificate than the one the CallManager presents (a CUCM
# whose certificate was regenerated while the TFTP server still serves the old CTL).
# labcm makes its state (SAST, CallManager certificate, CTL) and stops; the CTL it signed is put
# on a separate TFTP server (Debian's in.tftpd); labcm's CallManager certificate is removed, so at
# its next start labcm makes a new one (and a new CTL for itself, signed by the same SAST).
# vmport must refuse the presented certificate naming both SHA-256 fingerprints (CTL and
# presented), fetch the CTL again, find it unchanged, not register; once the TFTP server serves
# the CTL with the new certificate, vmport must take it at its next fetch and register.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
MODE=${1:-encrypted}
PORTS=2

labcm_conf lab "$MODE" "$PORTS"
[ "$MODE" = authenticated ] && sed -i 's/^\[labcm\]$/[labcm]\ntls_mode = authenticated/' "$E2E_DIR/lab.ini"
vmport_conf vm "$MODE" "$PORTS" "127.0.0.1:$lab_TLS" "127.0.0.1:1" "register_rate = 50"
trust_vmport_root vm lab

# 1. labcm's first state: its CTL names certificate A.
start lab labcm -c "$E2E_DIR/lab.ini"
wait_for 20 "labcm listening" test -S "$E2E_DIR/lab/labcm.sock"
kill -TERM "$lab_PID"
wait "$lab_PID" || true
mkdir -p "$E2E_DIR/tftproot"
cp "$E2E_DIR/lab/tftp/CTLFile.tlv" "$E2E_DIR/tftproot/CTLFile.tlv"
chmod 0644 "$E2E_DIR/tftproot/CTLFile.tlv"
cp "$E2E_DIR/lab/callmanager.pem" "$E2E_DIR/cert-a.pem"
fp_a=$(cert_sha256 "$E2E_DIR/cert-a.pem")

# 2. A new CallManager certificate B (same SAST): labcm makes it at its next start.
rm "$E2E_DIR/lab/callmanager.pem" "$E2E_DIR/lab/callmanager.key"
mv "$E2E_DIR/lab.log" "$E2E_DIR/lab-first.log"
start lab labcm -c "$E2E_DIR/lab.ini"
wait_for 20 "labcm listening again" test -S "$E2E_DIR/lab/labcm.sock"
log_has lab "made $E2E_DIR/lab/callmanager.pem" || fail "labcm did not make a new CallManager certificate"
fp_b=$(cert_sha256 "$E2E_DIR/lab/callmanager.pem")
[ "$fp_a" != "$fp_b" ] || fail "the new CallManager certificate is the old one"
say "CTL on the TFTP server names A $fp_a; labcm presents B $fp_b"

# 3. vmport fetches the CTL with A from in.tftpd and connects to labcm (B).
start_tftpd tftp "$E2E_DIR/tftproot"
sed -i "s/^tftp = .*/tftp = 127.0.0.1:$tftp_PORT/" "$E2E_DIR/vm.ini"
start vm run -c "$E2E_DIR/vm.ini"
wait_for 15 "vmport pinning certificate A from the CTL" log_has vm "CCM Server '127.0.0.1': CTL record #2 .*SHA-256 $fp_a"
wait_for 15 "vmport refusing certificate B naming both fingerprints" \
  log_has vm "server 127.0.0.1:$lab_TLS: server certificate differs from the CTL's CallManager certificate (CTL SHA-256 $fp_a, presented $fp_b)"
grep -m1 "server certificate differs" "$E2E_DIR/vm.log"
wait_for 10 "vmport fetching the CTL again because of the refusal" \
  log_has vm "fetching CTLFile.tlv (a CallManager certificate was rejected: CallManager 127.0.0.1 presented a certificate the CTL does not pin)"
wait_for 10 "vmport finding the refetched CTL unchanged" \
  log_has vm "CTLFile.tlv on the TFTP server is unchanged: it still lists the certificate the CallManager no longer presents. Registration cannot proceed. Starting retry timer -> 5000 msec"
n=$(grep -c "tftp://127.0.0.1:$tftp_PORT/CTLFile.tlv' res=0" "$E2E_DIR/vm.log" || true)
[ "$n" -ge 2 ] || fail "the CTL was fetched $n times; expected a second fetch after the refusal"
# labcm's side of the refusal: the port's alert.
wait_for 10 "labcm logging the port's refusal" log_has lab "TLS handshake failed: .*alert"
grep -m1 "TLS handshake failed" "$E2E_DIR/lab.log"

# 4. A second round of attempts (5 s later) is refused too; nothing registers.
wait_for 15 "a second refused attempt" sh -c "[ \$(grep -c 'server certificate differs from the CTL' '$E2E_DIR/vm.log') -ge $((2 * PORTS)) ]"
if grep -q " registered from " "$E2E_DIR/lab.log"; then fail "labcm registered a port despite the CTL mismatch"; fi
[ "$(registered_count vm)" = 0 ] || fail "vmport status shows registered ports"
say "refused $(grep -c 'server certificate differs' "$E2E_DIR/vm.log") times, CTL fetched $(grep -c "res=0" "$E2E_DIR/vm.log") times, nothing registered"

# 5. The TFTP server now serves labcm's current CTL (B): the next fetch takes it, ports register.
cp "$E2E_DIR/lab/tftp/CTLFile.tlv" "$E2E_DIR/tftproot/CTLFile.tlv.new"
chmod 0644 "$E2E_DIR/tftproot/CTLFile.tlv.new"
mv "$E2E_DIR/tftproot/CTLFile.tlv.new" "$E2E_DIR/tftproot/CTLFile.tlv"
wait_for 25 "$PORTS ports registered with the new CTL" all_registered vm "$PORTS"
log_has vm "CTLFile.tlv changed: " || fail "vmport did not log the CTL change"
log_has vm "CCM Server '127.0.0.1': CTL record #2 .*SHA-256 $fp_b" || fail "vmport did not pin certificate B"
"$VMPORT" status -c "$E2E_DIR/vm.ini" >"$E2E_DIR/status.txt"
head -n 4 "$E2E_DIR/status.txt"
echo "e2e CTL names another certificate ($MODE): all checks passed"
