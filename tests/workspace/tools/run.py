#!/usr/bin/env python3
"""Runs every tests/workspace/tools/test_*.py (each ends with "N passed, M failed")
and prints their total the same way: `make test-tools`.

  python3 tests/workspace/tools/run.py [NAME ...]    e.g. run.py step_build
"""

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUMMARY_RE = re.compile(r"^(\d+) passed, (\d+) failed$")


def main(names):
    files = sorted(HERE.glob("test_*.py"))
    if names:
        files = [f for f in files if any(n in f.stem for n in names)]
    passed = failed = 0
    for f in files:
        print(f"== {f.relative_to(HERE.parents[2])}", flush=True)
        proc = subprocess.run([sys.executable, str(f)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
        print(proc.stdout, end="", flush=True)
        lines = proc.stdout.strip().splitlines()
        m = SUMMARY_RE.match(lines[-1]) if lines else None
        if m and proc.returncode == (1 if int(m.group(2)) else 0):
            passed += int(m.group(1))
            failed += int(m.group(2))
        else:
            print(f"  ✗ {f.name} ended without its summary line (exit status {proc.returncode})")
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
