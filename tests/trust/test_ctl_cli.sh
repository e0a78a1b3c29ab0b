#!/usr/bin/env bash
# `vmport ctl show`: a good file, a corrupt one (exit 1, error with the offset), and `--fetch`
# against Debian's in.tftpd on a loopback port: first fetch, same file, changed file (records
# compared), a file signed by an unpinned SAST (cache kept), a missing file (res=68).
# Usage: test_ctl_cli.sh VMPORT TRUST_FIXTURE [IN_TFTPD]. Exit 77 = skipped (no in.tftpd / not root).
set -euo pipefail
vmport=$1
fixture=$2
tftpd=${3:-/usr/sbin/in.tftpd}
work=$(mktemp -d)
tftpd_pid=
cleanup() {
  if [ -n "$tftpd_pid" ]; then kill "$tftpd_pid" 2>/dev/null || true; wait "$tftpd_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
chmod 0755 "$work"

"$fixture" "$work" || fail "trust_fixture"

# ---- vmport ctl show FILE ----
out=$("$vmport" ctl show "$work/good.tlv") || fail "good.tlv: exit $?"
echo "$out" | head -40
grep -q 'CTL Record #:1' <<<"$out" || fail "no CTL Record #:1"
grep -q 'CTL Record #:2' <<<"$out" || fail "no CTL Record #:2"
grep -q 'System Administrator Security Token' <<<"$out" || fail "SAST record not shown"
grep -q 'CCM+TFTP' <<<"$out" || fail "CCM+TFTP record not shown"
grep -q '10.0.0.1' <<<"$out" || fail "IP address not shown"
grep -q 'SHA-256 fingerprint' <<<"$out" || fail "no SHA-256 fingerprint"
grep -q 'cucm1.lab' <<<"$out" || fail "DNS name not shown"

set +e
err=$("$vmport" ctl show "$work/corrupt.tlv" 2>&1 >/dev/null); rc=$?
set -e
echo "$err"
[ "$rc" -eq 1 ] || fail "corrupt.tlv: exit $rc, want 1"
grep -q 'offset [0-9]' <<<"$err" || fail "corrupt.tlv: error does not name the offset: $err"
grep -q 'corrupt.tlv' <<<"$err" || fail "corrupt.tlv: error does not name the file"

set +e; "$vmport" ctl show "$work/missing.tlv" >/dev/null 2>&1; rc=$?; set -e
[ "$rc" -eq 2 ] || fail "missing file: exit $rc, want 2"
set +e; "$vmport" ctl show >/dev/null 2>&1; rc=$?; set -e
[ "$rc" -eq 2 ] || fail "no file: exit $rc, want 2"

# ---- vmport ctl show --fetch ----
if [ ! -x "$tftpd" ] || [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: --fetch part needs $tftpd (tftpd-hpa) and root"
  exit 77
fi
mkdir -m 0755 "$work/root" "$work/state"
port=
for attempt in 1 2 3 4 5; do
  port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$tftpd" -L -s "$work/root" -a "127.0.0.1:$port" </dev/null >/dev/null 2>&1 &
  tftpd_pid=$!
  for _ in $(seq 50); do
    if python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",int(sys.argv[1])))' "$port" 2>/dev/null; then
      sleep 0.05
    else
      break
    fi
  done
  if kill -0 "$tftpd_pid" 2>/dev/null; then break; fi
  wait "$tftpd_pid" 2>/dev/null || true
  tftpd_pid=
done
[ -n "$tftpd_pid" ] || fail "in.tftpd would not start"

conf=$work/vmport.ini
cat >"$conf" <<INI
[port_group]
name = PG-CLI
[servers]
cucm = 10.0.0.1
tftp = 127.0.0.1:$port
[security]
state_dir = $work/state
INI
cache=$work/state/trust/CTLFile.tlv

fetch() { # fetch EXPECTED_RC: stdout in $out, stderr in $err
  set +e
  "$vmport" ctl show --fetch -c "$conf" --timeout 2000 >"$work/out" 2>"$work/err"; rc=$?
  set -e
  out=$(cat "$work/out"); err=$(cat "$work/err")
  echo "--- ctl show --fetch (exit $rc)"; { grep -v '^ \|^[0-9]\{1,2\} \|^-\|^BYTEPOS' "$work/out" || true; } | head -40; cat "$work/err"
  [ "$rc" -eq "$1" ] || fail "ctl show --fetch: exit $rc, want $1"
}

cp "$work/good.tlv" "$work/root/CTLFile.tlv"; chmod 0644 "$work/root/CTLFile.tlv"
fetch 0
grep -q "Fetched tftp://127.0.0.1:$port/CTLFile.tlv" <<<"$out" || fail "first fetch: source not shown"
grep -q 'CTL Record #:2' <<<"$out" || fail "first fetch: no dump"
grep -q 'No cached copy' <<<"$out" || fail "first fetch: no-cache not said"
grep -q 'Cache: updated' <<<"$out" || fail "first fetch: cache not updated"
cmp -s "$cache" "$work/good.tlv" || fail "first fetch: cache differs from good.tlv"
ls "$work/state/trust"/sast-*.der >/dev/null || fail "first fetch: SAST not pinned"
grep -q '^md5 [0-9a-f]\{32\}$' "$cache.checksums" || fail "no md5 in the checksum file"

fetch 0
grep -q 'checksums: same' <<<"$out" || fail "same file: not reported as same"
grep -q 'already up to date' <<<"$out" || fail "same file: cache state not said"

cp "$work/changed.tlv" "$work/root/CTLFile.tlv"
fetch 0
grep -q 'checksums: different' <<<"$out" || fail "changed file: not reported as different"
grep -q '~ changed record #2 CCM+TFTP' <<<"$out" || fail "changed file: regenerated certificate not shown"
grep -q '+ added record #3 CCM+TFTP' <<<"$out" || fail "changed file: added node not shown"
grep -q 'records: 1 added, 0 removed, 1 changed, 1 unchanged' <<<"$out" || fail "changed file: counts"
grep -q 'Cache: updated' <<<"$out" || fail "changed file: cache not updated"
grep -q 'changed: cached md5' <<<"$err" || fail "changed file: old and new checksums not logged"
cmp -s "$cache" "$work/changed.tlv" || fail "changed file: cache not replaced"

cp "$work/other-sast.tlv" "$work/root/CTLFile.tlv"
fetch 1
grep -q 'Cache: NOT updated' <<<"$out" || fail "unpinned SAST: cache state not said"
grep -q 'not signed by a pinned SAST' <<<"$out$err" || fail "unpinned SAST: reason not given"
cmp -s "$cache" "$work/changed.tlv" || fail "unpinned SAST: cache was replaced"

cp "$work/corrupt.tlv" "$work/root/CTLFile.tlv"
fetch 1
grep -q 'offset [0-9]' <<<"$err" || fail "corrupt fetch: no offset"
cmp -s "$cache" "$work/changed.tlv" || fail "corrupt fetch: cache was replaced"

rm "$work/root/CTLFile.tlv"
fetch 1
grep -q "Error executing tftp command 'tftp://127.0.0.1:$port/CTLFile.tlv' res=68 (file not found on server)" <<<"$err" \
  || fail "missing file: res=68 line"
cmp -s "$cache" "$work/changed.tlv" || fail "missing file: cache was touched"

# The pinned file verifies offline against the trust store.
"$vmport" ctl show "$cache" -c "$conf" >/dev/null || fail "cached CTL does not verify against the pins"
set +e; "$vmport" ctl show "$work/other-sast.tlv" -c "$conf" >/dev/null 2>&1; rc=$?; set -e
[ "$rc" -eq 1 ] || fail "other-sast.tlv against the pins: exit $rc, want 1"

echo "test_ctl_cli: all checks passed"
