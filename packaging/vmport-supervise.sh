#!/bin/sh
# Stand-in for the systemd unit on a board without systemd (install.sh starts it under setsid):
# runs `vmport run`, restarts it 5 s after a failure (the unit's Restart=on-failure), passes
# SIGHUP on (re-read CONF) and SIGTERM (unregister every port, exit). No watchdog: that needs
# systemd or the board's hardware watchdog (board.ini).
# Usage: vmport-supervise.sh [CONF]      (pid in /run/vmport-supervise.pid)
conf=${1:-/etc/vmport/vmport.ini}
pidfile=${VMPORT_SUPERVISE_PIDFILE:-/run/vmport-supervise.pid}
export VMPORT_DATADIR=${VMPORT_DATADIR:-/usr/share/vmport}
export VMPORT_BOARD=${VMPORT_BOARD:-/etc/vmport/board.ini}
umask 027
mkdir -p /var/lib/vmport
echo $$ >"$pidfile"
child=
stopping=0
trap 'stopping=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null' TERM INT
trap '[ -n "$child" ] && kill -HUP "$child" 2>/dev/null' HUP
while :; do
  echo "vmport-supervise: $(date -u +%FT%TZ) starting vmport run -c $conf"
  /usr/bin/vmport run -c "$conf" &
  child=$!
  rc=0
  wait "$child" || rc=$?
  # A trapped signal interrupts wait: wait again until the child has really gone.
  while kill -0 "$child" 2>/dev/null; do
    rc=0
    wait "$child" || rc=$?
  done
  child=
  [ "$stopping" = 1 ] && break
  if [ "$rc" = 0 ]; then
    echo "vmport-supervise: vmport exited 0: not restarting"
    break
  fi
  echo "vmport-supervise: vmport exited $rc: restarting in 5 s"
  sleep 5
done
rm -f "$pidfile"
echo "vmport-supervise: stopped"
