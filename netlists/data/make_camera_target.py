#!/usr/bin/env python3
"""Make camera_64x64_target.csv: the 64x64 target map of netlists/tune_64x64.cir.

Source image: scikit-image's `camera.png` (skimage/data/camera.png in the
scikit-image 0.26.0 wheel, `pip download --no-deps scikit-image==0.26.0`),
512x512 8-bit grayscale, "No copyright restrictions. CC0 by the photographer
(Lav Varshney)" (skimage/data/_fetchers.py).

Derivation: average 8x8 pixel blocks to 64x64, then map gray level 0..255
linearly to 10..100 uS (the 64x64 paper's target range, read at 0.25 V).
Needs Pillow only to decode the PNG:  python3 make_camera_target.py camera.png
"""
import sys
from PIL import Image

GMIN, GMAX, N = 10e-6, 100e-6, 64

img = Image.open(sys.argv[1]).convert("L")
w, h = img.size
assert (w, h) == (512, 512), (w, h)
px = img.load()
b = w // N
with open("camera_64x64_target.csv", "w") as f:
    for i in range(N):
        row = []
        for j in range(N):
            s = sum(px[j * b + x, i * b + y] for y in range(b) for x in range(b))
            gray = s / (b * b)
            row.append("%.6e" % (GMIN + (GMAX - GMIN) * gray / 255.0))
        f.write(",".join(row) + "\n")
