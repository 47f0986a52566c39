#!/usr/bin/env bash
# auto-cut dead-air removal against auto-editor: speed and agreement of the cut points.
#
# Generates CLIP_SECONDS (default 300) of espeak-ng speech separated by 0.8-3 s silences as a
# 16 kHz mono WAV (bench/dead_air_make.py) in a temporary directory, then times, wall clock of
# the whole process, best of RUNS runs each:
#   ours:         the auto_cut_run example, shots=false dead_air=loudness (FfmpegSource
#                 decode + 10 ms peak meter + removals)
#   auto-editor:  auto-editor --edit audio:threshold=T --export json, time base 100 (10 ms
#                 ticks, the same grid as ours) and its default 30 (fewer ticks, faster),
#                 each run with an empty cache
# with the same settings: auto-editor's threshold is relative to the file's peak, so ours gets
# threshold_db = 20 log10(T * peak); --margin 0.1s,0.2s = pad_before/pad_after; --min-cut 0.4s
# = min_silence; --min-clip 0.03s = min_sound. Prints the ratios and how many cut points agree
# within one 10 ms frame (bench/dead_air_score.py). Also times dead_air=vad (Silero VAD gate,
# not comparable to auto-editor's loudness rule; for reference).
#
# auto-editor: the Debian package (22w52a). The PyPI package (29.x) downloads a binary on first
# run, which fails offline. Installed here with apt-get if missing (bench only).
#
# Usage: bench/dead_air.sh        CLIP_SECONDS=300 RUNS=3 SEED=5 THRESHOLD=0.04 KEEP=dir
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
LEN=${CLIP_SECONDS:-300}
SEED=${SEED:-5}
T=${THRESHOLD:-0.04}
if ! command -v auto-editor >/dev/null 2>&1; then
    echo "installing auto-editor (Debian package, bench only)..." >&2
    apt-get update -qq >&2
    apt-get install -y -qq auto-editor >&2
fi
if [[ -z "${BIN:-}" ]]; then
    cargo build --quiet --release -p auto-cut --example auto_cut_run
    BIN="${CARGO_TARGET_DIR:-target}/release/examples/auto_cut_run"
fi
work=${KEEP:-$(mktemp -d)}
mkdir -p "$work"
[[ -n "${KEEP:-}" ]] || trap 'rm -rf "$work"' EXIT

wav="$work/speech.wav"
truth="$work/truth.json"
if [[ ! -s "$wav" || ! -s "$truth" ]]; then
    echo "generating ${LEN} s of speech and silences..." >&2
    python3 bench/dead_air_make.py "$wav" "$truth" --seconds "$LEN" --seed "$SEED"
fi
seconds=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['samples'] / 16000)" "$truth")
db=$(python3 - "$wav" "$T" <<'PY'
import array, math, sys, wave
w = wave.open(sys.argv[1])
a = array.array("h", w.readframes(w.getnframes()))
peak = max(abs(min(a)), max(a)) / 32767
print(f"{20 * math.log10(float(sys.argv[2]) * peak):.6f}")
PY
)

now() { date +%s.%N; }
# best_wall OUT CMD...: best wall time in seconds over RUNS runs; stdout of the last run to OUT
best_wall() {
    local out=$1 best="" t0 t1 t
    shift
    for _ in $(seq "$RUNS"); do
        t0=$(now)
        "$@" >"$out" 2>"$out.err"
        t1=$(now)
        t=$(echo "$t1 - $t0" | bc -l)
        if [[ -z "$best" ]] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
    done
    echo "$best"
}

common=(pad_before=0.1 pad_after=0.2 min_silence=0.4 min_sound=0.03)
t_ours=$(best_wall "$work/ours.json" "$BIN" "$wav" shots=false dead_air=loudness \
    "threshold_db=$db" "${common[@]}")
t_vad=$(best_wall "$work/ours_vad.json" "$BIN" "$wav" shots=false dead_air=vad "${common[@]}")
# auto-editor caches its analysis next to its temp dir (ae-<version>/cache.json) and would
# skip it on repeated runs: every run gets a fresh, empty one.
ae() {
    rm -rf "$work/aetmp"
    mkdir -p "$work/aetmp"
    auto-editor "$wav" --temp-dir "$work/aetmp/t" --frame-rate "$1" --edit "audio:threshold=$T" --margin 0.1s,0.2s \
        --min-cut 0.4s --min-clip 0.03s --export json -o "$work/ae$1.json" --no-open \
        --my-ffmpeg -q --progress none
}
t_ae100=$(best_wall "$work/ae100.txt" ae 100)
t_ae30=$(best_wall "$work/ae30.txt" ae 30)
score=$(python3 bench/dead_air_score.py "$work/ours.json" "$work/ae100.json" "$truth" --tb 100 \
    --pad-before 0.1 --pad-after 0.2)
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])['$1'])" "$score"; }

echo "file: ${seconds} s of 16 kHz mono speech and silences; threshold $T of peak = $db dBFS;" \
    "$(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); best of $RUNS runs (process wall time)"
printf '%-52s %9s\n' "" "seconds"
printf '%-52s %9.3f\n' "auto-cut dead_air=loudness" "$t_ours"
printf '%-52s %9.3f\n' "auto-editor, time base 100 (10 ms ticks)" "$t_ae100"
printf '%-52s %9.3f\n' "auto-editor, time base 30 (its default)" "$t_ae30"
printf '%-52s %9.3f\n' "auto-cut dead_air=vad (Silero gate; reference only)" "$t_vad"
echo "speed-up auto-cut vs auto-editor (time base 100):  $(echo "scale=1; $t_ae100 / $t_ours" | bc -l)x (target >= 5)"
echo "speed-up auto-cut vs auto-editor (time base 30):   $(echo "scale=1; $t_ae30 / $t_ours" | bc -l)x"
echo "speed-up auto-cut vad mode vs auto-editor (tb 30): $(echo "scale=1; $t_ae30 / $t_vad" | bc -l)x"
echo "cut points: auto-cut $(field ours), auto-editor $(field auto_editor);" \
    "agree within one 10 ms frame: $(field agree_within_one_tick), exactly: $(field agree_exactly)"
echo "kept edges within 20 ms of the padded truth ($(field truth_edges)): auto-cut" \
    "$(field ours_within_20ms_of_truth), auto-editor $(field auto_editor_within_20ms_of_truth)"
echo "$score"
