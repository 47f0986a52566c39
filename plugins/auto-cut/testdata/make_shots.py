#!/usr/bin/env python3
"""Generates a video clip with known shot boundaries, for auto-cut's tests and benchmark.

    make_shots.py edit OUT.mp4 TRUTH.json [--size WxH] [--seconds S] [--seed N]
    make_shots.py flashpan OUT.mp4 TRUTH.json [--size WxH]

`edit`: shots of textured, moving ffmpeg sources (mandelbrot, testsrc2, cellauto, life,
zoompan over a rendered image, moving gradients), with grain, joined by hard cuts and by
xfade transitions (fade, dissolve, fadeblack, fadewhite) at known frames.
`flashpan`: one continuous shot with camera-flash frames (1-3 frames) and fast pans; it has
no boundary at all.

TRUTH.json: {"fps": 25, "frames": N, "cuts": [frame, ...],
             "transitions": [[start, end_exclusive, "fade"], ...]}
where a cut's frame is the first frame of the new shot. Sources are rendered at a small size
and scaled to --size, so that 1080p clips generate quickly.
"""
import argparse
import json
import random
import subprocess
import sys

FPS = 25


def source(kind, w, h, n, rng):
    """A lavfi graph (no inputs) producing n frames of one shot at w x h."""
    sw, sh = min(w, 480), min(h, 270)
    seed = rng.randrange(1, 1 << 30)
    if kind == "mandelbrot":
        x = rng.choice([-0.743643887037151, -0.16070135, -1.25066, 0.001643721971153])
        y = rng.choice([0.131825904205330, 1.0375665, 0.02012, -0.822467633298876])
        scale = rng.choice([0.5, 1.0, 2.0])
        g = (f"mandelbrot=s={sw}x{sh}:rate={FPS}:start_x={x}:start_y={y}"
             f":start_scale={scale}:end_scale=0.01:end_pts=400:maxiter=256,"
             f"hue=h={rng.randrange(0, 360)}")
    elif kind == "testsrc2":
        g = f"testsrc2=s={sw}x{sh}:r={FPS},hue=h={rng.randrange(0, 360)}:s={rng.uniform(0.6, 1.6):.2f}"
    elif kind == "cellauto":
        rule = rng.choice([18, 30, 90, 110, 150])
        c = rng.choice(["0.9:0.3:0.1", "0.2:0.6:0.9", "0.3:0.9:0.4", "0.9:0.8:0.2"])
        g = (f"cellauto=s={sw}x{sh}:rate={FPS}:rule={rule}:random_fill_ratio=0.5:seed={seed}:start_full=1,"
             f"format=rgb24,colorchannelmixer=rr={c.split(':')[0]}:gg={c.split(':')[1]}"
             f":bb={c.split(':')[2]},gblur=sigma=1.5")
    elif kind == "life":
        lc = rng.choice(["#ffcc33", "#33ddff", "#ff5577", "#88ff44"])
        dc = rng.choice(["#102040", "#402010", "#203020", "#301030"])
        g = (f"life=s={sw}x{sh}:rate={FPS}:mold=10:ratio=0.3:seed={seed}"
             f":life_color={lc}:death_color={dc}:mold_color=#606060,gblur=sigma=1,"
             # Skip the first generations, where the random fill collapses frame by frame.
             f"trim=start_frame=40,setpts=PTS-STARTPTS")
    elif kind == "zoompan":
        still = (f"mandelbrot=s={2 * sw}x{2 * sh}:start_scale={rng.choice([0.3, 1.2, 3.0])}"
                 f":maxiter=128,hue=h={rng.randrange(0, 360)},trim=end_frame=1")
        zoom = rng.uniform(0.002, 0.006)
        g = (f"{still},zoompan=z='min(zoom+{zoom:.4f},2.5)':d={n}"
             f":x='iw/2-(iw/zoom/2)+on*{rng.uniform(-1, 1):.2f}':y='ih/2-(ih/zoom/2)'"
             f":s={sw}x{sh}:fps={FPS}")
    elif kind == "gradients":
        cols = rng.sample(["red", "orange", "yellow", "green", "cyan", "blue", "purple",
                           "white", "navy", "maroon"], 3)
        g = (f"gradients=s={sw}x{sh}:r={FPS}:c0={cols[0]}:c1={cols[1]}:c2={cols[2]}"
             f":nb_colors=3:speed=0.03:seed={seed}")
    else:
        raise ValueError(kind)
    return (f"{g},trim=end_frame={n},settb=1/{FPS},setpts=N,format=yuv420p,"
            f"scale={w}:{h}:flags=bicubic,noise=alls=6:allf=t,setsar=1")


KINDS = ["mandelbrot", "testsrc2", "cellauto", "life", "zoompan", "gradients"]
TRANSITIONS = ["fade", "dissolve", "fadeblack", "fadewhite"]


def edit(args, rng):
    w, h = args.size
    total = args.seconds * FPS
    shots = []  # (kind, frames)
    joins = []  # "cut" or (transition, frames)
    length = 0
    previous = None
    while length < total:
        kind = rng.choice([k for k in KINDS if k != previous])
        previous = kind
        n = rng.randrange(40, 110)
        if shots:
            if rng.random() < 0.3:
                d = rng.choice([8, 12, 15, 20, 25])
                joins.append((rng.choice(TRANSITIONS), d))
                n = max(n, d + 30)
            else:
                joins.append("cut")
        shots.append((kind, n))
        length += n
    parts = []
    for i, (kind, n) in enumerate(shots):
        parts.append(f"{source(kind, w, h, n, rng)}[s{i}]")
    cuts, transitions = [], []
    cur, cur_len = "s0", shots[0][1]
    for i, join in enumerate(joins, start=1):
        n = shots[i][1]
        out = f"j{i}"
        if join == "cut":
            parts.append(f"[{cur}][s{i}]concat=n=2:v=1:a=0,settb=1/{FPS},setpts=N[{out}]")
            cuts.append(cur_len)
            cur_len += n
        else:
            name, d = join
            offset = cur_len - d
            parts.append(f"[{cur}][s{i}]xfade=transition={name}:duration={d / FPS:.6f}"
                         f":offset={offset / FPS:.6f},settb=1/{FPS},setpts=N[{out}]")
            transitions.append([offset, offset + d, name])
            cur_len += n - d
        cur = out
    graph = ";".join(parts)
    encode(args, graph, cur, cur_len)
    return {"fps": FPS, "frames": cur_len, "cuts": cuts, "transitions": transitions}


def flashpan(args, rng):
    w, h = args.size
    n = 300
    sw, sh = min(w, 480), min(h, 270)
    # A wide still (a rendered scene) that the camera pans over: a fast pan right over 20
    # frames, then whip pans back and forth (a quarter of the width per frame).
    f, g = sw * 0.1, sw * 0.25
    x = (f"if(lt(n,40),0,if(lt(n,60),(n-40)*{f:.1f},if(lt(n,120),{20 * f:.1f},"
         f"if(lt(n,128),{20 * f:.1f}-(n-120)*{g:.1f},if(lt(n,200),0,"
         f"if(lt(n,208),(n-200)*{g:.1f},{8 * g:.1f}))))))")
    base = (f"mandelbrot=s={3 * sw}x{sh}:start_x=-0.7453:start_y=0.1127:start_scale=0.006"
            f":maxiter=500,hue=h=200,trim=end_frame=1,loop=loop={n}:size=1:start=0,"
            f"settb=1/{FPS},setpts=N,crop={sw}:{sh}:x='clip({x},0,{2 * sw})':y=0")
    flashes = [(70, 1), (90, 2), (150, 3), (180, 1), (230, 2), (260, 1)]
    boxes = ",".join(
        f"drawbox=x=0:y=0:w=iw:h=ih:t=fill:color=white@{0.9 if k % 2 else 0.7}"
        f":enable='between(n,{s},{s + d - 1})'" for k, (s, d) in enumerate(flashes))
    graph = (f"{base},{boxes},format=yuv420p,scale={w}:{h}:flags=bicubic,"
             f"noise=alls=6:allf=t,setsar=1[out]")
    encode(args, graph, "out", n)
    return {"fps": FPS, "frames": n, "cuts": [], "transitions": [], "flashes": flashes}


def encode(args, graph, label, frames):
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
           "-filter_complex", graph, "-map", f"[{label}]", "-frames:v", str(frames),
           "-r", str(FPS), "-c:v", "libx264", "-preset", args.preset, "-crf", "23",
           "-pix_fmt", "yuv420p", args.out]
    subprocess.run(cmd, check=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("mode", choices=["edit", "flashpan"])
    p.add_argument("out")
    p.add_argument("truth")
    p.add_argument("--size", default="320x180",
                   type=lambda s: tuple(int(v) for v in s.split("x")))
    p.add_argument("--seconds", type=int, default=40)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--preset", default="veryfast")
    args = p.parse_args()
    rng = random.Random(args.seed)
    truth = edit(args, rng) if args.mode == "edit" else flashpan(args, rng)
    with open(args.truth, "w") as f:
        json.dump(truth, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
