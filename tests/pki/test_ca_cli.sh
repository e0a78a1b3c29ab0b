#!/usr/bin/env bash
# `vmport ca init / export-root / show` judged by the openssl command line: the chain verifies at
# security level 2 (also in a real TLS handshake both ways), subjects, key usages, the
# "<subject-hash>.0" copy, key modes, idempotence and repair.
set -euo pipefail
vmport=$1
work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "--- $*"; }

conf=$work/vmport.ini
cat >"$conf" <<EOF
[port_group]
name = PhoneSystem-1
device_name_prefix = CiscoUM1-VI
ports = 3
security_mode = encrypted
[servers]
cucm = 127.0.0.1:2443
tftp = 127.0.0.1:69
[security]
state_dir = $work/state
EOF
pki=$work/state/pki
ports=(CiscoUM1-VI1 CiscoUM1-VI2 CiscoUM1-VI3)

step "ca init creates the root and three ports"
out=$("$vmport" ca init -c "$conf")
echo "$out"
grep -Eq '^root +created' <<<"$out" || fail "root not reported as created"
for p in "${ports[@]}"; do
  grep -Eq "^port $p +created" <<<"$out" || fail "$p not reported as created"
done
grep -q '4 created, 0 re-issued, 0 kept' <<<"$out" || fail "summary wrong"
grep -Eq 'SHA-256 +([0-9A-F]{2}:){31}[0-9A-F]{2}$' <<<"$out" || fail "no SHA-256 fingerprint"

step "a second ca init keeps everything"
before=$(cat "$pki"/root-ca.pem "$pki"/ports/*.pem "$pki"/root-ca.key "$pki"/ports/*.key | sha256sum)
out=$("$vmport" ca init -c "$conf")
grep -q '0 created, 0 re-issued, 4 kept' <<<"$out" || fail "second init changed something: $out"
after=$(cat "$pki"/root-ca.pem "$pki"/ports/*.pem "$pki"/root-ca.key "$pki"/ports/*.key | sha256sum)
[ "$before" = "$after" ] || fail "files changed on the second init"

step "key files are 0600"
for k in "$pki"/root-ca.key "$pki"/ports/*.key; do
  [ "$(stat -c %a "$k")" = 600 ] || fail "$k has mode $(stat -c %a "$k")"
  openssl rsa -check -noout -in "$k" >/dev/null 2>&1 || fail "$k: openssl rsa -check failed"
done

step "ca export-root writes ROOT.pem and <subject-hash>.0"
mkdir "$work/out"
root=$work/out/ROOT.pem
out=$("$vmport" ca export-root -c "$conf" -o "$root")
echo "$out"
hash=$(openssl x509 -noout -hash -in "$root")
[[ $hash =~ ^[0-9a-f]{8}$ ]] || fail "openssl hash '$hash'"
[ -f "$work/out/$hash.0" ] || fail "$hash.0 missing; files: $(ls "$work/out")"
cmp "$root" "$work/out/$hash.0" || fail "$hash.0 differs from ROOT.pem"
cmp "$root" "$pki/root-ca.pem" || fail "ROOT.pem differs from the stored root"
grep -qF "wrote $root" <<<"$out" || fail "ROOT.pem path not printed"
grep -qF "wrote $work/out/$hash.0" <<<"$out" || fail "hash copy path not printed"
grep -qF "upload $root to every CUCM node as CallManager-trust, then restart Cisco CallManager" <<<"$out" ||
  fail "upload instruction missing"
grep -q "subject hash $hash" <<<"$out" || fail "printed subject hash is not openssl's ($hash)"
# A second export finds its own copy instead of making "<hash>.1".
"$vmport" ca export-root -c "$conf" -o "$root" >/dev/null
[ ! -e "$work/out/$hash.1" ] || fail "second export made $hash.1"

step "the root: CN, CA, key usage, algorithm"
subject=$(openssl x509 -noout -subject -nameopt RFC2253 -in "$root")
cn=$(sed -n 's/^subject=CN=\([^,]*\),O=vmport$/\1/p' <<<"$subject")
[[ $cn =~ ^CiscoUnity-[0-9a-f-]{36}$ ]] || fail "root subject '$subject'"
[[ $cn =~ ^CiscoUnity-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]] || fail "not a v4 UUID: $cn"
[ "$(openssl x509 -noout -issuer -nameopt RFC2253 -in "$root")" = "issuer=${subject#subject=}" ] || fail "root not self-issued"
bc=$(openssl x509 -noout -ext basicConstraints -in "$root")
grep -q 'critical' <<<"$bc" && grep -q 'CA:TRUE' <<<"$bc" || fail "basicConstraints: $bc"
ku=$(openssl x509 -noout -ext keyUsage -in "$root")
grep -q 'Certificate Sign, CRL Sign' <<<"$ku" || fail "root keyUsage: $ku"
root_skid=$(openssl x509 -noout -ext subjectKeyIdentifier -in "$root" | tail -n 1 | tr -d ' ')
[ -n "$root_skid" ] || fail "root has no subjectKeyIdentifier"
text=$(openssl x509 -noout -text -in "$root")
grep -q 'Public-Key: (2048 bit)' <<<"$text" || fail "root key is not RSA-2048"
grep -q 'Signature Algorithm: sha256WithRSAEncryption' <<<"$text" || fail "root not SHA-256"
serial=$(openssl x509 -noout -serial -in "$root")
[[ $serial =~ ^serial=[0-7][0-9A-F]{31}$ ]] || fail "root serial '$serial' is not 16 positive bytes"
not_after=$(date -d "$(openssl x509 -noout -enddate -in "$root" | cut -d= -f2)" +%s)
years=$(( (not_after - $(date +%s)) / 86400 / 365 ))
[ "$years" -ge 19 ] && [ "$years" -le 20 ] || fail "root valid for $years years"

step "each port: chain, subject, usages, at security level 2"
for p in "${ports[@]}"; do
  cert=$pki/ports/$p.pem
  openssl verify -auth_level 2 -CAfile "$root" "$cert" >/dev/null || fail "$p does not verify against ROOT.pem"
  openssl verify -auth_level 2 -purpose sslclient -CAfile "$root" "$cert" >/dev/null || fail "$p: not a TLS client cert"
  openssl verify -auth_level 2 -purpose sslserver -CAfile "$root" "$cert" >/dev/null || fail "$p: not a TLS server cert"
  # The <hash>.0 name is the one OpenSSL looks the root up by.
  openssl verify -auth_level 2 -CApath "$work/out" "$cert" >/dev/null || fail "$p: root not found through -CApath"
  [ "$(openssl x509 -noout -subject -nameopt RFC2253 -in "$cert")" = "subject=CN=$p,O=vmport" ] ||
    fail "$p subject: $(openssl x509 -noout -subject -nameopt RFC2253 -in "$cert")"
  [ "$(openssl x509 -noout -issuer -nameopt RFC2253 -in "$cert")" = "issuer=${subject#subject=}" ] || fail "$p issuer"
  eku=$(openssl x509 -noout -ext extendedKeyUsage -in "$cert")
  grep -q 'TLS Web Server Authentication' <<<"$eku" && grep -q 'TLS Web Client Authentication' <<<"$eku" ||
    fail "$p EKU: $eku"
  ku=$(openssl x509 -noout -ext keyUsage -in "$cert")
  grep -q 'Digital Signature, Key Encipherment$' <<<"$ku" || fail "$p keyUsage: $ku"
  akid=$(openssl x509 -noout -ext authorityKeyIdentifier -in "$cert" | sed -n 's/^ *\(keyid:\)\{0,1\}\([0-9A-F:]\{59\}\)$/\2/p')
  [ "$akid" = "$root_skid" ] || fail "$p authorityKeyIdentifier '$akid' is not the root's '$root_skid'"
  text=$(openssl x509 -noout -text -in "$cert")
  grep -q 'Public-Key: (2048 bit)' <<<"$text" || fail "$p key is not RSA-2048"
  grep -q 'Signature Algorithm: sha256WithRSAEncryption' <<<"$text" || fail "$p not SHA-256"
  grep -q 'CA:TRUE' <<<"$text" && fail "$p claims to be a CA"
  [ "$(openssl x509 -noout -modulus -in "$cert")" = "$(openssl rsa -noout -modulus -in "$pki/ports/$p.key" 2>/dev/null)" ] ||
    fail "$p key does not match"
  serial=$(openssl x509 -noout -serial -in "$cert")
  [[ $serial =~ ^serial=[0-7][0-9A-F]{31}$ ]] || fail "$p serial '$serial'"
  not_before=$(date -d "$(openssl x509 -noout -startdate -in "$cert" | cut -d= -f2)" +%s)
  skew=$(( $(date +%s) - not_before ))
  [ "$skew" -ge 3500 ] && [ "$skew" -le 3900 ] || fail "$p notBefore is $skew s ago, not 1 h"
done

step "a TLS 1.2 handshake with mutual authentication at SECLEVEL=2 (port 1 serves, port 2 is the client)"
port=$((20000 + RANDOM % 20000))
# -www: the server answers one HTTP GET and does not read its stdin (it would see EOF and quit).
openssl s_server -www -accept "127.0.0.1:$port" -naccept 1 -tls1_2 -cipher 'DEFAULT:@SECLEVEL=2' -auth_level 2 \
  -cert "$pki/ports/CiscoUM1-VI1.pem" -key "$pki/ports/CiscoUM1-VI1.key" -CAfile "$root" \
  -Verify 1 -verify_return_error >"$work/server.log" 2>&1 &
server_pid=$!
ok=
for _ in $(seq 1 50); do
  if client=$(printf 'GET / HTTP/1.0\r\n\r\n' | openssl s_client -connect "127.0.0.1:$port" -tls1_2 \
      -cipher 'DEFAULT:@SECLEVEL=2' -auth_level 2 -cert "$pki/ports/CiscoUM1-VI2.pem" \
      -key "$pki/ports/CiscoUM1-VI2.key" -CAfile "$root" -verify_return_error -verify_hostname CiscoUM1-VI1 \
      -brief -ign_eof 2>&1); then ok=1; break; fi
  grep -q 'Connection refused\|connect:errno' <<<"$client" || break
  sleep 0.1
done
[ -n "$ok" ] || fail "TLS client failed: $client"
grep -q 'Verification: OK' <<<"$client" || fail "client did not verify the server: $client"
grep -q 'Verified peername: CiscoUM1-VI1' <<<"$client" || fail "server name not verified: $client"
grep -q 'HTTP/1.0 200 ok' <<<"$client" || fail "no answer through the TLS session: $client"
wait "$server_pid" || true
server_pid=
grep -qi 'verify error\|alert' "$work/server.log" && fail "server refused the client: $(cat "$work/server.log")"
grep -q 'depth=0 O = vmport, CN = CiscoUM1-VI2' "$work/server.log" ||
  fail "server saw no client certificate: $(cat "$work/server.log")"
echo "handshake: $(grep -E '^(Protocol version|Ciphersuite):' <<<"$client" | tr '\n' ' ')"

step "ca show reports all ports sound"
out=$("$vmport" ca show -c "$conf")
echo "$out"
for p in "${ports[@]}"; do
  grep -Eq "^port $p +ok" <<<"$out" || fail "ca show: $p not ok"
done

step "a corrupted port certificate: ca show says so, ca init re-issues it"
echo garbage >"$pki/ports/CiscoUM1-VI2.pem"
if out=$("$vmport" ca show -c "$conf"); then fail "ca show exit 0 with a broken certificate"; fi
grep -Eq '^port CiscoUM1-VI2 +NEEDS ISSUING' <<<"$out" || fail "ca show: $out"
out=$("$vmport" ca init -c "$conf")
grep -Eq '^port CiscoUM1-VI2 +re-issued: ' <<<"$out" || fail "not re-issued: $out"
grep -q '0 created, 1 re-issued, 3 kept' <<<"$out" || fail "summary after repair: $out"
openssl verify -auth_level 2 -CAfile "$root" "$pki/ports/CiscoUM1-VI2.pem" >/dev/null || fail "re-issued cert does not verify"

step "more ports: only the new one is created"
sed -i 's/^ports = 3$/ports = 4/' "$conf"
out=$("$vmport" ca init -c "$conf")
grep -q '1 created, 0 re-issued, 4 kept' <<<"$out" || fail "growing ports: $out"
openssl verify -auth_level 2 -CAfile "$root" "$pki/ports/CiscoUM1-VI4.pem" >/dev/null || fail "new port does not verify"

step "errors: unusable state_dir, usage"
touch "$work/plainfile"
sed "s|^state_dir = .*|state_dir = $work/plainfile/state|" "$conf" >"$work/bad.ini"
if err=$("$vmport" ca init -c "$work/bad.ini" 2>&1); then fail "ca init succeeded under a file"; fi
grep -qF "$work/plainfile" <<<"$err" && grep -q 'Not a directory' <<<"$err" || fail "error does not name the path: $err"
set +e
"$vmport" ca >/dev/null 2>&1; [ $? -eq 2 ] || fail "bare 'ca' is not a usage error"
"$vmport" ca export-root -c "$conf" >/dev/null 2>&1; [ $? -eq 2 ] || fail "export-root without -o is not a usage error"
"$vmport" ca frobnicate -c "$conf" >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown sub-command is not a usage error"
set -e
echo "PASS"
