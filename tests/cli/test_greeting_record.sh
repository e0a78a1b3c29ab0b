#!/usr/bin/env bash
# `vmport greeting record`: a greeting from the board's codec input, through a board file in a
# temporary VMPORT_BOARD_DIR. The `file` backend reading a WAV (not paced: ends with the input),
# the `alsa` backend on ALSA's file plug-in with an infile (ALSA_CONFIG_PATH, no sound card; the
# HAL calls every alsa PCM paced, so it records in real time and stops at --seconds), SIGINT
# keeping what was recorded, and the errors, each naming the thing and leaving the previous
# greeting byte-identical.
set -euo pipefail
vmport=$1
tmp=$(mktemp -d /tmp/vmport-greeting-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
say() { echo "== $*"; }
here=$(cd "$(dirname "$0")" && pwd)
host_board="$here/../../board/host/board.ini"

export VMPORT_BOARD_DIR="$tmp/boards"
unset VMPORT_BOARD ALSA_CONFIG_PATH || true

# board NAME BACKEND [CAPTURE [MONITOR]]: board/host/board.ini with its [audio] section replaced.
board() {
	mkdir -p "$tmp/boards/$1"
	python3 - "$host_board" "$tmp/boards/$1/board.ini" "$2" "${3:-}" "${4:-}" <<'PY'
import re, sys
src, dst, backend, capture, monitor = sys.argv[1:]
text = open(src).read()
audio = "[audio]\nbackend = %s\n" % backend
audio += ("capture = %s\n" % capture if capture else "") + ("monitor = %s\n" % monitor if monitor else "") + "\n"
new, n = re.subn(r"^\[audio\]\n.*?(?=^\[)", audio, text, count=1, flags=re.S | re.M)
assert n == 1, "no [audio] section in " + src
open(dst, "w").write(new)
PY
}

# tone OUT SECONDS [raw]: 440 Hz, amplitude 6000, 8 kHz mono 16-bit (WAV, or raw S16_LE).
tone() {
	python3 - "$@" <<'PY'
import math, struct, sys, wave
out, seconds = sys.argv[1], float(sys.argv[2])
raw = len(sys.argv) > 3 and sys.argv[3] == "raw"
data = b"".join(struct.pack("<h", int(round(6000 * math.sin(2 * math.pi * 440 * i / 8000))))
                for i in range(int(8000 * seconds)))
if raw:
    open(out, "wb").write(data)
else:
    with wave.open(out, "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000); w.writeframes(data)
PY
}

# conf FILE [GREETING]: the smallest valid configuration.
conf() {
	cat >"$1" <<INI
[port_group]
security_mode = nonsecure
[servers]
cucm = 127.0.0.1:2000
[security]
state_dir = $tmp/state
[media]
${2:+greeting = $2}
INI
}

# same_samples GOT.wav REF FRAMES [raw]: GOT is 8 kHz mono 16-bit, FRAMES long, the first FRAMES
# samples of REF (a WAV, or raw), with 440 Hz energy (Goertzel) well above 1 kHz.
same_samples() {
	python3 - "$@" <<'PY'
import math, struct, sys, wave
got, ref, frames = sys.argv[1], sys.argv[2], int(sys.argv[3])
raw = len(sys.argv) > 4 and sys.argv[4] == "raw"
with wave.open(got, "rb") as w:
    fmt = (w.getframerate(), w.getnchannels(), w.getsampwidth())
    assert fmt == (8000, 1, 2), "%s: not 8 kHz mono 16-bit: %r" % (got, fmt)
    n = w.getnframes()
    g = struct.unpack("<%dh" % n, w.readframes(n))
assert n == frames, "%s: %d frames, want %d" % (got, n, frames)
if raw:
    b = open(ref, "rb").read()
    r = struct.unpack("<%dh" % (len(b) // 2), b)
else:
    with wave.open(ref, "rb") as w:
        r = struct.unpack("<%dh" % w.getnframes(), w.readframes(w.getnframes()))
assert list(g) == list(r[:frames]), "%s: samples differ from %s" % (got, ref)
def goertzel(x, f):
    k = 2 * math.cos(2 * math.pi * f / 8000); s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + k * s1 - s2, s1
    return s1 * s1 + s2 * s2 - k * s1 * s2
e440, e1k = goertzel(g, 440), goertzel(g, 1000)
assert e440 > 1000 * e1k, "no 440 Hz tone in %s (%g vs %g)" % (got, e440, e1k)
print("%s: %d frames, sample-exact, 440 Hz" % (got, n))
PY
}

no_temp_files() {
	local left
	left=$(find "$1" -maxdepth 1 -name '.*.wav.*' | head -n 1)
	[ -z "$left" ] || fail "temp file left behind: $left"
}

# expect_error WHAT PATTERN CMD...: non-zero exit, PATTERN in stderr.
expect_error() {
	local what=$1 pattern=$2
	shift 2
	if "$@" >"$tmp/out" 2>"$tmp/err"; then
		cat "$tmp/out" "$tmp/err" >&2
		fail "$what: exit 0"
	fi
	grep -qF -- "$pattern" "$tmp/err" || { cat "$tmp/err" >&2; fail "$what: no '$pattern' in the error"; }
	say "$what: $(tail -n 1 "$tmp/err")"
}

mkdir -p "$tmp/out1"
tone "$tmp/in.wav" 2
conf "$tmp/vm.ini" "$tmp/out1/greet.wav"

# 1. file backend: a 2 s WAV, --seconds 5 -> the 2 s, sample for sample; no temp file left.
board filecap file "$tmp/in.wav"
"$vmport" greeting record -c "$tmp/vm.ini" -b filecap --seconds 5 >"$tmp/out" 2>"$tmp/err" ||
	{ cat "$tmp/out" "$tmp/err" >&2; fail "file capture failed"; }
cat "$tmp/out"
same_samples "$tmp/out1/greet.wav" "$tmp/in.wav" 16000
grep -q "16000 frames (2.00 s) written to $tmp/out1/greet.wav, peak -14.7 dBFS, 0 overruns" "$tmp/out" ||
	fail "summary line: $(cat "$tmp/out")"
grep -q "SIGHUP" "$tmp/out" || fail "no hint about picking the greeting up"
no_temp_files "$tmp/out1"
# The board from the environment, the duration cut short by --seconds, the output from -o.
VMPORT_BOARD=filecap "$vmport" greeting record -c "$tmp/vm.ini" --seconds 1 -o "$tmp/out1/short.wav" >"$tmp/out" ||
	fail "VMPORT_BOARD / -o capture failed"
same_samples "$tmp/out1/short.wav" "$tmp/in.wav" 8000
grep -q "set \`greeting = $tmp/out1/short.wav\`" "$tmp/out" || fail "-o hint: $(cat "$tmp/out")"
no_temp_files "$tmp/out1"
say "file backend: 2 s of 5 kept sample-exact; --seconds 1 cuts at 8000 frames"

# 2. alsa backend: ALSA's file plug-in over null with a raw infile (3 s of tone).
tone "$tmp/in.raw" 3 raw
cat >"$tmp/asoundrc" <<EOF
</usr/share/alsa/alsa.conf>
pcm.vmport_greeting_in {
	type file
	slave.pcm "null"
	file "/dev/null"
	infile "$tmp/in.raw"
}
EOF
board alsacap alsa vmport_greeting_in
start=$(date +%s%N)
ALSA_CONFIG_PATH="$tmp/asoundrc" "$vmport" greeting record -c "$tmp/vm.ini" -b alsacap --seconds 1 \
	>"$tmp/out" 2>"$tmp/err" || { cat "$tmp/out" "$tmp/err" >&2; fail "alsa capture failed"; }
ms=$((($(date +%s%N) - start) / 1000000))
cat "$tmp/out"
same_samples "$tmp/out1/greet.wav" "$tmp/in.raw" 8000 raw
[ "$ms" -ge 700 ] && [ "$ms" -le 4000 ] || fail "1 s from a paced PCM took $ms ms"
no_temp_files "$tmp/out1"
say "alsa backend: 1 s of the infile in $ms ms, sample-exact"

# SIGINT ends a long recording early and keeps what came (the tone, then the plug-in's silence).
ALSA_CONFIG_PATH="$tmp/asoundrc" "$vmport" greeting record -c "$tmp/vm.ini" -b alsacap --seconds 60 \
	>"$tmp/out" 2>"$tmp/err" &
pid=$!
sleep 1.5
kill -INT "$pid"
wait "$pid" && rc=0 || rc=$?
[ "$rc" -eq 0 ] || { cat "$tmp/out" "$tmp/err" >&2; fail "SIGINT: exit $rc"; }
grep -q "SIGINT: stopped early, keeping" "$tmp/err" || { cat "$tmp/err" >&2; fail "SIGINT not reported"; }
frames=$(python3 -c 'import sys, wave; print(wave.open(sys.argv[1]).getnframes())' "$tmp/out1/greet.wav")
[ "$frames" -ge 8000 ] && [ "$frames" -le 24000 ] || fail "SIGINT after 1.5 s kept $frames frames"
same_samples "$tmp/out1/greet.wav" "$tmp/in.raw" "$((frames < 24000 ? frames : 24000))" raw
no_temp_files "$tmp/out1"
say "SIGINT: $(grep -o 'keeping.*' "$tmp/err"), exit 0"

# 3. Errors: non-zero, named, and the previous greeting byte-identical.
cp "$tmp/out1/greet.wav" "$tmp/keep.wav"
unchanged() { cmp -s "$tmp/out1/greet.wav" "$tmp/keep.wav" || fail "$1: the previous greeting changed"; }

board nocap file "" "$tmp/monitor.wav"
expect_error "board without capture" "board 'nocap'" "$vmport" greeting record -c "$tmp/vm.ini" -b nocap
grep -q "has no \`capture\` device" "$tmp/err" || fail "no capture: $(cat "$tmp/err")"
unchanged "no capture"

board nullcap null
expect_error "null backend" "has no codec" "$vmport" greeting record -c "$tmp/vm.ini" -b nullcap
unchanged "null backend"

board missing file "$tmp/nowhere.wav"
expect_error "capture WAV missing" "$tmp/nowhere.wav" "$vmport" greeting record -c "$tmp/vm.ini" -b missing
unchanged "capture WAV missing"

expect_error "unknown board" "board 'noboard'" "$vmport" greeting record -c "$tmp/vm.ini" -b noboard

python3 -c 'import wave, sys; w = wave.open(sys.argv[1], "wb"); w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000); w.close()' "$tmp/empty.wav"
board empty file "$tmp/empty.wav"
expect_error "empty input" "nothing was captured" "$vmport" greeting record -c "$tmp/vm.ini" -b empty
unchanged "empty input"
no_temp_files "$tmp/out1"

expect_error "output directory missing" "$tmp/gone/greet.wav" \
	"$vmport" greeting record -c "$tmp/vm.ini" -b filecap -o "$tmp/gone/greet.wav"
grep -q "No such file or directory" "$tmp/err" || fail "missing directory: $(cat "$tmp/err")"

# The output is a directory: the file backend's rename fails after the data is written.
mkdir -p "$tmp/out1/adir"
expect_error "output is a directory" "cannot rename the temp file to '$tmp/out1/adir'" \
	"$vmport" greeting record -c "$tmp/vm.ini" -b filecap -o "$tmp/out1/adir"
no_temp_files "$tmp/out1"
unchanged "output is a directory"

# An unwritable directory holding the greeting: root ignores modes, so run as nobody.
chmod 0755 "$tmp"
mkdir -p "$tmp/ro"
cp "$tmp/keep.wav" "$tmp/ro/greet.wav"
chmod 0555 "$tmp/ro"
chmod 0644 "$tmp/in.wav" "$tmp/vm.ini"
as_user=()
if [ "$(id -u)" -eq 0 ]; then
	if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null &&
		setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$vmport"; then
		as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	else
		as_user=(skip)
	fi
fi
if [ "${as_user[0]:-}" != skip ]; then
	expect_error "output directory not writable" "directory '$tmp/ro': Permission denied" \
		"${as_user[@]}" "$vmport" greeting record -c "$tmp/vm.ini" -b filecap -o "$tmp/ro/greet.wav"
	cmp -s "$tmp/ro/greet.wav" "$tmp/keep.wav" || fail "unwritable directory: the previous greeting changed"
	no_temp_files "$tmp/ro"
else
	say "output directory not writable: skipped (root, and $vmport not runnable as nobody)"
fi
chmod 0755 "$tmp/ro"

# The shipped greeting is never the output, even when named.
shipped="$(dirname "$vmport")/../share/vmport/greeting.wav"
if [ -f "$shipped" ]; then
	cp "$shipped" "$tmp/shipped-copy.wav"
	expect_error "output is the shipped greeting" "is the shipped greeting" \
		"$vmport" greeting record -c "$tmp/vm.ini" -b filecap -o "$shipped"
	cmp -s "$shipped" "$tmp/shipped-copy.wav" || fail "the shipped greeting changed"
fi

conf "$tmp/shipped.ini"
expect_error "config without greeting" "set \`greeting = PATH\`" \
	"$vmport" greeting record -c "$tmp/shipped.ini" -b filecap
grep -q -- "-o FILE" "$tmp/err" || fail "no -o hint: $(cat "$tmp/err")"

expect_error "--seconds out of range" "from 1 to 600" \
	"$vmport" greeting record -c "$tmp/vm.ini" -b filecap --seconds 601
expect_error "--seconds not a number" "from 1 to 600" \
	"$vmport" greeting record -c "$tmp/vm.ini" -b filecap --seconds 2x
unchanged "bad arguments"
echo "greeting record: all checks passed"
