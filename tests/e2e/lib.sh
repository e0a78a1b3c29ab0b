# Shared helpers for the end-to-end tests: the real vmport binary against the lab CallManager
# (vmport labcm) on loopback. Source it; call e2e_init first. Every process started here is
# killed on exit; logs are printed when a test fails.
set -euo pipefail

VMPORT=${VMPORT:?set VMPORT to the vmport binary}
E2E_DIR=$(mktemp -d /tmp/vmport-e2e.XXXXXX)
E2E_PIDS=()
E2E_FAILED=0

e2e_cleanup() {
  local rc=$?
  for pid in "${E2E_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  done
  sleep 0.3
  for pid in "${E2E_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  done
  if [ "$rc" -ne 0 ] || [ "$E2E_FAILED" -ne 0 ]; then
    for f in "$E2E_DIR"/*.log; do
      [ -f "$f" ] || continue
      echo "----- $f (last 60 lines) -----"
      tail -n 60 "$f"
    done
  fi
  [ -n "${E2E_KEEP:-}" ] || rm -rf "$E2E_DIR"
}
trap e2e_cleanup EXIT

fail() {
  E2E_FAILED=1
  echo "FAIL: $*" >&2
  exit 1
}
say() { echo "== $*"; }

# A free TCP/UDP port on 127.0.0.1 (the kernel picks; both protocols checked).
free_port() {
  python3 - <<'PY'
import socket
while True:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port)); u.close(); t.close(); print(port); break
    except OSError:
        t.close(); u.close()
PY
}

# wait_for SECONDS DESCRIPTION COMMAND...: poll until COMMAND succeeds.
wait_for() {
  local limit=$1 what=$2
  shift 2
  local end=$(($(date +%s%N) / 1000000 + limit * 1000))
  while ! "$@" >/dev/null 2>&1; do
    if [ $(($(date +%s%N) / 1000000)) -gt "$end" ]; then
      fail "timed out after ${limit}s waiting for: $what"
    fi
    sleep 0.2
  done
}

# labcm_conf NAME MODE COUNT [extra [labcm] lines]: writes $E2E_DIR/NAME.ini, sets ports.
labcm_conf() {
  local name=$1 mode=$2 count=$3
  shift 3
  local dir="$E2E_DIR/$name"
  mkdir -p "$dir"
  local sccp tls tftp
  sccp=$(free_port); tls=$(free_port); tftp=$(free_port)
  cat >"$E2E_DIR/$name.ini" <<INI
[labcm]
listen = 127.0.0.1
sccp_port = $sccp
tls_port = $tls
tftp_port = $tftp
state_dir = $dir
mwi_on_number = 9999991
mwi_off_number = 9999990
keepalive = ${E2E_KEEPALIVE:-5}
$(printf '%s\n' "$@")
[devices]
prefix = CiscoUM1-VI
count = $count
first_dn = 8001
security_mode = $mode
INI
  eval "${name}_SCCP=$sccp ${name}_TLS=$tls ${name}_TFTP=$tftp"
}

# vmport_conf NAME MODE PORTS CUCM_LIST TFTP_LIST [extra lines for [port_group]]
vmport_conf() {
  local name=$1 mode=$2 ports=$3 cucm=$4 tftp=$5
  shift 5
  mkdir -p "$E2E_DIR/$name"
  cat >"$E2E_DIR/$name.ini" <<INI
[port_group]
name = E2E-$name
device_name_prefix = CiscoUM1-VI
ports = $ports
security_mode = $mode
mwi_on_extension = 9999991
mwi_off_extension = 9999990
$(printf '%s\n' "$@")
[servers]
cucm = $cucm
tftp = $tftp
[security]
state_dir = $E2E_DIR/$name
[media]
messages_dir = $E2E_DIR/$name/messages
rtp_port_min = ${E2E_RTP_MIN:-40000}
rtp_port_max = ${E2E_RTP_MAX:-40999}
INI
}

# start NAME ARGS...: run "vmport ARGS" in the background, log to $E2E_DIR/NAME.log.
start() {
  local name=$1
  shift
  "$VMPORT" "$@" >"$E2E_DIR/$name.log" 2>&1 &
  local pid=$!
  E2E_PIDS+=("$pid")
  eval "${name}_PID=$pid"
}

# trust_vmport_root VMPORT_NAME LABCM_NAME: put vmport's root into labcm's CallManager-trust.
trust_vmport_root() {
  mkdir -p "$E2E_DIR/$2/CallManager-trust"
  "$VMPORT" ca export-root -c "$E2E_DIR/$1.ini" -o "$E2E_DIR/$2/CallManager-trust/vmport-root.pem" >/dev/null
}

# The number of registered ports vmport reports.
registered_count() {
  "$VMPORT" status -c "$E2E_DIR/$1.ini" 2>/dev/null | head -n 1 | sed -n 's/.*: \([0-9]*\) of [0-9]* ports registered.*/\1/p'
}
all_registered() { [ "$(registered_count "$1")" = "$2" ]; }

log_has() { grep -q -- "$2" "$E2E_DIR/$1.log"; }

# start_tftpd NAME DIR: Debian's in.tftpd (tftpd-hpa) serving DIR read-only on a free loopback
# port; sets NAME_PORT. Exit 77 (skip) when in.tftpd is missing or we are not root.
start_tftpd() {
  local name=$1 dir=$2 tftpd=${IN_TFTPD:-/usr/sbin/in.tftpd} port pid
  if [ ! -x "$tftpd" ] || [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: needs $tftpd (tftpd-hpa) and root"
    exit 77
  fi
  chmod 0755 "$dir"
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    "$tftpd" -L -s "$dir" -a "127.0.0.1:$port" </dev/null >"$E2E_DIR/$name.log" 2>&1 &
    pid=$!
    # Bound once the port can no longer be bound here.
    for _ in $(seq 50); do
      python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",int(sys.argv[1])))' "$port" 2>/dev/null || break
      sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
      E2E_PIDS+=("$pid")
      eval "${name}_PORT=$port ${name}_PID=$pid"
      return 0
    fi
    wait "$pid" 2>/dev/null || true
  done
  fail "in.tftpd would not start"
}

# SHA-256 fingerprint of a PEM certificate as vmport logs it (AB:CD:...).
cert_sha256() {
  openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/^.*=//' | tr a-f A-F
}

# Seconds (with milliseconds) of a log line's ISO timestamp: log_time LINE.
log_time() {
  date -d "$(cut -c1-23 <<<"$1" | tr T ' ')Z" +%s.%N 2>/dev/null | cut -c1-14
}
