#!/usr/bin/env python3
"""Group libFuzzer artifacts by signature (panic location + message head,
stack overflow, ASan/OOM/timeout) by re-running each one.

usage: triage.py BINARY ARTIFACT_DIR [--show]
Prints one line per signature: count, smallest artifact, signature.
"""
import collections
import os
import re
import subprocess
import sys

binary, adir = sys.argv[1], sys.argv[2]
show = "--show" in sys.argv
groups = collections.defaultdict(list)
for name in sorted(os.listdir(adir)):
    p = os.path.join(adir, name)
    if not os.path.isfile(p):
        continue
    r = subprocess.run([binary, "-rss_limit_mb=2048", "-timeout=10", p],
                       capture_output=True, text=True, errors="replace", timeout=120)
    err = r.stderr
    m = re.search(r"panicked at (\S+):\n(.*)", err)
    if m:
        msg = re.sub(r"\d+", "N", m.group(2))[:90]
        sig = f"panic {m.group(1)} {msg}"
    elif "overflowed its stack" in err or "stack-overflow" in err:
        sig = "stack overflow"
    elif "out-of-memory" in err or "malloc limit" in err:
        sig = "oom"
    elif "ERROR: libFuzzer: timeout" in err:
        sig = "timeout"
    elif "ERROR: AddressSanitizer" in err:
        m = re.search(r"ERROR: AddressSanitizer: (\S+)", err)
        sig = f"asan {m.group(1)}"
    elif r.returncode == 0:
        sig = "no longer reproduces"
    else:
        sig = f"other rc={r.returncode}"
    groups[sig].append((os.path.getsize(p), p, err))
for sig, items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
    items.sort()
    print(f"{len(items):5d}  {items[0][1]} ({items[0][0]} B)  {sig}")
    if show:
        print("\n".join(items[0][2].splitlines()[:40]))
