#!/usr/bin/env python3
"""Small WAV helper for the end-to-end tests (an independent check, not vmport's code).

  wavtool.py tone OUT.wav HZ SECONDS        write an 8 kHz mono 16-bit sine
  wavtool.py check IN.wav HZ MIN_SECONDS    8 kHz mono 16-bit, long enough, energy at HZ
"""
import math
import struct
import sys
import wave


def goertzel(samples, rate, freq):
    k = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + k * s1 - s2, s1
    return s1 * s1 + s2 * s2 - k * s1 * s2


def tone(path, hz, seconds):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        n = int(8000 * seconds)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / 8000))) for i in range(n)))


def check(path, hz, min_seconds):
    with wave.open(path, "rb") as w:
        if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (1, 2, 8000):
            sys.exit(f"{path}: not 8 kHz mono 16-bit: {w.getnchannels()} ch, {8 * w.getsampwidth()} bit, {w.getframerate()} Hz")
        frames = w.readframes(w.getnframes())
    samples = struct.unpack(f"<{len(frames) // 2}h", frames)
    seconds = len(samples) / 8000
    if seconds < min_seconds:
        sys.exit(f"{path}: {seconds:.2f} s, expected at least {min_seconds} s")
    # The loudest half second should carry the tone well above its neighbours.
    best = None
    for start in range(0, max(1, len(samples) - 4000), 2000):
        win = samples[start:start + 4000]
        e = goertzel(win, 8000, hz)
        if best is None or e > best[0]:
            best = (e, win)
    e, win = best
    side = max(goertzel(win, 8000, hz * 0.7), goertzel(win, 8000, hz * 1.4), 1.0)
    if e < 100 * side:
        sys.exit(f"{path}: no clear {hz} Hz tone (energy ratio {e / side:.1f})")
    print(f"{path}: {seconds:.2f} s, {hz} Hz tone present (ratio {e / side:.0f})")


if __name__ == "__main__":
    if sys.argv[1] == "tone":
        tone(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
    elif sys.argv[1] == "check":
        check(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
    else:
        sys.exit(__doc__)
