#!/usr/bin/env bash
# CUCM does not trust vmport's root: labcm's CallManager-trust holds another root (made here with
# openssl, CN=OtherRoot), so every port's TLS client certificate is refused. No port may register;
# labcm must name the refused client certificate (untrusted issuer: vmport's root) on every
# attempt, and vmport must log, for every refused attempt of every port, the CallManager's
# unknown_ca alert with the hint "CUCM does not trust vmport's root; upload ROOT.pem as
# CallManager-trust" (tls_conn.c client_alert_hint), never a bare socket error.
# Usage: test_wrong_root.sh [encrypted|authenticated] [PORTS]
#
# This failed before the TLS layer kept reading after a failed send: labcm's alert is followed
# by a TCP reset (it closes with the port's handshake bytes unread), so the port's send fails
# first (EPIPE/ECONNRESET) while the unknown_ca alert still waits in the receive queue.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
MODE=${1:-encrypted}
PORTS=${2:-2}

labcm_conf lab "$MODE" "$PORTS"
[ "$MODE" = authenticated ] && sed -i 's/^\[labcm\]$/[labcm]\ntls_mode = authenticated/' "$E2E_DIR/lab.ini"
vmport_conf vm "$MODE" "$PORTS" "127.0.0.1:$lab_TLS" "127.0.0.1:$lab_TFTP" "register_rate = 50"
mkdir -p "$E2E_DIR/lab/CallManager-trust" "$E2E_DIR/other"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$E2E_DIR/other/other.key" \
  -out "$E2E_DIR/lab/CallManager-trust/other-root.pem" -subj /CN=OtherRoot -days 30 \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null ||
  fail "openssl could not make OtherRoot"
# vmport's own root (never given to labcm): the logs must name it as the untrusted issuer.
"$VMPORT" ca export-root -c "$E2E_DIR/vm.ini" -o "$E2E_DIR/vm-root.pem" >/dev/null
root_cn=$(openssl x509 -in "$E2E_DIR/vm-root.pem" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= *//p')
[ -n "$root_cn" ] || fail "cannot read the CN of vmport's root"

start lab labcm -c "$E2E_DIR/lab.ini"
wait_for 20 "labcm listening" test -S "$E2E_DIR/lab/labcm.sock"
log_has lab "TLS $MODE mode: 1 CallManager-trust certificates" ||
  fail "labcm did not load OtherRoot as its only CallManager-trust certificate"
start vm run -c "$E2E_DIR/vm.ini"

# labcm refuses each port's chain: the certificate named is vmport's root (the top of the chain
# the port sends), refused because no CallManager-trust certificate issued it.
refused_by_lab() {
  [ "$(grep -c "TLS handshake failed: client.* certificate .*CN=$root_cn .*is not issued by a CallManager-trust certificate" "$E2E_DIR/lab.log")" -ge $((2 * PORTS)) ]
}
# Two rounds of attempts (the ports retry every 5 s).
wait_for 25 "labcm refusing two rounds of client certificates" refused_by_lab
sleep 0.5
if grep -q " registered from " "$E2E_DIR/lab.log"; then fail "labcm registered a port it should have refused"; fi
if grep -q ": registered with " "$E2E_DIR/vm.log"; then fail "vmport says a port registered"; fi
[ "$(registered_count vm)" = 0 ] || fail "vmport status shows registered ports"
kill -0 "$vm_PID" 2>/dev/null || fail "vmport exited"
say "no port registered; labcm refused $(grep -c "TLS handshake failed" "$E2E_DIR/lab.log") handshakes"

problems=()
# labcm's line must carry the whole issuer name (the root to upload), not a truncated one.
line=$(grep -m1 "TLS handshake failed" "$E2E_DIR/lab.log")
echo "$line"
grep -q "(issuer /O=vmport/CN=$root_cn)" <<<"$line" ||
  problems+=("labcm's refusal does not carry the complete issuer name '/O=vmport/CN=$root_cn' (line is ${#line} characters; cut short?)")

# vmport: every refused attempt of every port logs the alert with the operator's hint.
hint="server sent alert unknown_ca (48) during the .*: CUCM does not trust vmport's root; upload ROOT.pem as CallManager-trust"
grep -E "port: CiscoUM1-VI[0-9]+: (server |.*alert)" "$E2E_DIR/vm.log" >"$E2E_DIR/refusals.txt" || true
say "vmport: $(wc -l <"$E2E_DIR/refusals.txt") refused attempts logged, $(grep -c -- "$hint" "$E2E_DIR/refusals.txt" || true) with the alert and hint"
grep -m1 -- "$hint" "$E2E_DIR/refusals.txt" || true
for i in $(seq 1 "$PORTS"); do
  n=$(grep -c "CiscoUM1-VI$i: .*$hint" "$E2E_DIR/refusals.txt" || true)
  [ "$n" -ge 2 ] || problems+=("CiscoUM1-VI$i: only $n refused attempts logged the unknown_ca alert with the CallManager-trust hint (want every attempt, at least 2)")
done
if grep -v -- "$hint" "$E2E_DIR/refusals.txt" >"$E2E_DIR/bare.txt"; then
  head -n 4 "$E2E_DIR/bare.txt"
  problems+=("$(wc -l <"$E2E_DIR/bare.txt") refused attempts logged without the unknown_ca alert and its hint (above)")
fi
if [ "${#problems[@]}" -gt 0 ]; then
  printf 'problem: %s\n' "${problems[@]}" >&2
  fail "${#problems[@]} problems"
fi
echo "e2e wrong root ($MODE): all checks passed"
