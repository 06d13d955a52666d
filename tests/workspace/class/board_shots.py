#!/usr/bin/env python3
"""board_shots.py: the teacher's guide's screenshots of the class board
(`make class-shots`): a class server with a morning's worth of reports
from eight learners (sent with class_client, as a class's workspaces
would), the board in headless Chromium and Firefox, a picture per language
and browser: docs/LANG/img/class-board.png (Chromium) and
docs/LANG/img/class-board-firefox.png.

Usage: board_shots.py --server PATH --client PATH
Only the standard library is used.
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from classlib import BROWSERS, ROOT, STEPS, Browser, ClassServer, browser_ready, client  # noqa: E402

LESSON = "docs/en/steps/"
# The pictures, by browser (docs/LANG/img/).
PICTURES = {"chromium": "class-board.png", "firefox": "class-board-firefox.png"}
# (learner, [(step index, passed, failed, first failing test, section anchor, minutes ago)])
DAY = [
    ("ana-kim", [(0, 36, 0, "", "", 95), (1, 37, 0, "", "", 60), (2, 30, 10, "codegen/test_codegen_stub_files",
                                                                  "03-codegen.md#exercise-1-the-codegen-rule", 14),
                 (2, 31, 9, "codegen/test_codegen_stub_files", "03-codegen.md#exercise-1-the-codegen-rule", 0)]),
    ("ben-ito", [(0, 36, 0, "", "", 100), (1, 37, 0, "", "", 70), (2, 40, 0, "", "", 40),
                 (3, 60, 9, "chat/test_chat_broken_stream", "04-server.md#streams", 2)]),
    ("chen-li", [(0, 36, 0, "", "", 90), (1, 12, 25, "style/test_style_snake_case_fields",
                                          "02-schema.md#style", 31),
                 (1, 14, 23, "style/test_style_snake_case_fields", "02-schema.md#style", 0)]),
    ("dana-oh", [(0, 36, 0, "", "", 80), (1, 37, 0, "", "", 55), (2, 30, 10, "codegen/test_codegen_stub_files",
                                                                  "03-codegen.md#exercise-1-the-codegen-rule", 9),
                 (2, 30, 10, "codegen/test_codegen_stub_files", "03-codegen.md#exercise-1-the-codegen-rule", 1)]),
    ("eun-seo", [(0, 36, 0, "", "", 85), (1, 37, 0, "", "", 50), (2, 0, 0, "", "", 6)]),
    ("femi-ade", [(0, 36, 0, "", "", 75), (1, 37, 0, "", "", 45), (2, 40, 0, "", "", 20),
                  (3, 69, 0, "", "", 3)]),
    ("gil-moon", [(0, 20, 16, "capacity/test_capacity_rounds_up", "01-design.md#capacity", 25),
                  (0, 30, 6, "capacity/test_capacity_rounds_up", "01-design.md#capacity", 0)]),
    ("hana-yu", [(0, 36, 0, "", "", 70), (1, 37, 0, "", "", 40), (2, 28, 12, "codegen/test_codegen_stub_files",
                                                                  "03-codegen.md#exercise-1-the-codegen-rule", 4)]),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--client", required=True)
    a = ap.parse_args()
    for kind in BROWSERS:
        why = browser_ready(kind)
        if why:
            print(f"board_shots: {why}")
            return 1
    tmp = Path(tempfile.mkdtemp(prefix="class-shots-"))
    srv = ClassServer(a.server, tmp / "data", code="SHOTS1")
    try:
        now = int(time.time())
        n = 0
        for name, runs in DAY:
            for step, ok, bad, test, section, ago in runs:
                fields = [f"report_id=shot-{name}-{n}", f"learner={name}", f"step={STEPS[step]}", f"passed={ok}",
                          f"failed={bad}", f"first_failing={test}", f"section={LESSON + section if section else ''}",
                          f"at={now - 60 * ago}"]
                if ok == 0 and bad == 0:
                    fields += ["build_failed=1", "build_error=glue.c:41: error: unknown type name 'MyRequest'"]
                rc, out = client(a.client, "report", srv.addr, srv.code, *fields)
                if rc != 0:
                    print(f"board_shots: {out}")
                    return 1
                n += 1
        shots = tmp / "shots"
        shots.mkdir()
        browsers = [Browser(srv.http + "/", shots, kind) for kind in BROWSERS]  # they start at once
        try:
            for br in browsers:
                br.expect("ready", timeout=60)
                br.send(cmd="shot")
            for br in browsers:
                br.expect("shot", timeout=60)
        finally:
            for br in browsers:
                left = br.close()
                if left:
                    print(f"board_shots: {br.title} left {len(left)} processes behind; they were ended")
        for lang in ("en", "ko"):
            for kind, name in PICTURES.items():
                dest = ROOT / "docs" / lang / "img" / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(shots / f"board-{lang}-{kind}.png", dest)
                print(f"wrote {dest.relative_to(ROOT)}")
    finally:
        srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
