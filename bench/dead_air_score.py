#!/usr/bin/env python3
"""Cut points of auto-cut's dead-air removals against auto-editor's, for bench/dead_air.sh.

ours.json: the auto_cut_run example's output (removals as 16 kHz sample spans).
auto-editor.json: auto-editor's `--export json` timeline (kept chunks in ticks of its time base).
truth.json: bench/dead_air_make.py's speech spans (samples).

A cut point is an edge between kept and removed audio (the file's start and end are not cut
points). Both sets go to ticks of TB per second (ours rounded to the nearest tick) and are
matched one to one within one tick, and counted exactly equal. (auto-editor 22w52a's JSON
export starts every kept clip after the first one tick late — `clipify` in its make_layers.py
adds 1 to the offset — while its loud/silent decisions themselves fall on the same ticks as
ours, so "within one tick" is the meaningful figure.) Also prints, per tool, how many kept edges lie within
20 ms of the truth (speech edge moved out by the padding). Prints one JSON line.

Usage: dead_air_score.py ours.json auto-editor.json truth.json --tb 100 --pad-before 0.1
       --pad-after 0.2
"""

import argparse
import json
from fractions import Fraction

SR = 16_000


def edges(kept, end):
    """Cut points of kept spans [a, b) within [0, end)."""
    out = []
    for a, b in kept:
        if a > 0:
            out.append(a)
        if b < end:
            out.append(b)
    return sorted(out)


def complement(removed, end):
    kept, at = [], 0
    for a, b in sorted(removed):
        if a > at:
            kept.append((at, a))
        at = max(at, b)
    if at < end:
        kept.append((at, end))
    return kept


def merge(spans):
    out = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def matched(xs, ys, tol):
    used = [False] * len(ys)
    n = 0
    for x in xs:
        for j, y in enumerate(ys):
            if not used[j] and abs(x - y) <= tol:
                used[j] = True
                n += 1
                break
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ours")
    ap.add_argument("auto_editor")
    ap.add_argument("truth")
    ap.add_argument("--tb", type=int, default=100)
    ap.add_argument("--pad-before", type=float, default=0.1)
    ap.add_argument("--pad-after", type=float, default=0.2)
    a = ap.parse_args()
    tb = a.tb
    truth = json.load(open(a.truth))
    total = truth["samples"]
    end_ticks = int(Fraction(total * tb, SR))

    ours_kept = complement([tuple(r) for r in json.load(open(a.ours))["removals"]], total)
    ours = [round(Fraction(x * tb, SR)) for x in edges(ours_kept, total)]
    ours = [x for x in ours if 0 < x < end_ticks]

    tl = json.load(open(a.auto_editor))["timeline"]
    assert Fraction(tl["timebase"]) == tb, f"auto-editor time base {tl['timebase']}, not {tb}"
    chunks = [c for c in tl["a"][0] if c.get("speed", 1.0) == 1.0]
    ae_kept = merge((c["offset"], c["offset"] + c["dur"]) for c in chunks)
    ae = [x for x in edges(ae_kept, end_ticks) if 0 < x < end_ticks]

    pb, pa = int(a.pad_before * SR), int(a.pad_after * SR)
    want = merge((max(0, s - pb), min(total, e + pa)) for s, e in truth["speech"])
    want_ticks = [Fraction(x * tb, SR) for x in edges(want, total)]
    tol_truth = Fraction(tb * 20, 1000)  # 20 ms in ticks

    def near_truth(xs):
        return matched(xs, want_ticks, tol_truth)

    print(json.dumps({
        "time_base": tb,
        "ours": len(ours),
        "auto_editor": len(ae),
        "agree_within_one_tick": matched(ours, ae, 1),
        "agree_exactly": matched(ours, ae, 0),
        "truth_edges": len(want_ticks),
        "ours_within_20ms_of_truth": near_truth(ours),
        "auto_editor_within_20ms_of_truth": near_truth(ae),
    }))


if __name__ == "__main__":
    main()
