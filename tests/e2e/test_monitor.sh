#!/usr/bin/env bash
# Listening to a port's call on the board's codec output: an encrypted port whose board file
# names an ALSA monitor PCM (ALSA's own `file` plug-in over `null`, from an asoundrc given by
# ALSA_CONFIG_PATH: real snd_pcm calls, no sound card). The caller plays 1 kHz, the port's
# greeting is 440 Hz: what the monitor PCM received must carry both, mixed, for as long as the
# call lasted. Then the control requests' errors, a --monitor naming no port (vmport refuses to
# start), and a board whose monitor PCM does not exist (vmport runs anyway, says why, ignores
# --monitor and refuses `vmport monitor`).
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

cat >"$E2E_DIR/asoundrc" <<EOF
</usr/share/alsa/alsa.conf>
pcm.vmport_monitor {
	type file
	slave.pcm "null"
	file "$E2E_DIR/monitor.wav"
	format "wav"
}
EOF
export ALSA_CONFIG_PATH="$E2E_DIR/asoundrc"

make_board() { # make_board NAME MONITOR_PCM
  mkdir -p "$E2E_DIR/boards/$1"
  awk -v pcm="$2" '/^\[audio\]$/ {print; print "backend = alsa"; print "monitor = " pcm; skip = 1; next}
                     /^\[/ {skip = 0} !(skip && /^backend/) {print}' \
    "$here/../../board/host/board.ini" >"$E2E_DIR/boards/$1/board.ini"
  grep -q "^monitor = $2$" "$E2E_DIR/boards/$1/board.ini" || fail "board file for $1 not made"
}
make_board codec vmport_monitor
make_board nocodec vmport_no_such_pcm

python3 "$here/wavtool.py" tone "$E2E_DIR/greeting.wav" 440 3
labcm_conf lab encrypted 1
vmport_conf vm encrypted 1 "127.0.0.1:$lab_TLS" "127.0.0.1:$lab_TFTP"
echo "greeting = $E2E_DIR/greeting.wav" >>"$E2E_DIR/vm.ini" # the last section is [media]
trust_vmport_root vm lab

start lab labcm -c "$E2E_DIR/lab.ini"
wait_for 20 "labcm listening" test -S "$E2E_DIR/lab/labcm.sock"
start vm run -c "$E2E_DIR/vm.ini" -b "$E2E_DIR/boards/codec/board.ini" --monitor 1
wait_for 20 "1 port registered" all_registered vm 1
log_has vm "calls can be listened to on alsa 'vmport_monitor'" || fail "monitor device not announced"
log_has vm "listening to CiscoUM1-VI1" || fail "--monitor 1 not applied"

# The control requests: a port that does not exist, then off and on again by device name.
if "$VMPORT" monitor 7 -c "$E2E_DIR/vm.ini" >"$E2E_DIR/m7.out" 2>&1; then fail "monitor 7 accepted"; fi
grep -q "no port '7' (a device name or 1..1)" "$E2E_DIR/m7.out" || fail "monitor 7: $(cat "$E2E_DIR/m7.out")"
"$VMPORT" monitor off -c "$E2E_DIR/vm.ini" | grep -q "monitor: off" || fail "monitor off"
"$VMPORT" monitor CiscoUM1-VI1 -c "$E2E_DIR/vm.ini" | tee "$E2E_DIR/mon.out"
grep -q "listening to CiscoUM1-VI1 on alsa 'vmport_monitor'" "$E2E_DIR/mon.out" || fail "monitor by name"
"$VMPORT" status -c "$E2E_DIR/vm.ini" | grep "^monitor:" | tee "$E2E_DIR/st0.out"
grep -q "monitor: CiscoUM1-VI1 on alsa 'vmport_monitor' (no call), 0.000 s played" "$E2E_DIR/st0.out" ||
  fail "status before the call"

python3 "$here/wavtool.py" tone "$E2E_DIR/caller.wav" 1000 8
"$VMPORT" labcm call -c "$E2E_DIR/lab.ini" --from 2002 --to 1001 --forward-to-voicemail \
  --play "$E2E_DIR/caller.wav" --record "$E2E_DIR/heard.wav" --seconds 8 | tee "$E2E_DIR/call.out"
grep -q "(SRTP)" "$E2E_DIR/call.out" || fail "media was not SRTP"
wait_for 15 "message saved" sh -c "ls '$E2E_DIR'/vm/messages/1001/*.wav"
wait_for 10 "the monitor stopped with the call" sh -c \
  "'$VMPORT' status -c '$E2E_DIR/vm.ini' | grep -q '^monitor: CiscoUM1-VI1 .*(no call), [1-9]'"
"$VMPORT" status -c "$E2E_DIR/vm.ini" | grep "^monitor:" | tee "$E2E_DIR/st1.out"
grep -q ", 0 frames dropped, 0 underruns, 0 errors" "$E2E_DIR/st1.out" || fail "monitor counters"

kill -TERM "$vm_PID"
wait "$vm_PID" && rc=0 || rc=$?
[ "$rc" -eq 0 ] || fail "vmport run exited $rc after SIGTERM"
log_has vm "s of calls played, 0 frames dropped" || fail "no monitor summary at exit"
# Both directions, for the length of the call: 440 Hz (the greeting the port sent) and 1 kHz (what
# the caller sent), in a WAV written by ALSA's file plug-in, read by Python's wave module.
python3 "$here/wavtool.py" check "$E2E_DIR/monitor.wav" 440 7
python3 "$here/wavtool.py" check "$E2E_DIR/monitor.wav" 1000 7
say "monitor: greeting and caller heard on the codec PCM"

# A monitor PCM that does not exist: the port group runs without monitoring and says so.
rm -f "$E2E_DIR/vm/vmport.sock"
# A --monitor that names no port is a start-up error, not silently ignored.
if timeout 20 "$VMPORT" run -c "$E2E_DIR/vm.ini" -b "$E2E_DIR/boards/codec/board.ini" --monitor 2 >"$E2E_DIR/bad.log" 2>&1; then
  fail "vmport run started with --monitor 2 (one port)"
fi
grep -q -- "--monitor 2: no such port (a device name or 1..1)" "$E2E_DIR/bad.log" || fail "bad --monitor: $(tail -n 3 "$E2E_DIR/bad.log")"
start vm2 run -c "$E2E_DIR/vm.ini" -b "$E2E_DIR/boards/nocodec/board.ini" --monitor 1
wait_for 20 "1 port registered again" all_registered vm 1
log_has vm2 "vmport_no_such_pcm" || fail "the missing PCM is not named in the log"
log_has vm2 "; --monitor 1 ignored, continuing without call monitoring" || fail "no '--monitor ignored' warning"
if "$VMPORT" monitor 1 -c "$E2E_DIR/vm.ini" >"$E2E_DIR/m1.out" 2>&1; then fail "monitor accepted without a device"; fi
grep -q "has no usable \[audio\] monitor device" "$E2E_DIR/m1.out" || fail "monitor error: $(cat "$E2E_DIR/m1.out")"
"$VMPORT" status -c "$E2E_DIR/vm.ini" | grep -q "^monitor: none" || fail "status without a device"
say "missing monitor PCM: named in the log, vmport runs, the request is refused"
echo "e2e monitor: all checks passed"
