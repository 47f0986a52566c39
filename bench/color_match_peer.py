#!/usr/bin/env python3
"""Runs the color-matcher package's methods on image pairs for bench/color_match.sh.

Usage: color_match_peer.py DIR NAME...   (reads DIR/reference.png and DIR/NAME.png)
Writes DIR/cm_NAME_METHOD.png and prints "NAME METHOD SECONDS" per run (transfer time only,
best of 2 runs, images already loaded as float arrays in 0..1).
"""
import sys
import time

import numpy as np
from PIL import Image
from color_matcher import ColorMatcher

METHODS = ["mkl", "hm", "reinhard", "mvgd", "hm-mvgd-hm", "hm-mkl-hm"]


def load(path):
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255.0


def main():
    work = sys.argv[1]
    ref = load(f"{work}/reference.png")
    for name in sys.argv[2:]:
        src = load(f"{work}/{name}.png")
        for method in METHODS:
            best, out = None, None
            for _ in range(2):
                t0 = time.perf_counter()
                out = ColorMatcher().transfer(src=src.copy(), ref=ref, method=method)
                t = time.perf_counter() - t0
                best = t if best is None else min(best, t)
            img = np.clip(np.round(out * 255.0), 0, 255).astype(np.uint8)
            Image.fromarray(img).save(f"{work}/cm_{name}_{method}.png")
            print(name, method, f"{best:.4f}", flush=True)


if __name__ == "__main__":
    main()
