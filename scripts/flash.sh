#!/usr/bin/env bash
# Put a release tarball on a lab board over ssh, install it (install.sh: files, systemd unit or the
# stand-in supervisor, enable, start), and wait until `vmport status` there shows every port
# registered; prints the status table.
#
# The tarball: $VMPORT_TARBALL, else the newest dist/vmport-*-BOARD.tar.gz, else one made now by
# scripts/cross-build.sh BOARD. CONF (optional) becomes the board's /etc/vmport/vmport.ini; without
# it the board keeps its own (or gets the sample, whose servers are placeholders).
# A user other than root needs password-less sudo on the board.
# Usage: flash.sh BOARD [user@]host [CONF]
# env: SSH_OPTS (extra ssh options, e.g. "-i key -p 2222"), VMPORT_FLASH_TIMEOUT (s, default 120)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
board=${1:?usage: flash.sh BOARD [user@]host [CONF]}
target=${2:?usage: flash.sh BOARD [user@]host [CONF]}
conf=${3:-}
timeout=${VMPORT_FLASH_TIMEOUT:-120}
say() { echo "flash[$board → $target]: $*" >&2; }
die() { say "$*"; exit 1; }
[ -z "$conf" ] || [ -f "$conf" ] || die "no configuration file $conf"

tarball=${VMPORT_TARBALL:-}
if [ -z "$tarball" ]; then
  tarball=$(ls -t "$root"/dist/vmport-*-"$board".tar.gz 2>/dev/null | head -n 1 || true)
fi
if [ -z "$tarball" ]; then
  say "no tarball for $board in dist/: building one"
  tarball=$(VMPORT_NO_TESTS=1 "$root/scripts/cross-build.sh" "$board" | tail -n 1)
fi
[ -f "$tarball" ] || die "no tarball $tarball"
name=$(basename "$tarball" .tar.gz)
arch=$(tar -xzOf "$tarball" "$name/BUILDINFO" | sed -n 's/^arch=//p')

# shellcheck disable=SC2206 # SSH_OPTS is a list of options by design
ssh_cmd=(ssh -o BatchMode=yes -o ConnectTimeout=10 ${SSH_OPTS:-} "$target")
remote() { "${ssh_cmd[@]}" "$@"; }

# Who and what is there.
info=$(remote 'id -u; uname -m; (dpkg --print-architecture 2>/dev/null || echo unknown); hostname') ||
  die "cannot reach $target over ssh"
uid=$(sed -n 1p <<<"$info")
machine=$(sed -n 2p <<<"$info")
darch=$(sed -n 3p <<<"$info")
sudo=""
[ "$uid" = 0 ] || sudo="sudo -n"
say "$(sed -n 4p <<<"$info"): $machine, Debian $darch; installing $name"
if [ "$darch" != unknown ] && [ "$darch" != "$arch" ]; then
  die "the tarball is for $arch, the board's Debian is $darch"
fi

# Upload (through ssh itself: no sftp subsystem needed), unpack, install.
dir=$(remote 'mktemp -d /tmp/vmport-flash.XXXXXX')
remote "cat >$dir/$name.tar.gz" <"$tarball"
install_args=""
if [ -n "$conf" ]; then
  remote "cat >$dir/vmport.ini" <"$conf"
  install_args="--conf $dir/vmport.ini"
fi
remote "cd $dir && tar -xzf $name.tar.gz && $sudo sh $dir/$name/install.sh $install_args" ||
  die "install.sh failed on the board"
remote "rm -rf $dir"

# Wait for the ports.
say "waiting up to ${timeout} s for every port to register"
end=$(($(date +%s) + timeout))
status=""
while :; do
  status=$(remote "$sudo vmport status -c /etc/vmport/vmport.ini" 2>&1) || true
  line=$(head -n 1 <<<"$status")
  if [[ "$line" =~ ([0-9]+)\ of\ ([0-9]+)\ ports\ registered ]] &&
     [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && [ "${BASH_REMATCH[2]}" -gt 0 ]; then
    echo "$status"
    say "all ${BASH_REMATCH[2]} ports registered"
    exit 0
  fi
  if [ "$(date +%s)" -ge "$end" ]; then
    echo "$status"
    say "timed out; the service's last log lines:"
    remote "if [ -d /run/systemd/system ]; then $sudo journalctl -u vmport -n 40 --no-pager; \
            else $sudo tail -n 40 /var/log/vmport.log; fi" >&2 || true
    exit 1
  fi
  sleep 2
done
