#!/usr/bin/env bash
# Decode speed and memory of cutroom-media against the ffmpeg command-line tool.
#
# Generates test clips in a temporary directory (removed afterwards) and prints:
#   1. decode-only fps: ours vs `ffmpeg -threads 0 -i clip -f null -` (ratio)
#   2. decode + scale to 320x180 gray: ours vs `ffmpeg -vf scale=320:180,format=gray -f null -`
#   3. peak RSS while decoding+scaling a 10-minute clip (and a 22 s one, for comparison)
# Both sides are timed the same way: wall time of the whole process, best of RUNS runs.
#
# Usage: bench/decode.sh            (builds the example in release mode first)
#        BIN=path/to/decode_bench bench/decode.sh
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
if [[ -z "${BIN:-}" ]]; then
    cargo build --quiet --release -p cutroom-media --example decode_bench
    BIN="${CARGO_TARGET_DIR:-target}/release/examples/decode_bench"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

clip="$work/clip1080p25.mp4"
long="$work/long10min.mp4"
echo "generating 22 s 1080p25 H.264 clip..." >&2
ffmpeg -hide_banner -loglevel error -nostdin -y -f lavfi -i testsrc2=size=1920x1080:rate=25 \
    -t 22 -c:v libx264 -preset veryfast -pix_fmt yuv420p "$clip"
echo "generating 10 min 320x180 clip..." >&2
ffmpeg -hide_banner -loglevel error -nostdin -y -f lavfi -i testsrc2=size=320x180:rate=25 \
    -t 600 -c:v libx264 -preset ultrafast -pix_fmt yuv420p "$long"
frames=$(ffprobe -v error -select_streams v:0 -show_entries stream=nb_frames -of csv=p=0 "$clip")

now() { date +%s.%N; }
# best_wall CMD...: best wall time in seconds over RUNS runs
best_wall() {
    local best="" t0 t1 t
    for _ in $(seq "$RUNS"); do
        t0=$(now)
        "$@" >/dev/null 2>&1
        t1=$(now)
        t=$(echo "$t1 - $t0" | bc -l)
        if [[ -z "$best" ]] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
    done
    echo "$best"
}
fps() { echo "scale=1; $frames / $1" | bc -l; }
ratio() { echo "scale=3; $1 / $2" | bc -l; }

ours_dec=$(best_wall "$BIN" decode "$clip")
ff_dec=$(best_wall ffmpeg -hide_banner -nostdin -threads 0 -i "$clip" -f null -)
ours_gray=$(best_wall "$BIN" gray320 "$clip")
ff_gray=$(best_wall ffmpeg -hide_banner -nostdin -threads 0 -i "$clip" \
    -vf scale=320:180,format=gray -f null -)

rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2}'; }
rss_long=$(rss "$BIN" gray320 "$long")
rss_short=$(rss "$BIN" gray320 "$clip")
rss_ff_long=$(rss ffmpeg -hide_banner -nostdin -threads 0 -i "$long" -vf scale=320:180,format=gray -f null -)

echo "clip: 1920x1080 25 fps H.264, $frames frames; $(nproc) cores; best of $RUNS runs (wall time)"
printf '%-34s %10s %10s %8s\n' "" "ours fps" "ffmpeg fps" "ratio"
printf '%-34s %10s %10s %8s\n' "decode only" "$(fps "$ours_dec")" "$(fps "$ff_dec")" \
    "$(ratio "$(fps "$ours_dec")" "$(fps "$ff_dec")")"
printf '%-34s %10s %10s %8s\n' "decode + scale 320x180 gray" "$(fps "$ours_gray")" "$(fps "$ff_gray")" \
    "$(ratio "$(fps "$ours_gray")" "$(fps "$ff_gray")")"
echo "peak RSS, decode+scale 10 min 320x180 clip: ours ${rss_long} KiB (ffmpeg ${rss_ff_long} KiB)"
echo "peak RSS, decode+scale 22 s 1080p clip:     ours ${rss_short} KiB"
