#!/usr/bin/env bash
# The CallManager goes away in the middle of a message: a forwarded call to 1001 (10 s of a
# 1 kHz tone), labcm killed ~5 s after the answer (greeting ~2 s + beep 0.25 s, so ~2.7 s have
# been recorded), then started again. The message must still be saved under messages/1001 (a
# valid 8 kHz WAV longer than 1 s carrying the tone), vmport must not crash, every port must
# register again with the restarted labcm, and the MWI lamp for 1001 must come on there.
# Usage: test_labcm_restart_midcall.sh [KILL|TERM] [encrypted|authenticated|nonsecure]
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
SIG=${1:-KILL}
MODE=${2:-encrypted}
PORTS=2

labcm_conf lab "$MODE" "$PORTS"
if [ "$MODE" = nonsecure ]; then cucm="127.0.0.1:$lab_SCCP"; else cucm="127.0.0.1:$lab_TLS"; fi
[ "$MODE" = authenticated ] && sed -i 's/^\[labcm\]$/[labcm]\ntls_mode = authenticated/' "$E2E_DIR/lab.ini"
vmport_conf vm "$MODE" "$PORTS" "$cucm" "127.0.0.1:$lab_TFTP" "register_rate = 50"
trust_vmport_root vm lab
python3 "$here/wavtool.py" tone "$E2E_DIR/caller.wav" 1000 10

start lab labcm -c "$E2E_DIR/lab.ini"
wait_for 20 "labcm listening" test -S "$E2E_DIR/lab/labcm.sock"
start vm run -c "$E2E_DIR/vm.ini"
wait_for 20 "$PORTS ports registered" all_registered vm "$PORTS"

"$VMPORT" labcm call -c "$E2E_DIR/lab.ini" --from 2002 --to 1001 --forward-to-voicemail \
  --play "$E2E_DIR/caller.wav" --seconds 10 >"$E2E_DIR/call.out" 2>&1 &
call_pid=$!
E2E_PIDS+=("$call_pid")
wait_for 10 "the call answered" log_has lab "answered by CiscoUM1-VI"
t_answer=$(date +%s%N)
wait_for 8 "recording started" log_has vm "answered call"
sleep 5
say "killing labcm (SIG$SIG) $(( ($(date +%s%N) - t_answer) / 1000000 )) ms after the answer"
kill -"$SIG" "$lab_PID"
{ wait "$lab_PID"; } 2>/dev/null || true
{ wait "$call_pid"; } 2>/dev/null || true
cat "$E2E_DIR/call.out"

# vmport notices at once (the sockets close), ends the call itself and keeps what it recorded.
wait_for 10 "the message saved for 1001" sh -c "ls '$E2E_DIR'/vm/messages/1001/*.wav"
kill -0 "$vm_PID" 2>/dev/null || fail "vmport exited when labcm went away"
grep -E "call [0-9]+ ended|message saved|NOT saved" "$E2E_DIR/vm.log"
n=$(ls "$E2E_DIR"/vm/messages/1001/*.wav | wc -l)
[ "$n" -eq 1 ] || fail "$n messages for 1001, want 1"
msg=$(ls "$E2E_DIR"/vm/messages/1001/*.wav)
python3 "$here/wavtool.py" check "$msg" 1000 1
if ls -A "$E2E_DIR"/vm/messages/1001 | grep -q '^\.'; then fail "a temporary recording file was left behind"; fi

# labcm again (same state: same certificate and SAST): every port registers, the lamp comes on.
mv "$E2E_DIR/lab.log" "$E2E_DIR/lab-first.log"
start lab labcm -c "$E2E_DIR/lab.ini"
wait_for 20 "labcm listening again" test -S "$E2E_DIR/lab/labcm.sock"
wait_for 25 "$PORTS ports registered with the restarted labcm" all_registered vm "$PORTS"
[ "$(grep -c " registered from " "$E2E_DIR/lab.log")" -ge "$PORTS" ] || fail "the restarted labcm did not see every port register"
wait_for 15 "MWI lamp on for 1001 on the restarted labcm" log_has lab "SetLamp 0x0F on for 1001"
python3 "$here/wavtool.py" check "$msg" 1000 1 >/dev/null
kill -TERM "$vm_PID"
wait "$vm_PID" && rc=0 || rc=$?
[ "$rc" -eq 0 ] || fail "vmport run exited $rc after SIGTERM"
echo "e2e labcm SIG$SIG mid-call ($MODE): all checks passed"
