#!/usr/bin/env bash
# GUI smoke test: starts the real Cutroom window under a virtual X server on a clip made
# with ffmpeg, runs the example-brightness plugin through the GUI's scripted-run hook
# (CUTROOM_SMOKE), accepts its proposal, takes a screenshot of the screen, and checks that
# the app exits cleanly with status 0.
#
# Needs: ffmpeg, Xvfb + xauth (xvfb-run), ImageMagick (import).
# Usage: scripts/gui-smoke.sh [SCREENSHOT.png]   (default: target/gui-smoke.png)
# CUTROOM_GUI="path/to/cutroom gui" overrides the command that opens the window.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shot=${1:-$root/target/gui-smoke.png}
mkdir -p "$(dirname "$shot")"

for tool in ffmpeg xvfb-run import; do
    command -v "$tool" >/dev/null || { echo "gui-smoke: $tool is missing (apt: ffmpeg xvfb xauth imagemagick)" >&2; exit 1; }
done

# The command that opens the window: `cutroom gui` when the CLI has it, else the crate's
# example binary.
if [ -z "${CUTROOM_GUI:-}" ]; then
    for b in target/release/cutroom target/debug/cutroom; do
        if [ -x "$b" ] && "$b" gui --help >/dev/null 2>&1; then
            CUTROOM_GUI="$root/$b gui"
            break
        fi
    done
fi
if [ -z "${CUTROOM_GUI:-}" ]; then
    cargo build -q -p cutroom-app --example cutroom_gui
    CUTROOM_GUI="$root/target/debug/examples/cutroom_gui"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -m 700 "$work/runtime"

# 4 s of test pattern with one second of white (frames 25..49) for the plugin to find.
ffmpeg -v error -y -f lavfi -i "testsrc2=size=640x360:rate=25:duration=4" \
    -vf "drawbox=color=white:t=fill:enable='between(t,1,1.99)'" \
    -c:v libx264 -pix_fmt yuv420p "$work/clip.mp4"

cat > "$work/run.sh" <<'INNER'
#!/usr/bin/env bash
set -uo pipefail
$CUTROOM_GUI "$CLIP" 2> "$LOG" &
pid=$!
for _ in $(seq 1 600); do
    grep -q "smoke: holding" "$LOG" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
sleep 0.7   # let the accepted edit be drawn
import -window root "$SHOT" || echo "gui-smoke: screenshot failed" >&2
wait "$pid"
INNER
chmod +x "$work/run.sh"

set +e
HOME="$work" XDG_RUNTIME_DIR="$work/runtime" CUTROOM_DATA_DIR="$work/data" \
CUTROOM_SMOKE="run:example-brightness:accept:hold=2" \
CUTROOM_GUI="$CUTROOM_GUI" CLIP="$work/clip.mp4" LOG="$work/app.log" SHOT="$shot" \
    timeout 300 xvfb-run -a -s "-screen 0 1400x860x24" "$work/run.sh"
status=$?
set -e
sed 's/^/  app: /' "$work/app.log" >&2 || true
if [ "$status" -ne 0 ]; then
    echo "gui-smoke: FAILED (exit status $status)" >&2
    exit 1
fi
grep -q "smoke: finished with 1 proposed item" "$work/app.log" || { echo "gui-smoke: FAILED: the plugin did not propose the white second" >&2; exit 1; }
grep -q "smoke: accepted" "$work/app.log" || { echo "gui-smoke: FAILED: the proposal was not accepted" >&2; exit 1; }
[ -s "$shot" ] || { echo "gui-smoke: FAILED: no screenshot" >&2; exit 1; }
echo "gui-smoke: ok (screenshot: $shot)"
