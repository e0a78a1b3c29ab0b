#!/usr/bin/env bash
# Wireshark's skinny dissector as an independent judge of a real session: nonsecure mode, one
# port, the SCCP TCP port captured on lo with tshark during registration, a forwarded call, MWI
# and SIGTERM. Every frame carrying TCP payload must decode as skinny, none may be malformed, and
# the messages must contain, in this order: Register, RegisterAck, CapabilitiesReq,
# CapabilitiesRes, CallState, CallInfo, OffHook, OpenReceiveChannel, OpenReceiveChannelAck,
# StartMediaTransmission, OnHook or CloseReceiveChannel, OffHookWithCallingPartyNumber,
# KeypadButton, Unregister, UnregisterAck. Exit 77 only when tshark is missing or may not capture.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

if ! command -v tshark >/dev/null 2>&1; then
  echo "SKIP: tshark is not installed"
  exit 77
fi
labcm_conf lab nonsecure 1
vmport_conf vm nonsecure 1 "127.0.0.1:$lab_SCCP" "127.0.0.1:$lab_TFTP"
PORT=$lab_SCCP
export WIRESHARK_CONFIG_DIR=$E2E_DIR/wireshark-config # no user preferences in the verdict
mkdir -p "$WIRESHARK_CONFIG_DIR"

tshark -i lo -f "tcp port $PORT" -w "$E2E_DIR/cap.pcap" >"$E2E_DIR/tshark.log" 2>&1 &
ts_pid=$!
E2E_PIDS+=("$ts_pid")
ready() { grep -q "Capturing on" "$E2E_DIR/tshark.log" || ! kill -0 "$ts_pid" 2>/dev/null; }
wait_for 20 "tshark capturing" ready
if ! kill -0 "$ts_pid" 2>/dev/null; then
  cat "$E2E_DIR/tshark.log"
  if grep -qiE "permission|not permitted|privilege" "$E2E_DIR/tshark.log"; then
    echo "SKIP: no permission to capture on lo"
    exit 77
  fi
  fail "tshark could not capture"
fi
sleep 2 # platform.md: tshark needs about 2 s after start before it captures

python3 "$here/wavtool.py" tone "$E2E_DIR/caller.wav" 1000 5
start lab labcm -c "$E2E_DIR/lab.ini"
wait_for 20 "labcm listening" test -S "$E2E_DIR/lab/labcm.sock"
start vm run -c "$E2E_DIR/vm.ini"
wait_for 20 "the port registered" all_registered vm 1
"$VMPORT" labcm call -c "$E2E_DIR/lab.ini" --from 2002 --to 1001 --forward-to-voicemail \
  --play "$E2E_DIR/caller.wav" --seconds 4 >"$E2E_DIR/call.out" 2>&1 || true
grep -q "answered by" "$E2E_DIR/call.out" || { cat "$E2E_DIR/call.out"; fail "the call was not answered"; }
wait_for 15 "MWI lamp on for 1001" log_has lab "SetLamp 0x0F on for 1001"
kill -TERM "$vm_PID"
wait "$vm_PID" && rc=0 || rc=$?
[ "$rc" -eq 0 ] || fail "vmport run exited $rc after SIGTERM"
wait_for 10 "labcm saw the port unregister" log_has lab "CiscoUM1-VI1 unregistered"
sleep 1
kill -INT "$ts_pid"
wait "$ts_pid" || true
[ -s "$E2E_DIR/cap.pcap" ] || fail "empty capture"

ts=(tshark -n -r "$E2E_DIR/cap.pcap" -d "tcp.port==$PORT,skinny")
run_ts() { "${ts[@]}" "$@" 2> >(grep -v '^Running as user' >&2); }
payload=$(run_ts -Y 'tcp.len > 0' -T fields -e frame.number | wc -l)
skinny=$(run_ts -Y 'tcp.len > 0 && skinny' -T fields -e frame.number | wc -l)
say "$payload frames with TCP payload, $skinny decode as skinny"
[ "$payload" -gt 0 ] || fail "no SCCP traffic captured"
if [ "$skinny" -ne "$payload" ]; then
  run_ts -Y 'tcp.len > 0 && !skinny' | head -n 10
  fail "$((payload - skinny)) frames with payload are not skinny"
fi
malformed=$(run_ts -Y '_ws.malformed' | tee "$E2E_DIR/malformed.txt" | wc -l)
[ "$malformed" -eq 0 ] || { head -n 10 "$E2E_DIR/malformed.txt"; fail "$malformed malformed frames"; }

# The message ids in capture order (a frame may carry several PDUs), as hex.
run_ts -Y skinny -T fields -E occurrence=a -E aggregator=, -e skinny.messageId |
  tr ',' '\n' | awk 'NF { printf "0x%x\n", $1 }' >"$E2E_DIR/ids.txt"
tshark -G values 2>/dev/null | awk -F'\t' '$1 == "V" && $2 == "skinny.messageId" { printf "0x%x %s\n", $3, $4 }' >"$E2E_DIR/names.txt"
awk 'NR == FNR { name[$1] = $2; next } { printf "%s %s\n", $1, ($1 in name ? name[$1] : "?") }' \
  "$E2E_DIR/names.txt" "$E2E_DIR/ids.txt" >"$E2E_DIR/sequence.txt"
say "$(wc -l <"$E2E_DIR/sequence.txt") SCCP messages: $(awk '{ print $2 }' "$E2E_DIR/sequence.txt" | grep -v '^KeepAlive' | uniq | tr '\n' ' ')"
want="0x1 0x81 0x9b 0x10 0x111 0x8f 0x6 0x105 0x22 0x8a 0x7|0x106 0x24 0x3 0x27 0x118"
awk -v want="$want" '
  BEGIN { n = split(want, w, " "); i = 1 }
  i <= n { k = split(w[i], alt, "|"); for (j = 1; j <= k; j++) if ($1 == alt[j]) { i++; break } }
  END { if (i <= n) { printf "not found in order, from:"; for (; i <= n; i++) printf " %s", w[i]; print ""; exit 1 } }' \
  "$E2E_DIR/ids.txt" || fail "the SCCP message sequence is not as expected"
echo "e2e tshark capture: all checks passed"
