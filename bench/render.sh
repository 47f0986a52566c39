#!/usr/bin/env bash
# Render speed of cutroom-media's Renderer against the ffmpeg command-line tool.
#
# Generates a 22 s 1080p25 H.264 clip and a 33-point .cube grade in a temporary directory
# (removed afterwards), then renders the clip through the LUT to H.264 with the same preset
# and CRF on both sides:
#   ours:   the render_bench example (a one-clip timeline with the LUT as the clip's color)
#   ffmpeg: ffmpeg -threads 0 -i clip -vf lut3d=grade.cube -c:v libx264 -preset P -crf N
# and prints fps (wall time, best of RUNS runs), CPU seconds (user+sys of that run), the
# ratio (target >= 0.9), and the PSNR between the two outputs (both apply the same LUT, so
# this should be high: ~40 dB and more).
#
# Usage: bench/render.sh            (builds the example in release mode first)
#        BIN=path/to/render_bench PRESET=veryfast CRF=23 RUNS=2 bench/render.sh
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-2}
PRESET=${PRESET:-veryfast}
CRF=${CRF:-23}
if [[ -z "${BIN:-}" ]]; then
    cargo build --quiet --release -p cutroom-media --example render_bench
    BIN="${CARGO_TARGET_DIR:-target}/release/examples/render_bench"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

clip="$work/clip1080p25.mp4"
lut="$work/grade.cube"
echo "generating 22 s 1080p25 H.264 clip and a 33^3 LUT..." >&2
ffmpeg -hide_banner -loglevel error -nostdin -y -f lavfi -i testsrc2=size=1920x1080:rate=25 \
    -t 22 -c:v libx264 -preset veryfast -pix_fmt yuv420p "$clip"
python3 - "$lut" <<'PY'
import sys
n = 33
with open(sys.argv[1], "w") as f:
    f.write('TITLE "bench grade"\nLUT_3D_SIZE 33\n')
    for b in range(n):
        for g in range(n):
            for r in range(n):
                R, G, B = r / (n - 1), g / (n - 1), b / (n - 1)
                o = (min(1, 0.9 * R**0.8 + 0.1 * G), min(1, G**1.1 * 0.95 + 0.05 * B),
                     min(1, 0.8 * B + 0.15 * R * G + 0.05))
                f.write("%.6f %.6f %.6f\n" % o)
PY
frames=$(ffprobe -v error -select_streams v:0 -show_entries stream=nb_frames -of csv=p=0 "$clip")

# best CMD...: "wall cpu" of the run with the best wall time over RUNS runs
best() {
    local best="" cpu="" out w c
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -o "$work/time" -f "%e %U %S" "$@" >/dev/null 2>&1
        out=$(tail -1 "$work/time")
        w=$(echo "$out" | awk '{print $1}')
        c=$(echo "$out" | awk '{print $2 + $3}')
        if [[ -z "$best" ]] || (( $(echo "$w < $best" | bc -l) )); then best=$w; cpu=$c; fi
    done
    echo "$best $cpu"
}
fps() { echo "scale=1; $frames / $1" | bc -l; }
ratio() { echo "scale=3; $1 / $2" | bc -l; }

read -r ours_w ours_c < <(best "$BIN" "$clip" "$work/ours.mp4" "$lut" --preset "$PRESET" --crf "$CRF")
read -r ff_w ff_c < <(best ffmpeg -hide_banner -nostdin -y -threads 0 -i "$clip" \
    -vf "lut3d=$lut" -c:v libx264 -preset "$PRESET" -crf "$CRF" "$work/peer.mp4")
psnr=$(ffmpeg -hide_banner -nostdin -i "$work/ours.mp4" -i "$work/peer.mp4" \
    -lavfi "[0:v][1:v]psnr" -f null - 2>&1 | sed -n 's/.*average:\([0-9.inf]*\).*/\1/p' | tail -1)

echo "render: 1920x1080 25 fps, $frames frames, 33^3 LUT, libx264 -preset $PRESET -crf $CRF;" \
    "$(nproc) cores; best of $RUNS runs"
printf '%-28s %10s %10s %8s\n' "" "ours" "ffmpeg" "ratio"
printf '%-28s %10s %10s %8s\n' "fps (wall time)" "$(fps "$ours_w")" "$(fps "$ff_w")" \
    "$(ratio "$(fps "$ours_w")" "$(fps "$ff_w")")"
printf '%-28s %10s %10s %8s\n' "CPU seconds (user+sys)" "$ours_c" "$ff_c" \
    "$(ratio "$ff_c" "$ours_c")"
echo "PSNR ours vs ffmpeg output: ${psnr} dB"
