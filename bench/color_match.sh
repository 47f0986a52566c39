#!/usr/bin/env bash
# color-match benchmark: fit time, LUT application speed against FFmpeg's lut3d, and
# accuracy/fit time against the Python color-matcher package (installed with pip if missing).
#
# Generates 1080p content in a temporary directory (removed afterwards) and prints:
#   1. fit CPU time (sampling 30+30 decoded 1080p frames, statistics, 33³ LUT bake)
#   2. LUT application fps on 1080p RGBA frames: ours vs `ffmpeg -vf lut3d=interp=tetrahedral`
#      on the same raw RGBA frames (FFmpeg's filter time = run with lut3d minus run without)
#   3. per FFmpeg grade: mean ΔE2000 to the reference and fit time, our methods vs
#      color-matcher's (mkl, hm, reinhard, mvgd, hm-mvgd-hm, hm-mkl-hm) on the same pairs
#
# Usage: bench/color_match.sh
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
python3 -c "import color_matcher" 2>/dev/null || pip install --quiet color-matcher
cargo build --quiet --release -p color-match --example color_match_bench
BIN="${CARGO_TARGET_DIR:-target}/release/examples/color_match_bench"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

W=1920 H=1080
content="gradients=s=${W}x${H}:c0=0xb03020:c1=0x2050a0:c2=0xe8c870:c3=0x186030:c4=0xf0d8c0:c5=0x101018:c6=0x80a0d0:nb_colors=7:seed=3:speed=0.02:x0=0:y0=0:x1=${W}:y1=${H},format=rgb24[a];testsrc2=s=${W}x${H},format=rgb24[b];[a][b]blend=all_expr='A*0.8+B*0.2',noise=alls=5:allf=u,vignette=PI/5"
ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }
sws=(-sws_flags accurate_rnd+full_chroma_int+bitexact)

echo "generating 1080p frames and graded pairs..." >&2
ff -f lavfi -i "$content" -frames:v 30 -f rawvideo -pix_fmt rgba "$work/look.rgba"
ff -f rawvideo -pix_fmt rgba -s ${W}x${H} -i "$work/look.rgba" "${sws[@]}" \
    -vf "curves=r='0/0.04 0.5/0.58 1/0.96':g='0/0 0.5/0.46 1/1':b='0/0.08 0.5/0.5 1/0.9'" \
    -f rawvideo -pix_fmt rgba "$work/shot.rgba"
ff -f lavfi -i "$content" -frames:v 1 "$work/reference.png"
declare -A grades=(
    [eq]="format=yuv444p,eq=brightness=0.05:contrast=1.15:saturation=1.3:gamma=1.1,format=rgb24"
    [colorbalance]="colorbalance=gs=0.05:bs=0.1:rm=0.08:gm=0.02:bm=-0.06:rh=0.06:bh=-0.06"
    [colortemperature]="colortemperature=temperature=4200"
    [curves]="curves=r='0/0.04 0.5/0.58 1/0.96':g='0/0 0.5/0.46 1/1':b='0/0.08 0.5/0.5 1/0.9'"
)
names=(eq colorbalance colortemperature curves)
for g in "${names[@]}"; do
    ff -i "$work/reference.png" "${sws[@]}" -vf "${grades[$g]}" "$work/$g.png"
done

echo "running color-matcher..." >&2
python3 bench/color_match_peer.py "$work" "${names[@]}" > "$work/peer.txt"

echo "running ours..." >&2
"$BIN" "$work" "${names[@]}" > "$work/ours.txt"
sed -n 1p "$work/ours.txt"
ours_fps=$(awk '/^ours_apply_fps/ {print $2}' "$work/ours.txt")

now() { date +%s.%N; }
best_wall() {
    local best="" t0 t1 t
    for _ in $(seq "$RUNS"); do
        t0=$(now); "$@" >/dev/null 2>&1; t1=$(now)
        t=$(echo "$t1 - $t0" | bc -l)
        if [[ -z "$best" ]] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
    done
    echo "$best"
}
raw=(-f rawvideo -pix_fmt rgba -s ${W}x${H} -i "$work/shot.rgba")
t_with=$(best_wall ffmpeg -hide_banner -nostdin "${raw[@]}" -vf "lut3d=file=$work/look.cube:interp=tetrahedral" -f null -)
t_without=$(best_wall ffmpeg -hide_banner -nostdin "${raw[@]}" -vf "null" -f null -)
ff_fps=$(echo "30 / ($t_with - $t_without)" | bc -l)
ff_total_fps=$(echo "30 / $t_with" | bc -l)
printf "LUT apply, 1080p RGBA, 33³ tetrahedral, %s threads: ours %.1f fps; ffmpeg lut3d %.1f fps (filter only; %.1f fps for the whole ffmpeg run); ratio ours/ffmpeg %.2fx\n" \
    "$(nproc)" "$ours_fps" "$ff_fps" "$ff_total_fps" "$(echo "$ours_fps / $ff_fps" | bc -l)"
echo
tail -n +3 "$work/ours.txt"
