#!/usr/bin/env bash
# Black box: audio_tool with the alsa backend and ALSA's *global* configuration, pointed by
# ALSA_CONFIG_PATH at an asoundrc that includes the system's alsa.conf and adds PCMs built from
# its `file` and `null` plug-ins. Checks the WAV the monitor PCM produced with Python's wave
# module (an independent reader), a capture from an infile, and the errors for a PCM that does
# not exist and for "default" on a machine without a sound card.
set -euo pipefail
tool=$1
tmp=$(mktemp -d /tmp/vmport-audio-cfg-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

python3 - "$tmp/in.raw" <<'EOF'
import math, struct, sys
with open(sys.argv[1], "wb") as f:
    for i in range(4000):
        f.write(struct.pack("<h", int(round(6000 * math.sin(2 * math.pi * 440 * i / 8000)))))
EOF

cat >"$tmp/asoundrc" <<EOF
</usr/share/alsa/alsa.conf>
pcm.vmport_monitor {
	type file
	slave.pcm "null"
	file "$tmp/monitor.wav"
	format "wav"
}
pcm.vmport_greeting {
	type file
	slave.pcm "null"
	file "/dev/null"
	infile "$tmp/in.raw"
}
EOF
export ALSA_CONFIG_PATH="$tmp/asoundrc"

# 1. Play 1 s of 1 kHz on the monitor PCM (paced, as on a board: takes about a second).
"$tool" play --device vmport_monitor --seconds 1 --tone 1000
python3 - "$tmp/monitor.wav" <<'EOF'
import math, struct, sys, wave
w = wave.open(sys.argv[1], "rb")
assert w.getframerate() == 8000, w.getframerate()
assert w.getnchannels() == 1, w.getnchannels()
assert w.getsampwidth() == 2, w.getsampwidth()
n = w.getnframes()
assert n == 8000, n
s = struct.unpack("<%dh" % n, w.readframes(n))
for i, v in enumerate(s):
    want = int(round(8000 * math.sin(2 * math.pi * 1000 * i / 8000)))
    assert v == want, (i, v, want)
print("monitor.wav: 8000 frames of the 1 kHz tone, sample-exact")
EOF

# 2. Capture 4000 frames from the greeting PCM: the infile's samples.
"$tool" capture --device vmport_greeting --frames 4000 --out "$tmp/cap.raw"
cmp "$tmp/cap.raw" "$tmp/in.raw"
echo "capture: the infile's 4000 frames"

# 3. A PCM the configuration does not have: exit 1, the name in the message.
if "$tool" play --device vmport_nowhere --seconds 0.1 2>"$tmp/err"; then
	echo "FAIL: a missing PCM opened" >&2
	exit 1
fi
grep -q "cannot open PCM 'vmport_nowhere' for playback" "$tmp/err" || { cat "$tmp/err" >&2; exit 1; }

# 4. "default" is card 0, and this machine has none: a clear error, not a hang.
if [ ! -e /dev/snd/controlC0 ]; then
	if "$tool" play --device default --seconds 0.1 2>"$tmp/err"; then
		echo "FAIL: default opened without a sound card" >&2
		exit 1
	fi
	grep -q "PCM 'default'" "$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
fi

# 5. Mixer controls on a control device that does not exist: named.
if "$tool" play --device vmport_monitor --mixer hw:7 --control "Master Playback Volume=80%" \
	--seconds 0.1 2>"$tmp/err"; then
	echo "FAIL: a missing mixer opened" >&2
	exit 1
fi
grep -q "mixer 'hw:7' for control 'Master Playback Volume'" "$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
echo "errors: named"
