#!/usr/bin/env bash
# Transcription speed of cutroom-whisper against faster-whisper (CTranslate2) on the same
# Whisper tiny.en model and the same audio, 2 threads, beam 1, word timestamps on.
#
#   bench/subtitles.sh [RUNS]
#
# Needs the models and test recordings (make setup / scripts/setup.sh --test) and, as the
# peer, `python3 -m pip install faster-whisper==1.2.1`.
# Audio: jfk.wav (11 s) and a track of at least 60 s made of the five LibriVox utterances
# (installed by scripts/models/librivox-samples.sh) in turn, 1.5 s of silence after each.
# Prints best-of-RUNS transcription times, the ratios ours / faster-whisper int8 and float32
# (below 1 means we are faster; the peer runs with the faster of its oneDNN and MKL backends),
# model load times, the peak resident memory of each process (from /usr/bin/time -v when
# present, else getrusage) and whether the texts agree.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
models="${CUTROOM_MODELS:-$PWD/models}"
model="$models/whisper-tiny.en"
jfk="$models/samples/jfk.wav"
librivox="$models/librivox"
[ -s "$model/model.bin" ] && [ -s "$jfk" ] && ls "$librivox"/*.wav >/dev/null 2>&1 || {
  echo "bench: models or test recordings missing; run scripts/setup.sh --test" >&2; exit 1; }
python3 -c 'import faster_whisper' 2>/dev/null || {
  echo "bench: the peer is missing; run: python3 -m pip install faster-whisper==1.2.1" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# The long track: the utterances in name order, again and again, until at least 60 s.
long="$tmp/librivox-long.wav"
ffmpeg -v error -f lavfi -i anullsrc=r=16000:cl=mono -t 1.5 -c:a pcm_s16le "$tmp/pause.wav"
: > "$tmp/list.txt"
total=0
while python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 60 else 1)" "$total"; do
  for wav in "$librivox"/*.wav; do
    printf "file '%s'\nfile '%s'\n" "$wav" "$tmp/pause.wav" >> "$tmp/list.txt"
    d="$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$wav")"
    total="$(python3 -c "import sys; print(float(sys.argv[1]) + float(sys.argv[2]) + 1.5)" "$total" "$d")"
  done
done
ffmpeg -v error -f concat -safe 0 -i "$tmp/list.txt" -ar 16000 -ac 1 -c:a pcm_s16le "$long"
long_seconds="$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$long")"

# Runs a command with its stdout to $1 and its peak resident set (kB) to $1.rss.
measure() {
  local out="$1"; shift
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -v -o "$out.time" "$@" > "$out"
    awk -F': ' '/Maximum resident set size/ {print $2}' "$out.time" > "$out.rss"
  else
    python3 - "$out" "$@" <<'PY'
import resource, subprocess, sys
with open(sys.argv[1], "w") as f:
    subprocess.run(sys.argv[2:], stdout=f, check=True)
with open(sys.argv[1] + ".rss", "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
PY
  fi
}

export RAYON_NUM_THREADS=2 OMP_NUM_THREADS=2
cargo build -q --release -p cutroom-whisper --example transcribe_bench
measure "$tmp/ours" ./target/release/examples/transcribe_bench "$model" "$runs" "$jfk" "$long"

cat > "$tmp/peer.py" <<'PY'
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
export HF_HUB_OFFLINE=1
# CTranslate2 uses Intel MKL only on Intel CPUs by default (oneDNN elsewhere); CT2_USE_MKL
# forces the choice. Each compute type runs with both backends and the faster one is the peer.
for ctype in float32 int8; do
  for mkl in 0 1; do
    CT2_USE_MKL=$mkl measure "$tmp/$ctype-mkl$mkl" python3 "$tmp/peer.py" "$model" "$ctype" "$runs" "$jfk" "$long"
  done
done

echo "load: $(uptime | sed 's/.*load average/load average/')"
python3 - "$tmp" "$long_seconds" <<'PY'
import sys
tmp, long_seconds = sys.argv[1], float(sys.argv[2])
def rows(name):
    with open(f"{tmp}/{name}") as f:
        return [l.rstrip("\n").split("\t") for l in f if l.strip()]
def rss(name):
    with open(f"{tmp}/{name}.rss") as f:
        return int(f.read().strip() or 0) / 1024
ours = rows("ours")
peers = {c: {m: rows(f"{c}-mkl{m}") for m in (0, 1)} for c in ("float32", "int8")}
backend = {0: "oneDNN", 1: "MKL"}
print(f"model load: ours {float(ours[0][2]):.3f} s | faster-whisper "
      + ", ".join(f"{c} {min(float(peers[c][m][0][1]) for m in (0, 1)):.3f} s" for c in peers))
print(f"peak RSS:   ours {rss('ours'):.0f} MB | faster-whisper "
      + ", ".join(f"{c} {min(rss(f'{c}-mkl{m}') for m in (0, 1)):.0f} MB" for c in peers)
      + " (whole process, both files, best runs)")
for k, o in enumerate(ours):
    name = "jfk.wav (11 s)" if o[0].endswith("jfk.wav") else f"LibriVox ({long_seconds:.0f} s)"
    t = float(o[3])
    parts = []
    for c in peers:
        times = {m: float(peers[c][m][k][2]) for m in (0, 1)}
        best = min(times, key=times.get)
        parts.append(f"{c} {times[best]:.3f} s (ratio {t / times[best]:.2f}x; "
                     f"{backend[0]} {times[0]:.3f}, {backend[1]} {times[1]:.3f})")
    ref = peers["float32"][1][k][3]
    same = "same text" if o[4] == ref else "TEXT DIFFERS"
    print(f"{name:>16}: ours {t:.3f} s | faster-whisper " + " | ".join(parts)
          + f" | {same} as float32")
    if o[4] != ref:
        print(f"    ours:           {o[4]}\n    faster-whisper: {ref}")
PY
