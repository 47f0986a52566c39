#!/usr/bin/env bash
# Preview benchmark (issue 7): plays a 1080p25 H.264 clip in the real Cutroom window under
# Xvfb, with an accepted 33³ LUT and subtitle cues, while a subtitles job runs in the
# background; prints display rate, dropped frames, decode-to-texture throughput and UI
# frame time p50/p99 against the targets (display >= 25 fps, UI p99 < 33 ms).
#
# Usage: bench/app.sh [SECONDS] [BACKGROUND_PLUGIN]   (defaults: 30, subtitles)
# Needs: ffmpeg, xvfb-run (xvfb + xauth). The subtitles plugin needs its model
# (scripts/setup.sh); without it the job fails at once and the figures are without load.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
plugin=${2:-subtitles}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -m 700 "$work/runtime"

cargo build -q --release -p cutroom-app --example app_bench
clip="$work/clip-1080p25.mp4"
speech=""
for s in "${CUTROOM_MODELS:-models}"/samples/jfk.wav; do [ -f "$s" ] && speech=$s; done
if [ -n "$speech" ]; then
    audio=(-stream_loop -1 -i "$speech")
else
    audio=(-f lavfi -i "sine=frequency=440:sample_rate=16000")
fi
ffmpeg -v error -y -f lavfi -i "testsrc2=size=1920x1080:rate=25:duration=$((secs + 5))" "${audio[@]}" \
    -map 0:v -map 1:a -shortest -c:v libx264 -preset veryfast -pix_fmt yuv420p -g 50 -c:a aac "$clip"

out=$(HOME="$work" XDG_RUNTIME_DIR="$work/runtime" \
    xvfb-run -a -s "-screen 0 1400x860x24" target/release/examples/app_bench "$clip" "$secs" "$plugin")
echo "$out"
python3 - "$out" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
ok_fps = r["display_fps"] >= 24.5
ok_p99 = r["ui_frame_ms_p99"] < 33
print(f"display rate        {r['display_fps']:.1f} fps (target >= 25)   {'PASS' if ok_fps else 'FAIL'}")
print(f"dropped frames      {r['dropped_frames']} over {r['seconds']:.0f} s")
pw, ph = r["picture_size"] or (0, 0)
print(f"decode-to-texture   {r['decode_to_texture_fps']:.0f} fps at {pw}x{ph} (decode + scale to the panel + LUT + convert, decode thread)")
print(f"UI frame time       p50 {r['ui_frame_ms_p50']:.1f} ms, p99 {r['ui_frame_ms_p99']:.1f} ms (app update; target p99 < 33)   {'PASS' if ok_p99 else 'FAIL'}")
print(f"whole frame (CPU)   p50 {r['frame_cpu_ms_p50']:.1f} ms, p99 {r['frame_cpu_ms_p99']:.1f} ms (update + tessellate + paint, eframe's cpu_usage)")
print(f"process CPU         {r['process_cpu_cores']:.2f} cores on average (decode, UI, GL in software, background job; Xvfb not included)")
print(f"background job      {r['background_plugin']}: {r['background_job']}")
PY
