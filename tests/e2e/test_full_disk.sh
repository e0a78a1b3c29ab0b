#!/usr/bin/env bash
# The message store fills up: messages_dir is a 200 KiB tmpfs. A first short call saves a message;
# the tmpfs is then filled with a file; a second call must fail to save with a clear error naming
# the file and "No space left on device", leave no temporary file, not crash vmport and not touch
# the first message; after the filler is removed, a third call saves again. Exit 77 only when
# mounting a tmpfs is not permitted here.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
MODE=${1:-encrypted}
PORTS=2

labcm_conf lab "$MODE" "$PORTS"
[ "$MODE" = authenticated ] && sed -i 's/^\[labcm\]$/[labcm]\ntls_mode = authenticated/' "$E2E_DIR/lab.ini"
if [ "$MODE" = nonsecure ]; then cucm="127.0.0.1:$lab_SCCP"; else cucm="127.0.0.1:$lab_TLS"; fi
vmport_conf vm "$MODE" "$PORTS" "$cucm" "127.0.0.1:$lab_TFTP" "register_rate = 50"
trust_vmport_root vm lab

MNT=$E2E_DIR/vm/messages
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=200k,mode=0755 tmpfs "$MNT" 2>"$E2E_DIR/mount.err"; then
  echo "SKIP: cannot mount a tmpfs: $(cat "$E2E_DIR/mount.err")"
  rm -rf "$E2E_DIR"
  trap - EXIT
  exit 77
fi
full_disk_cleanup() {
  local rc=$?
  for pid in "${E2E_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  done
  sleep 0.3
  for pid in "${E2E_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  done
  if mountpoint -q "$MNT"; then umount "$MNT" 2>/dev/null || umount -l "$MNT" || true; fi
  (exit "$rc")
  e2e_cleanup
}
trap full_disk_cleanup EXIT

python3 "$here/wavtool.py" tone "$E2E_DIR/caller.wav" 1000 6
start lab labcm -c "$E2E_DIR/lab.ini"
wait_for 20 "labcm listening" test -S "$E2E_DIR/lab/labcm.sock"
start vm run -c "$E2E_DIR/vm.ini"
wait_for 20 "$PORTS ports registered" all_registered vm "$PORTS"

call() { # call N: a 5 s forwarded call to 1001, output in call-N.out
  "$VMPORT" labcm call -c "$E2E_DIR/lab.ini" --from 2002 --to 1001 --forward-to-voicemail \
    --play "$E2E_DIR/caller.wav" --seconds 5 >"$E2E_DIR/call-$1.out" 2>&1 || true
  grep -q "answered by" "$E2E_DIR/call-$1.out" || { cat "$E2E_DIR/call-$1.out"; fail "call $1 was not answered"; }
}
wavs() { find "$MNT/1001" -maxdepth 1 -name '*.wav' 2>/dev/null | sort; }
nwavs() { [ "$(wavs | wc -l)" -eq "$1" ]; }

# 1. A message fits.
call 1
wait_for 10 "the first message saved" nwavs 1
first=$(wavs)
python3 "$here/wavtool.py" check "$first" 1000 1
sum1=$(sha256sum "$first" | cut -d' ' -f1)
df -k "$MNT" | tail -n 1

# 2. The disk is full: the second message cannot be saved.
dd if=/dev/zero of="$MNT/filler" bs=4k 2>/dev/null || true
df -k "$MNT" | tail -n 1
saved_before=$(grep -c "message saved for mailbox" "$E2E_DIR/vm.log" || true)
call 2
wait_for 10 "the second message refused" log_has vm "NOT saved"
grep -E "recording .* failed|NOT saved" "$E2E_DIR/vm.log"
log_has vm "media: recording $MNT/1001/[^ ]*\.wav failed: No space left on device" ||
  fail "no error naming the file and 'No space left on device'"
log_has vm "message for mailbox 1001 NOT saved: $MNT/1001/[^ ]*\.wav: No space left on device" ||
  fail "no 'NOT saved' line naming the file and the reason"
sleep 0.5
[ "$(grep -c "message saved for mailbox" "$E2E_DIR/vm.log" || true)" -eq "$saved_before" ] || fail "vmport claims a message was saved on a full disk"
nwavs 1 || fail "a second WAV appeared on the full disk: $(wavs)"
if [ -n "$(find "$MNT/1001" -maxdepth 1 -name '.*')" ]; then fail "temporary file left behind: $(ls -A "$MNT/1001")"; fi
kill -0 "$vm_PID" 2>/dev/null || fail "vmport died on the full disk"
[ "$(sha256sum "$first" | cut -d' ' -f1)" = "$sum1" ] || fail "the first message changed"
wait_for 10 "$PORTS ports still registered" all_registered vm "$PORTS"

# 3. Space again: the third message is saved, the first is intact.
rm "$MNT/filler"
call 3
wait_for 10 "the third message saved" nwavs 2
third=$(wavs | grep -vxF "$first")
python3 "$here/wavtool.py" check "$third" 1000 1
[ "$(sha256sum "$first" | cut -d' ' -f1)" = "$sum1" ] || fail "the first message changed"
kill -TERM "$vm_PID"
wait "$vm_PID" && rc=0 || rc=$?
[ "$rc" -eq 0 ] || fail "vmport run exited $rc after SIGTERM"
grep -q "stopped: 2 messages saved, 1 failed" "$E2E_DIR/vm.log" || fail "vmport's totals are not 2 saved, 1 failed: $(grep 'stopped:' "$E2E_DIR/vm.log")"
echo "e2e full disk ($MODE): all checks passed"
