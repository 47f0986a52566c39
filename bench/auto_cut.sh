#!/usr/bin/env bash
# auto-cut shot detection: speed against the ffmpeg CLI and against PySceneDetect, accuracy
# against PySceneDetect on the same ground truth.
#
# Generates a >= 60 s 1080p25 H.264 clip with known cuts, dissolves and fades
# (plugins/auto-cut/testdata/make_shots.py) in a temporary directory, then times, wall clock,
# best of RUNS runs each:
#   ours:         the auto_cut_run example with dead_air=off (FfmpegSource decode + scale to
#                 64x36 + analysis; FfmpegSource decodes such small requests without the
#                 deblocking filter, see cutroom-media's DecodeOptions, so ours can beat a full
#                 ffmpeg decode)
#   ffmpeg:       ffmpeg -threads 0 -i clip -f null -
#   bound:        ffmpeg -threads 0 -skip_frame bidir -skip_loop_filter all -i clip -f null -
#                 (not a detector: the least decoding a frame-exact detector on long-GOP H.264
#                 can do, so scenedetect / this is the most any such detector can gain)
#   scenedetect:  scenedetect -i clip detect-adaptive list-scenes (PyPI scenedetect-headless,
#                 pip-installed here if missing; a bench-only dependency)
# and prints both F1 scores (bench/auto_cut_score.py) and the ratios.
#
# Usage: bench/auto_cut.sh         CLIP_SECONDS=64 RUNS=3 SEED=11 KEEP=dir (keep the clip there)
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SECONDS_LONG=${CLIP_SECONDS:-64}
SEED=${SEED:-11}
if ! command -v scenedetect >/dev/null 2>&1; then
    echo "installing scenedetect-headless (bench only)..." >&2
    python3 -m pip install -q --disable-pip-version-check "scenedetect-headless==0.7.2" >&2
fi
if [[ -z "${BIN:-}" ]]; then
    cargo build --quiet --release -p auto-cut --example auto_cut_run
    BIN="${CARGO_TARGET_DIR:-target}/release/examples/auto_cut_run"
fi
work=${KEEP:-$(mktemp -d)}
mkdir -p "$work"
[[ -n "${KEEP:-}" ]] || trap 'rm -rf "$work"' EXIT

clip="$work/edit1080p25.mp4"
truth="$work/truth.json"
if [[ ! -s "$clip" || ! -s "$truth" ]]; then
    echo "generating ${SECONDS_LONG} s 1080p25 H.264 clip with known boundaries..." >&2
    python3 plugins/auto-cut/testdata/make_shots.py edit "$clip" "$truth" \
        --size 1920x1080 --seconds "$SECONDS_LONG" --seed "$SEED" --preset veryfast
fi
frames=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['frames'])" "$truth")

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

t_ours=$(best_wall "$work/ours.json" "$BIN" "$clip" dead_air=off)
t_ff=$(best_wall "$work/ffmpeg.txt" ffmpeg -hide_banner -nostdin -threads 0 -i "$clip" -f null -)
# A bound, not a detector: the decoder alone, on the I and P frames only (the B
# frames skipped) and without the deblocking filter: a frame-exact detector on FFmpeg's H.264
# decoder cannot decode less.
t_ip=$(best_wall "$work/ffmpeg_ip.txt" ffmpeg -hide_banner -nostdin -threads 0 \
    -skip_frame bidir -skip_loop_filter all -i "$clip" -f null -)
t_sd=$(best_wall "$work/sd.txt" scenedetect -q -i "$clip" -o "$work/sd" detect-adaptive \
    list-scenes -q -f scenes.csv)

# PySceneDetect's scene list -> cut frames (start frame of every scene but the first).
python3 - "$work/sd/scenes.csv" "$work/sd.json" <<'PY'
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1])))
head = next(i for i, r in enumerate(rows) if r and r[0] == "Scene Number")
col = rows[head].index("Start Frame")
starts = [int(r[col]) - 1 for r in rows[head + 1:] if r]  # 1-based in the CSV
json.dump({"cuts": starts[1:], "transitions": []}, open(sys.argv[2], "w"))
PY
score_ours=$(python3 bench/auto_cut_score.py "$truth" "$work/ours.json" --label auto-cut)
score_sd=$(python3 bench/auto_cut_score.py "$truth" "$work/sd.json" --label scenedetect)
f1() { python3 -c "import json,sys; print(json.loads(sys.argv[1])['$2'])" "$1"; }

echo "clip: 1920x1080 25 fps H.264, $frames frames ($(echo "scale=1; $frames / 25" | bc -l) s);" \
    "$(nproc) cores; best of $RUNS runs (wall time)"
printf '%-44s %9s %9s\n' "" "seconds" "fps"
printf '%-44s %9.2f %9.1f\n' "auto-cut shots (decode+scale+analysis)" "$t_ours" "$(echo "$frames / $t_ours" | bc -l)"
printf '%-44s %9.2f %9.1f\n' "ffmpeg -threads 0 -i clip -f null -" "$t_ff" "$(echo "$frames / $t_ff" | bc -l)"
printf '%-44s %9.2f %9.1f\n' "ffmpeg decoding I+P frames only, no deblock" "$t_ip" "$(echo "$frames / $t_ip" | bc -l)"
printf '%-44s %9.2f %9.1f\n' "scenedetect detect-adaptive" "$t_sd" "$(echo "$frames / $t_sd" | bc -l)"
echo "ratio auto-cut / ffmpeg decode wall time:     $(echo "scale=3; $t_ours / $t_ff" | bc -l)  (target <= 1.15)"
echo "speed-up auto-cut vs scenedetect:             $(echo "scale=2; $t_sd / $t_ours" | bc -l)x (target >= 5)"
echo "bound: scenedetect / (I+P-only decode, no deblock): $(echo "scale=2; $t_sd / $t_ip" | bc -l)x" \
    "(a detector that decodes at least the I and P frames is at most this much faster)"
echo "F1 all boundaries (cut +-1 frame, spans overlap): auto-cut $(f1 "$score_ours" f1_all)," \
    "scenedetect $(f1 "$score_sd" f1_all)"
echo "auto-cut: hard cuts F1 $(f1 "$score_ours" f1_cuts), transitions F1 $(f1 "$score_ours" f1_transitions)"
echo "$score_ours"
echo "$score_sd"
