#!/usr/bin/env python3
"""Rebuild the seed corpus in fuzz/corpus/ from the repository.

parse/ and elaborate/: netlists/*.cir, models/*, every .cir under tests/
(recursively), and the netlists written as string literals in tests/errors.rs
and tests/include_param.rs. csv/: small CSVs of the repository plus the
hand-written seeds in fuzz/csv_seeds/. Files over 200 KB are skipped.
Seed names are content hashes, so re-running is idempotent.
"""
import hashlib
import pathlib
import re

FUZZ = pathlib.Path(__file__).resolve().parent
ROOT = FUZZ.parent
MAX = 200 * 1024


def rust_strings(src: str):
    """Yield the value of every string literal ("..." and r#"..."#) in src."""
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
            continue
        if c == "'" :
            # char literal or lifetime: skip '\x', 'x', '"'
            m = re.match(r"'(\\.|[^\\'])'", src[i:])
            i += len(m.group(0)) if m else 1
            continue
        m = re.match(r'b?r(#*)"', src[i:])
        if m and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            close = '"' + m.group(1)
            start = i + len(m.group(0))
            end = src.find(close, start)
            yield src[start:end]
            i = end + len(close)
            continue
        if c == '"':
            i += 1
            out = []
            while i < n and src[i] != '"':
                if src[i] == "\\":
                    e = src[i + 1]
                    if e == "\n":  # line continuation: skip leading whitespace
                        i += 2
                        while i < n and src[i] in " \t\n\r":
                            i += 1
                        continue
                    simple = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'"}
                    if e in simple:
                        out.append(simple[e])
                        i += 2
                        continue
                    if e == "u":
                        j = src.index("}", i)
                        out.append(chr(int(src[i + 3 : j], 16)))
                        i = j + 1
                        continue
                    if e == "x":
                        out.append(chr(int(src[i + 2 : i + 4], 16)))
                        i += 4
                        continue
                out.append(src[i])
                i += 1
            i += 1
            yield "".join(out)
            continue
        i += 1


def put(dirname: str, data: bytes, seen: set):
    if len(data) > MAX or not data:
        return
    h = hashlib.sha1(data).hexdigest()
    if h in seen:
        return
    seen.add(h)
    d = FUZZ / "corpus" / dirname
    d.mkdir(parents=True, exist_ok=True)
    (d / h).write_bytes(data)


def main():
    nets = []
    nets += sorted((ROOT / "netlists").glob("*.cir"))
    nets += sorted(p for p in (ROOT / "models").iterdir() if p.is_file())
    nets += sorted((ROOT / "tests").rglob("*.cir"))
    literals = []
    for f in ("tests/errors.rs", "tests/include_param.rs"):
        for s in rust_strings((ROOT / f).read_text()):
            if "\n" in s:  # netlist texts; skips messages and names
                literals.append(s.encode())
    for target in ("parse", "elaborate"):
        seen = set()
        for p in nets:
            put(target, p.read_bytes(), seen)
        for s in literals:
            put(target, s, seen)
        print(f"{target}: {len(seen)} seeds ({len(nets)} files, {len(literals)} literals)")
    seen = set()
    csvs = [p for p in ROOT.rglob("*.csv")
            if "target" not in p.relative_to(ROOT).parts[:2] and "fuzz" not in p.relative_to(ROOT).parts[:1]
            and p.stat().st_size < 50 * 1024]
    csvs += sorted((FUZZ / "csv_seeds").glob("*"))
    for p in sorted(csvs):
        put("csv", p.read_bytes(), seen)
    print(f"csv: {len(seen)} seeds")


if __name__ == "__main__":
    main()
