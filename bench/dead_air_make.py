#!/usr/bin/env python3
"""Speech separated by silences, with its ground truth, for bench/dead_air.sh.

Sentences are spoken by espeak-ng (voices en and en-us alternating), resampled to 16 kHz
mono with sox and trimmed at 1 % of full scale (as the auto-cut tests do), then laid out
with seeded silences of 0.8-3.0 s between them until the file is at least SECONDS long.
Writes a 16-bit WAV and a JSON truth file {"samples": N, "speech": [[start, end], ...]}
(sample indices at 16 kHz, end exclusive).

Usage: dead_air_make.py OUT.wav TRUTH.json [--seconds 300] [--seed 5]
"""

import argparse
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import wave

SR = 16_000
SENTENCES = [
    "Please open the project and check the first scene.",
    "The second take was better than the first one.",
    "We can cut the pause after this sentence.",
    "That is all for today, thank you.",
    "Move the camera a little to the left before the next shot.",
    "The interview starts after the music fades out.",
    "Could you read the last line again, a bit slower?",
    "Lunch is at one, and we shoot the exteriors afterwards.",
]


def speak(tmp, text, voice):
    wav = os.path.join(tmp, "s.wav")
    raw = os.path.join(tmp, "s.f32")
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", wav, text], check=True)
    subprocess.run(["sox", wav, "-r", str(SR), "-c", "1", "-e", "floating-point", "-b", "32",
                    "-t", "raw", raw], check=True)
    data = open(raw, "rb").read()
    samples = list(struct.unpack(f"<{len(data) // 4}f", data))
    loud = [i for i, s in enumerate(samples) if abs(s) >= 0.01]
    return samples[loud[0]:loud[-1] + 1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("truth")
    ap.add_argument("--seconds", type=float, default=300)
    ap.add_argument("--seed", type=int, default=5)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    with tempfile.TemporaryDirectory() as tmp:
        spoken = [speak(tmp, t, ("en", "en-us")[i % 2]) for i, t in enumerate(SENTENCES)]
    out = [0.0] * (SR // 2)
    speech = []
    i = 0
    while len(out) < a.seconds * SR:
        s = spoken[i % len(spoken)]
        speech.append([len(out), len(out) + len(s)])
        out.extend(s)
        out.extend([0.0] * int(rng.uniform(0.8, 3.0) * SR))
        i += 1
    with wave.open(a.out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(b"".join(
            struct.pack("<h", int(round(max(-1.0, min(1.0, s)) * 32767))) for s in out))
    json.dump({"samples": len(out), "speech": speech}, open(a.truth, "w"))
    print(f"{len(out) / SR:.1f} s, {len(speech)} sentences", file=sys.stderr)


if __name__ == "__main__":
    main()
