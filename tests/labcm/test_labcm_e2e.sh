#!/usr/bin/env bash
# End to end on one machine: `vmport labcm` is the CallManager, `vmport run` the voicemail ports.
#
#   test_labcm_e2e.sh VMPORT OUTDIR
#
# The port group is Encrypted: it fetches the labcm's CTL by TFTP, pins its CallManager
# certificate, registers over TLS with its port certificates (their root in the labcm's
# CallManager-trust). A third port is not provisioned and must be refused ("Unknown Device").
# The test caller rings a port with a call forwarded from 1001, plays a WAV, records what it
# hears, SRTP both ways; the port records the message and dials the MWI On number, which the
# labcm shows as "SetLamp 0x0F on for 1001". Exit 77 (skip) when python3 (to write the WAVs) is
# missing. Everything stays in OUTDIR for inspection.
set -euo pipefail

vmport=$1
out=$2
command -v python3 >/dev/null || { echo "SKIP: python3 is needed to write the test WAVs"; exit 77; }
rm -rf "$out"
mkdir -p "$out"
cd "$out"

base=$((20000 + ($$ % 400) * 10))
sccp=$base tls=$((base + 1)) tftp=$((base + 2))
lab_pid="" run_pid=""
cleanup() {
	[[ -n $run_pid ]] && kill "$run_pid" 2>/dev/null && wait "$run_pid" 2>/dev/null || true
	[[ -n $lab_pid ]] && kill "$lab_pid" 2>/dev/null && wait "$lab_pid" 2>/dev/null || true
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	echo "--- labcm log (last 30 lines)" >&2
	tail -30 lab.log >&2 || true
	echo "--- vmport run log (last 30 lines)" >&2
	tail -30 port.log >&2 || true
	exit 1
}
wait_for() { # SECONDS COMMAND...: until the command succeeds
	local until=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		((SECONDS < until)) || return 1
		sleep 0.2
	done
}

python3 - <<'EOF'
import math, struct, wave
def tone(path, hz, seconds):
    w = wave.open(path, "wb")
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
    w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / 8000)))
                           for i in range(int(8000 * seconds))))
    w.close()
tone("greeting.wav", 440, 1.5)
tone("caller.wav", 1000, 3)
EOF

cat > lab.ini <<EOF
[labcm]
listen = 127.0.0.1
sccp_port = $sccp
tls_port = $tls
tftp_port = $tftp
state_dir = $out/lab
mwi_on_number = 9999991
mwi_off_number = 9999990
caller_rtp_min = $((base + 3000))
caller_rtp_max = $((base + 3099))

[devices]
prefix = CiscoUM1-VI
count = 2
first_dn = 8001
security_mode = encrypted
EOF
cat > port.ini <<EOF
[port_group]
device_name_prefix = CiscoUM1-VI
ports = 3
security_mode = encrypted
mwi_on_extension = 9999991
mwi_off_extension = 9999990
register_rate = 100

[servers]
cucm = 127.0.0.1:$tls
tftp = 127.0.0.1:$tftp

[security]
state_dir = $out/port

[media]
greeting = $out/greeting.wav
rtp_port_min = $((base + 4000))
rtp_port_max = $((base + 4099))
EOF

"$vmport" ca init -c port.ini > ca.log 2>&1 || fail "vmport ca init"
mkdir -p lab/CallManager-trust
"$vmport" ca export-root -c port.ini -o lab/CallManager-trust/vmport-root.pem >> ca.log 2>&1 || fail "export-root"

"$vmport" labcm -c lab.ini > lab.log 2>&1 &
lab_pid=$!
wait_for 10 "$vmport" labcm status -c lab.ini || fail "labcm did not start"
grep -q "TLS encrypted mode: 1 CallManager-trust certificates" lab.log || fail "TLS listener not up"

if command -v curl >/dev/null; then
	curl -s -o ctl.tlv "tftp://127.0.0.1:$tftp/CTLFile.tlv" || fail "curl could not fetch the CTL"
	cmp -s ctl.tlv lab/tftp/CTLFile.tlv || fail "the CTL fetched by TFTP differs from the file"
	rc=0
	curl -s -o /dev/null "tftp://127.0.0.1:$tftp/callmanager.key" || rc=$?
	[[ $rc == 68 ]] || fail "TFTP of a key: curl res=$rc, expected 68 (file not found)"
	echo "ok: TFTP serves the CTL, refuses anything else (res=68)"
fi

"$vmport" run -c port.ini > port.log 2>&1 &
run_pid=$!
registered() { "$vmport" labcm status -c lab.ini | grep -q "2 registered"; }
wait_for 30 registered || fail "the two ports did not register"
"$vmport" labcm status -c lab.ini > status1.txt
grep -E "^CiscoUM1-VI1 .* encrypted +idle .* TLSv1" status1.txt >/dev/null || fail "status: VI1 not idle over TLS"
rejected() { grep -q 'CiscoUM1-VI3 from .*RegisterReject "Unknown Device"' lab.log; }
wait_for 15 rejected || fail "CiscoUM1-VI3 was not refused"
echo "ok: 2 ports registered over TLS, the unprovisioned one refused"

"$vmport" labcm call --from 2002 --to 1001 --forward-to-voicemail --play caller.wav --record heard.wav \
	--seconds 5 -c lab.ini > call.txt 2>&1 || { cat call.txt; fail "the test call failed"; }
cat call.txt
grep -q "answered by CiscoUM1-VI" call.txt || fail "not answered"
grep -q "(SRTP)" call.txt || fail "the call was not SRTP"
grep -q "SRTP auth failures 0" call.txt || fail "SRTP authentication failures"
grep -q "recording $out/heard.wav: saved" call.txt || fail "the caller's recording was not saved"
tx=$(sed -n 's/.*packets to the port \([0-9]*\),.*/\1/p' call.txt)
rx=$(sed -n 's/.*from the port \([0-9]*\),.*/\1/p' call.txt)
((tx > 150 && rx > 150)) || fail "too few packets: $tx to the port, $rx from it"
python3 - <<'EOF' || fail "the caller did not hear the greeting"
import math, struct, wave
w = wave.open("heard.wav"); n = w.getnframes()
s = struct.unpack("<%dh" % n, w.readframes(n))
first = s[:8000]
rms = math.sqrt(sum(x * x for x in first) / len(first))
crossings = sum(1 for i in range(1, len(first)) if (first[i - 1] < 0) != (first[i] < 0))
print("heard %.1f s, first second: rms %.0f, about %d Hz" % (n / 8000, rms, crossings / 2))
assert rms > 3000 and 400 <= crossings / 2 <= 480, "not the 440 Hz greeting"
EOF

lamp() { grep -q "SetLamp 0x0F on for 1001" lab.log; }
wait_for 10 lamp || fail "no SetLamp 0x0F on for 1001 after the message"
"$vmport" labcm status -c lab.ini > status2.txt
grep -qE "^lamp 1001 +on" status2.txt || fail "status does not show lamp 1001 on"
ls port/messages/1001/*.wav > /dev/null || fail "the port saved no message for 1001"
echo "ok: SRTP call $tx/$rx packets, greeting heard, message saved, SetLamp 0x0F on for 1001"
echo "PASS"
