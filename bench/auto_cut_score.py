#!/usr/bin/env python3
"""Scores shot boundaries against ground truth (see plugins/auto-cut/testdata/make_shots.py).

    auto_cut_score.py TRUTH.json FOUND.json [--label NAME]

FOUND.json: {"cuts": [frame, ...], "transitions": [[start, end_exclusive], ...]}.
Prints one JSON line: F1 over all boundaries (a found cut matches a true cut within +-1 frame
or lies within a true transition +-1 frame; a found transition matches a true one it overlaps
or a true cut it covers +-1), and separately for hard cuts and for transitions.
"""
import argparse
import json


def f1(tp, n_found, n_true):
    p = tp / n_found if n_found else 1.0
    r = tp / n_true if n_true else 1.0
    return 0.0 if p + r == 0 else 2 * p * r / (p + r), p, r


def matches(found, true):
    """found/true: ("cut", f) or ("span", s, e). Tolerance +-1 frame."""
    if found[0] == "cut" and true[0] == "cut":
        return abs(found[1] - true[1]) <= 1
    if found[0] == "cut":
        return true[1] - 1 <= found[1] <= true[2] + 1
    if true[0] == "cut":
        return found[1] - 1 <= true[1] <= found[2] + 1
    return found[1] < true[2] and true[1] < found[2]


def greedy(found, true):
    used = set()
    tp = 0
    for f in found:
        for j, t in enumerate(true):
            if j not in used and matches(f, t):
                used.add(j)
                tp += 1
                break
    return tp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("truth")
    ap.add_argument("found")
    ap.add_argument("--label", default="found")
    a = ap.parse_args()
    truth = json.load(open(a.truth))
    found = json.load(open(a.found))
    t_cuts = [("cut", c) for c in truth["cuts"]]
    t_spans = [("span", s, e) for s, e, *_ in truth["transitions"]]
    f_cuts = [("cut", c) for c in found.get("cuts", [])]
    f_spans = [("span", s, e) for s, e, *_ in found.get("transitions", [])]
    all_f1 = f1(greedy(f_cuts + f_spans, t_cuts + t_spans), len(f_cuts) + len(f_spans),
                len(t_cuts) + len(t_spans))
    cut_f1 = f1(greedy(f_cuts, t_cuts), len(f_cuts), len(t_cuts))
    span_f1 = f1(greedy(f_spans, t_spans), len(f_spans), len(t_spans))
    print(json.dumps({
        "label": a.label,
        "f1_all": round(all_f1[0], 4), "precision_all": round(all_f1[1], 4),
        "recall_all": round(all_f1[2], 4),
        "f1_cuts": round(cut_f1[0], 4), "f1_transitions": round(span_f1[0], 4),
        "found_cuts": len(f_cuts), "found_transitions": len(f_spans),
        "true_cuts": len(t_cuts), "true_transitions": len(t_spans),
    }))


if __name__ == "__main__":
    main()
