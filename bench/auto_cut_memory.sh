#!/usr/bin/env bash
# auto-cut memory against duration: peak resident memory of a full run (shots + dead air) on
# a 1-minute and a 10-minute clip of the same kind, and their ratio (target: within 10 %).
#
# Clips: 320x180 25 fps H.264 (testsrc2) with 48 kHz AAC sound (a tone on 2.5 s of every
# 4 s, so there is dead air to find), generated in a temporary directory. Each run is the
# auto_cut_run example (FfmpegSource + the plugin, as `cutroom run auto-cut` does), measured
# with /usr/bin/time (maximum resident set size), for dead_air=loudness and dead_air=vad.
#
# Usage: bench/auto_cut_memory.sh        KEEP=dir (keep the clips there)
set -euo pipefail

cd "$(dirname "$0")/.."
if [[ -z "${BIN:-}" ]]; then
    cargo build --quiet --release -p auto-cut --example auto_cut_run
    BIN="${CARGO_TARGET_DIR:-target}/release/examples/auto_cut_run"
fi
work=${KEEP:-$(mktemp -d)}
mkdir -p "$work"
[[ -n "${KEEP:-}" ]] || trap 'rm -rf "$work"' EXIT

for minutes in 1 10; do
    clip="$work/clip${minutes}m.mp4"
    [[ -s "$clip" ]] && continue
    echo "generating a ${minutes}-minute clip..." >&2
    s=$((minutes * 60))
    ffmpeg -v error -nostdin -y -f lavfi -i "testsrc2=s=320x180:r=25:d=$s" \
        -f lavfi -i "aevalsrc=0.3*sin(2*PI*220*t)*gt(mod(t\,4)\,1.5):s=48000:d=$s" \
        -c:v libx264 -preset ultrafast -g 50 -c:a aac -b:a 96k -shortest "$clip"
done

# peak_kib CLIP ARGS...: maximum resident set size of one run, in KiB
peak_kib() {
    local clip=$1
    shift
    /usr/bin/time -f "%M" -o "$work/time.txt" "$BIN" "$clip" "$@" >"$work/out.json"
    tail -n 1 "$work/time.txt"
}

echo "auto-cut peak resident memory (KiB); load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %10s %10s %8s\n' "" "1 min" "10 min" "ratio"
for mode in loudness vad; do
    one=$(peak_kib "$work/clip1m.mp4" "dead_air=$mode")
    ten=$(peak_kib "$work/clip10m.mp4" "dead_air=$mode")
    printf '%-34s %10d %10d %8.3f\n' "shots + dead_air=$mode" "$one" "$ten" \
        "$(echo "$ten / $one" | bc -l)"
done
echo "target: 10-minute peak within 10 % of the 1-minute peak (ratio <= 1.10)"
