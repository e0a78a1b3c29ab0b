#!/usr/bin/env bash
# scripts/flash.sh end to end, on this machine: a throwaway "board" reached over ssh, the host
# board's tarball installed on it, the service started, every port registered with a lab
# CallManager across a veth link.
#
#   namespace "lab"   192.0.2.1  runs flash.sh (the workstation) and `vmport labcm` (host build)
#   namespace "board" 192.0.2.2  Debian's sshd, in a private mount namespace whose root is an
#                                overlay of this machine's / (writes go to a tmpfs), with a fresh
#                                /run and /tmp: install.sh writes the real paths (/usr/bin/vmport,
#                                /etc/vmport, /var/lib/vmport) without touching this machine, and
#                                finds no systemd, so it starts the stand-in supervisor.
# Both addresses exist only inside the two namespaces this test creates (TEST-NET-1, RFC 5737);
# the sshd listens on the board's address only. Keys (host and client) are generated per run.
#
# FLASH_MODE=encrypted (default): the board's CA is made on the board by its first `vmport run`;
# the test fetches its root over ssh into labcm's CallManager-trust and restarts labcm, as an
# administrator uploads it to CUCM; the ports then register over TLS with the CTL from TFTP.
# FLASH_MODE=nonsecure: SCCP on 2000, no trust step.
# Checks: flash.sh's output (N of N registered), the installed files on the board and none on this
# machine, a second flash (upgrade: the supervisor is replaced), SIGTERM unregistering the ports.
# Usage: test_flash.sh [TARBALL]   (default: VMPORT_NO_TESTS=1 scripts/cross-build.sh host)
# env: VMPORT_LABCM (default build/cross-host/bin/vmport). Exit 77: no namespaces/overlay here.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
mode=${FLASH_MODE:-encrypted}
ports=2
pass=0
failed=0
say() { echo "== $*"; }
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (namespaces, mounts)"; exit 77; }

# Debian's openssh-server, without starting its own sshd on this machine (policy-rc.d: 101).
if [ ! -x /usr/sbin/sshd ]; then
  say "installing openssh-server (its service is not started)"
  policy=/usr/sbin/policy-rc.d
  made_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# vmport tests/flash: no service starts while openssh-server installs\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    made_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  rc=0
  apt-get install -y -qq --no-install-recommends openssh-server >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends openssh-server >/dev/null; } || rc=$?
  [ "$made_policy" = 1 ] && rm -f "$policy"
  [ "$rc" = 0 ] || { echo "FAIL: openssh-server did not install"; exit 1; }
fi

tarball=${1:-}
if [ -z "$tarball" ]; then
  say "host board tarball (scripts/cross-build.sh host, binary only)"
  tarball=$(VMPORT_NO_TESTS=1 "$root/scripts/cross-build.sh" host | tail -n 1)
fi
labcm=${VMPORT_LABCM:-$root/build/cross-host/bin/vmport}
[ -x "$labcm" ] || { echo "FAIL: no lab CallManager binary $labcm"; exit 1; }

work=$(mktemp -d /tmp/vmport-flash.XXXXXX)
ns_lab=vmport-flash-lab-$$
ns_board=vmport-flash-board-$$
lab_ip=192.0.2.1
board_ip=192.0.2.2
board_pid=""
lab_pid=""
host_had_vmport=0
[ -e /usr/bin/vmport ] && host_had_vmport=1

cleanup() {
  local rc=$?
  # Every process in the board's namespace was started by this test (sshd and what it ran).
  if ip netns list 2>/dev/null | grep -qw "$ns_board"; then
    for pid in $(ip netns pids "$ns_board" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
    sleep 0.5
    for pid in $(ip netns pids "$ns_board" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  fi
  [ -n "$lab_pid" ] && kill -TERM "$lab_pid" 2>/dev/null || true
  [ -n "$board_pid" ] && wait "$board_pid" 2>/dev/null || true
  [ -n "$lab_pid" ] && wait "$lab_pid" 2>/dev/null || true
  ip netns del "$ns_board" 2>/dev/null || true
  ip netns del "$ns_lab" 2>/dev/null || true
  if [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ]; then
    for f in "$work"/*.log; do
      [ -f "$f" ] || continue
      echo "----- $f (last 40 lines) -----"
      tail -n 40 "$f"
    done
  fi
  [ -n "${FLASH_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

if ! ip netns add "$ns_lab" 2>"$work/netns.err"; then
  echo "SKIP: cannot create a network namespace: $(cat "$work/netns.err")"
  exit 77
fi
ip netns add "$ns_board"
ip link add name "vfl$$" netns "$ns_lab" type veth peer name "vfb$$" netns "$ns_board"
ip -n "$ns_lab" addr add "$lab_ip/24" dev "vfl$$"
ip -n "$ns_board" addr add "$board_ip/24" dev "vfb$$"
for ns in "$ns_lab" "$ns_board"; do
  ip -n "$ns" link set lo up
done
ip -n "$ns_lab" link set "vfl$$" up
ip -n "$ns_board" link set "vfb$$" up

# Keys: the board's host key (pinned in known_hosts) and the workstation's client key.
mkdir -p "$work/keys" "$work/lab"
ssh-keygen -q -t ed25519 -N '' -C vmport-flash-board -f "$work/keys/host"
ssh-keygen -q -t ed25519 -N '' -C vmport-flash-workstation -f "$work/keys/client"
echo "$board_ip $(cut -d' ' -f1-2 "$work/keys/host.pub")" >"$work/known_hosts"

# The board.
say "board: sshd on $board_ip:22 over an overlay of / (namespace $ns_board)"
mkdir -p "$work/rw" "$work/root"
W=$work BOARD_IP=$board_ip SRC=$root ip netns exec "$ns_board" unshare --mount --propagation private -- bash -c '
  set -e
  mount -t tmpfs -o mode=0755 vmport-flash-rw "$W/rw"
  mkdir "$W/rw/upper" "$W/rw/work"
  mount -t overlay vmport-flash-board -o "lowerdir=/,upperdir=$W/rw/upper,workdir=$W/rw/work" "$W/root"
  mount -t proc proc "$W/root/proc"
  mount --rbind /dev "$W/root/dev"
  mount --rbind /sys "$W/root/sys"
  mount -t tmpfs -o mode=0755 vmport-flash-run "$W/root/run"
  mount -t tmpfs -o mode=1777 vmport-flash-tmp "$W/root/tmp"
  # A real board has no source tree: hide it (nothing installed may depend on it).
  if [ -d "$W/root$SRC" ]; then mount -t tmpfs -o ro,mode=0755 vmport-flash-nosrc "$W/root$SRC"; fi
  mkdir -p "$W/root/run/sshd" "$W/root/etc/vmport-flash-sshd"
  d=$W/root/etc/vmport-flash-sshd
  install -m 0600 "$W/keys/host" "$d/host_ed25519"
  install -m 0644 "$W/keys/client.pub" "$d/authorized_keys"
  cat >"$d/sshd_config" <<EOF
ListenAddress $BOARD_IP:22
HostKey /etc/vmport-flash-sshd/host_ed25519
AuthorizedKeysFile /etc/vmport-flash-sshd/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile /run/sshd.pid
Subsystem sftp internal-sftp
EOF
  exec chroot "$W/root" /usr/sbin/sshd -D -e -f /etc/vmport-flash-sshd/sshd_config
' >"$work/board-sshd.log" 2>&1 &
board_pid=$!

# The lab CallManager, on the workstation side of the link.
sccp_port=2000
tls_port=2443
cat >"$work/lab.ini" <<INI
[labcm]
listen = $lab_ip
sccp_port = $sccp_port
tls_port = $tls_port
tftp_port = 69
state_dir = $work/lab
mwi_on_number = 9999991
mwi_off_number = 9999990
keepalive = 5
[devices]
prefix = CiscoUM1-VI
count = $ports
first_dn = 8001
security_mode = $mode
INI
start_labcm() {
  ip netns exec "$ns_lab" "$labcm" labcm -c "$work/lab.ini" >>"$work/labcm.log" 2>&1 &
  lab_pid=$!
}
start_labcm

# The board's CONF, as an administrator would write it.
if [ "$mode" = nonsecure ]; then cucm="$lab_ip:$sccp_port"; else cucm="$lab_ip:$tls_port"; fi
cat >"$work/vmport.ini" <<INI
[port_group]
name = Flash-Test
device_name_prefix = CiscoUM1-VI
ports = $ports
security_mode = $mode
mwi_on_extension = 9999991
mwi_off_extension = 9999990
register_rate = 50
[servers]
cucm = $cucm
tftp = $lab_ip:69
[security]
state_dir = /var/lib/vmport
[media]
messages_dir = /var/lib/vmport/messages
INI

ssh_opts="-F /dev/null -i $work/keys/client -o UserKnownHostsFile=$work/known_hosts -o StrictHostKeyChecking=yes"
board() { ip netns exec "$ns_lab" ssh $ssh_opts -o BatchMode=yes -o ConnectTimeout=5 "root@$board_ip" "$@"; }
for _ in $(seq 50); do board true 2>/dev/null && break; sleep 0.2; done
board true || { bad "sshd on the board does not answer"; exit 1; }
ok "ssh to the board (pinned host key, throwaway client key)"

# Trust (encrypted, authenticated): once the board has made its CA, put its root into labcm's
# CallManager-trust and restart labcm, while flash.sh waits for the ports.
trust_board_root() {
  local end=$(($(date +%s) + 60))
  while [ "$(date +%s)" -lt "$end" ]; do
    if board 'test -x /usr/bin/vmport && vmport ca export-root -c /etc/vmport/vmport.ini -o /tmp/vmport-root.pem >/dev/null 2>&1 && cat /tmp/vmport-root.pem' \
      >"$work/board-root.pem" 2>/dev/null && grep -q 'BEGIN CERTIFICATE' "$work/board-root.pem"; then
      mkdir -p "$work/lab/CallManager-trust"
      cp "$work/board-root.pem" "$work/lab/CallManager-trust/vmport-root.pem"
      kill -TERM "$lab_pid" 2>/dev/null || true
      wait "$lab_pid" 2>/dev/null || true
      start_labcm
      echo "trust: the board's root is in labcm's CallManager-trust; labcm restarted"
      return 0
    fi
    sleep 1
  done
  echo "trust: the board's root never appeared"
  return 1
}

flash() {
  ip netns exec "$ns_lab" env SSH_OPTS="$ssh_opts" VMPORT_TARBALL="$tarball" VMPORT_FLASH_TIMEOUT=90 \
    "$root/scripts/flash.sh" host "root@$board_ip" "$work/vmport.ini"
}

say "flash.sh host root@$board_ip ($mode, $ports ports)"
t0=$(date +%s)
flash >"$work/flash1.log" 2>&1 &
flash_pid=$!
if [ "$mode" != nonsecure ]; then
  trust_board_root >"$work/trust.log" 2>&1 || true
fi
rc=0
wait "$flash_pid" || rc=$?
cat "$work/flash1.log"
if [ "$rc" = 0 ] && grep -q "$ports of $ports ports registered" "$work/flash1.log"; then
  ok "flash.sh: installed, started, $ports of $ports ports registered ($(($(date +%s) - t0)) s)"
else
  bad "flash.sh exited $rc"
fi

# What the board got, and what this machine did not.
if board 'test -x /usr/bin/vmport && test -f /etc/vmport/vmport.ini && test -f /etc/vmport/board.ini &&
          test -f /usr/share/vmport/greeting.wav && test -d /var/lib/vmport &&
          test -f /usr/lib/vmport/libwolfssl.so.35 && test -f /usr/lib/vmport/libsrtp2.so.1 &&
          ldd /usr/bin/vmport | grep -q "libwolfssl.so.35 => /usr/bin/../lib/vmport/" &&
          kill -0 "$(cat /run/vmport-supervise.pid)"'; then
  ok "board: /usr/bin/vmport (wolfSSL, libsrtp2 from /usr/lib/vmport), /etc/vmport/{vmport,board}.ini, greeting, /var/lib/vmport; supervisor running"
else
  bad "board: installed files or the supervisor missing"
fi
board_line=$(board "grep -m 1 \"board: \" /var/log/vmport.log" 2>/dev/null || true)
if [ -n "$board_line" ] && ! board 'grep -q "no board.ini" /var/log/vmport.log'; then
  ok "vmport run took the installed board file: ${board_line#* info }"
else
  bad "vmport run did not report its board file"
fi
if [ "$host_had_vmport" = 0 ] && [ -e /usr/bin/vmport ]; then
  bad "this machine got a /usr/bin/vmport: the install escaped the board's overlay"
else
  ok "this machine's / untouched (the board's writes stayed in its overlay)"
fi
if grep -q "registered from $board_ip" "$work/labcm.log"; then
  ok "labcm saw the ports register from $board_ip ($(grep -c "registered from $board_ip" "$work/labcm.log") times)"
else
  bad "labcm's log shows no registration"
fi

# A second flash: the upgrade path (the running supervisor is stopped and replaced).
old_sup=$(board 'cat /run/vmport-supervise.pid' 2>/dev/null || echo none)
if flash >"$work/flash2.log" 2>&1 && grep -q "$ports of $ports ports registered" "$work/flash2.log"; then
  new_sup=$(board 'cat /run/vmport-supervise.pid' 2>/dev/null || echo none)
  if [ "$new_sup" != "$old_sup" ] && ! board "kill -0 $old_sup" 2>/dev/null; then
    ok "second flash: supervisor $old_sup replaced by $new_sup, ports registered again"
  else
    bad "second flash: the supervisor was not replaced ($old_sup -> $new_sup)"
  fi
else
  cat "$work/flash2.log"
  bad "second flash failed"
fi

# Stopping the service unregisters the ports.
before=$(grep -c "unregistered" "$work/labcm.log" || true)
board 'kill -TERM "$(cat /run/vmport-supervise.pid)"; for i in $(seq 50); do [ -f /run/vmport-supervise.pid ] || exit 0; sleep 0.2; done; exit 1' ||
  bad "the supervisor did not stop on SIGTERM"
sleep 0.5
after=$(grep -c "unregistered" "$work/labcm.log" || true)
if [ $((after - before)) -ge "$ports" ]; then
  ok "SIGTERM to the supervisor: $((after - before)) ports unregistered"
else
  bad "SIGTERM: labcm saw $((after - before)) of $ports ports unregister"
fi

echo "flash: $pass passed, $failed failed"
[ "$failed" -eq 0 ]
