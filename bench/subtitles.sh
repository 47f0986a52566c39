#!/usr/bin/env bash
# Transcription speed of cutroom-whisper against faster-whisper (CTranslate2) on the same
# Whisper tiny.en model and the same audio, 2 threads, beam 1, word timestamps on.
#
#   bench/subtitles.sh [RUNS]
#
# Needs the models (make setup) and, as the peer, `python3 -m pip install faster-whisper==1.2.1`.
# Audio: jfk.wav (11 s) and a 67 s track of jfk.wav six times with 1 s pauses.
# Prints best-of-RUNS times and the ratios ours / faster-whisper (below 1 means faster).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
models="${CUTROOM_MODELS:-$PWD/models}"
model="$models/whisper-tiny.en"
jfk="$models/samples/jfk.wav"
[ -s "$model/model.bin" ] && [ -s "$jfk" ] || { echo "bench: models missing; run make setup" >&2; exit 1; }
python3 -c 'import faster_whisper' 2>/dev/null || {
  echo "bench: the peer is missing; run: python3 -m pip install faster-whisper==1.2.1" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
long="$tmp/jfk-x6.wav"
ffmpeg -v error -f lavfi -i anullsrc=r=16000:cl=mono -t 1 -c:a pcm_s16le "$tmp/gap.wav"
: > "$tmp/list.txt"
for _ in 1 2 3 4 5 6; do
  printf "file '%s'\nfile '%s'\n" "$jfk" "$tmp/gap.wav" >> "$tmp/list.txt"
done
ffmpeg -v error -f concat -safe 0 -i "$tmp/list.txt" -ar 16000 -ac 1 -c:a pcm_s16le "$long"

export RAYON_NUM_THREADS=2 OMP_NUM_THREADS=2
cargo build -q --release -p cutroom-whisper --example transcribe_bench
ours="$(./target/release/examples/transcribe_bench "$model" "$runs" "$jfk" "$long")"

peer() {  # compute type
  HF_HUB_OFFLINE=1 python3 - "$model" "$1" "$runs" "$jfk" "$long" <<'PY'
import sys, time
from faster_whisper import WhisperModel
model, ctype, runs, files = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
t = time.perf_counter()
m = WhisperModel(model, device="cpu", compute_type=ctype, cpu_threads=2)
load = time.perf_counter() - t
for f in files:
    best = float("inf")
    for _ in range(max(runs, 1)):
        t = time.perf_counter()
        segs, _ = m.transcribe(f, beam_size=1, word_timestamps=True)
        text = "".join(s.text for s in segs).strip()
        best = min(best, time.perf_counter() - t)
    print(f"{f}\t{load:.3f}\t{best:.3f}\t{text}")
PY
}
fp32="$(peer float32)"
int8="$(peer int8)"

python3 - "$ours" "$fp32" "$int8" <<'PY'
import sys
ours = [l.split("\t") for l in sys.argv[1].splitlines()]
fp32 = [l.split("\t") for l in sys.argv[2].splitlines()]
int8 = [l.split("\t") for l in sys.argv[3].splitlines()]
print(f"model load: ours {float(ours[0][2]):.3f} s, faster-whisper float32 {float(fp32[0][1]):.3f} s")
for o, f, i in zip(ours, fp32, int8):
    name = "jfk.wav" if o[0].endswith("jfk.wav") else "jfk x6 (67 s)"
    t, tf, ti = float(o[3]), float(f[2]), float(i[2])
    same = "same text" if o[4] == f[3] else "TEXT DIFFERS"
    print(f"{name:>14}: ours {t:.3f} s | faster-whisper float32 {tf:.3f} s (ratio {t/tf:.2f}x) "
          f"| int8 {ti:.3f} s (ratio {t/ti:.2f}x) | {same} as float32")
PY
