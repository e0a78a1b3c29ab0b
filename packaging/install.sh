#!/bin/sh
# Install vmport from this unpacked release tarball on the board, as root, and (re)start it.
#   /usr/bin/vmport, /usr/share/vmport/greeting.wav, /etc/vmport/{vmport.ini,board.ini} (the
#   service runs with VMPORT_BOARD=/etc/vmport/board.ini; the shipped copy also goes to
#   /usr/share/vmport/board/<board>/board.ini, where `vmport run -b <board>` looks),
#   /var/lib/vmport (state: CA, port keys, CTL cache, control socket, mailboxes),
#   /etc/systemd/system/vmport.service, /usr/lib/vmport/vmport-supervise.sh, /usr/share/doc/vmport/,
#   /usr/lib/vmport/lib*.so.N (wolfSSL and libsrtp2 as vmport builds them; NEEDED says "bundled").
# With systemd (/run/systemd/system): the unit is enabled and restarted. Without it: the stand-in
# supervisor is (re)started under setsid, logging to /var/log/vmport.log.
# The shared libraries vmport needs (NEEDED: soname and Debian package) are installed with apt-get
# when missing. An existing /etc/vmport/vmport.ini is kept unless --conf replaces it.
# Usage: ./install.sh [--conf FILE] [--no-start] [--no-deps]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
conf=""
start=1
deps=1
say() { echo "install: $*"; }
die() { echo "install: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --conf) conf=${2:?--conf needs a file}; shift 2 ;;
    --no-start) start=0; shift ;;
    --no-deps) deps=0; shift ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
[ "$(id -u)" = 0 ] || die "run me as root"
. "$here/BUILDINFO"

# The right architecture? (dpkg's view on Debian boards: an armhf userland may run on an aarch64
# kernel; else the kernel's.)
if command -v dpkg >/dev/null 2>&1; then
  have=$(dpkg --print-architecture)
  if [ "$have" != "$arch" ] && ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
    die "this tarball is for $arch ($board), this board is $have"
  fi
else
  case "$arch:$(uname -m)" in
    arm64:aarch64 | armhf:armv7* | armhf:armv8* | armhf:aarch64 | amd64:x86_64) ;;
    *) die "this tarball is for $arch ($board), this board is $(uname -m)" ;;
  esac
fi

# The shared libraries.
missing_pkgs=""
missing_libs=""
while read -r lib pkg; do
  [ -n "$lib" ] || continue
  [ "$pkg" = bundled ] && continue # carried in lib/vmport (wolfSSL, libsrtp2)
  if ! ldconfig -p | grep -q "^[[:space:]]*$lib "; then
    missing_libs="$missing_libs $lib"
    missing_pkgs="$missing_pkgs $pkg"
  fi
done <"$here/NEEDED"
if [ -n "$missing_libs" ]; then
  if [ "$deps" = 1 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing$missing_pkgs (for$missing_libs)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing_pkgs ||
      { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing_pkgs; }
  else
    die "missing libraries:$missing_libs (Debian packages:$missing_pkgs)"
  fi
fi
"$here/bin/vmport" version >/dev/null || die "bin/vmport does not run here (it finds lib/vmport beside it)"

# Files. The binary is replaced by rename: a running vmport keeps its old copy until restarted.
install -d -m 0755 /usr/bin /usr/share/vmport /usr/lib/vmport /usr/share/doc/vmport /etc/vmport \
  "/usr/share/vmport/board/$board"
install -d -m 0750 /var/lib/vmport
# The libraries vmport carries, in /usr/lib/vmport (its RUNPATH: $ORIGIN/../lib/vmport), first.
for lib in "$here"/lib/vmport/*; do
  [ -f "$lib" ] || continue
  name=$(basename "$lib")
  install -m 0644 "$lib" "/usr/lib/vmport/.$name.new"
  mv -f "/usr/lib/vmport/.$name.new" "/usr/lib/vmport/$name"
done
install -m 0755 "$here/bin/vmport" /usr/bin/.vmport.new
mv -f /usr/bin/.vmport.new /usr/bin/vmport
install -m 0644 "$here/share/vmport/greeting.wav" /usr/share/vmport/greeting.wav
install -m 0755 "$here/systemd/vmport-supervise.sh" /usr/lib/vmport/vmport-supervise.sh
install -m 0644 "$here/etc/board.ini" "/usr/share/vmport/board/$board/board.ini"
if [ -f /etc/vmport/board.ini ] && ! cmp -s "$here/etc/board.ini" /etc/vmport/board.ini; then
  # A board file edited on the board (LED names, audio devices) is kept; the new one is beside it.
  install -m 0644 "$here/etc/board.ini" /etc/vmport/board.ini.new
  say "NOTE: /etc/vmport/board.ini differs from the shipped one: kept; the new one is board.ini.new"
else
  install -m 0644 "$here/etc/board.ini" /etc/vmport/board.ini
fi
for f in README.md BUILDINFO NEEDED SHA256SUMS etc/vmport.ini.sample systemd/vmport.service; do
  install -m 0644 "$here/$f" /usr/share/doc/vmport/
done
if [ -n "$conf" ]; then
  install -m 0640 "$conf" /etc/vmport/vmport.ini
  say "configuration from $conf"
elif [ ! -f /etc/vmport/vmport.ini ]; then
  install -m 0640 "$here/etc/vmport.ini.sample" /etc/vmport/vmport.ini
  say "NOTE: /etc/vmport/vmport.ini is the sample: set [servers] to your CallManagers"
fi

# The service.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  install -m 0644 "$here/systemd/vmport.service" /etc/systemd/system/vmport.service
  dropin=/etc/systemd/system/vmport.service.d
  if grep -aq NOTIFY_SOCKET /usr/bin/vmport; then
    rm -f "$dropin/10-no-notify.conf"
  else
    # A vmport without sd_notify would never report ready nor feed the watchdog.
    mkdir -p "$dropin"
    printf '%s\n' "# written by install.sh: this vmport does not speak sd_notify" "[Service]" \
      "Type=simple" "WatchdogSec=0" >"$dropin/10-no-notify.conf"
  fi
  systemctl daemon-reload
  systemctl enable vmport.service >/dev/null 2>&1
  if [ "$start" = 1 ]; then
    systemctl restart vmport.service
    say "vmport $version ($board) installed; systemd: $(systemctl is-active vmport.service)"
  else
    say "vmport $version ($board) installed and enabled (not started)"
  fi
else
  pidfile=/run/vmport-supervise.pid
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    old=$(cat "$pidfile")
    say "stopping the running supervisor ($old)"
    kill -TERM "$old"
    i=0
    while kill -0 "$old" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
  fi
  if [ "$start" = 1 ]; then
    setsid /usr/lib/vmport/vmport-supervise.sh /etc/vmport/vmport.ini </dev/null >>/var/log/vmport.log 2>&1 &
    i=0
    while [ ! -f "$pidfile" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    say "vmport $version ($board) installed; no systemd: started by vmport-supervise.sh" \
      "(pid $(cat "$pidfile" 2>/dev/null || echo '?'), log /var/log/vmport.log)"
  else
    say "vmport $version ($board) installed (no systemd; not started)"
  fi
fi
