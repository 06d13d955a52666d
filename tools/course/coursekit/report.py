"""coursekit.report: the reports for a teacher: results.json and junit.xml
of `make report`, and the class table of `make class-report`."""

import json
import os
import time
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from .term import bold, dim, green


# Where `make report` tells a teacher how to collect and read the reports.
TEACHER_RESULTS = "docs/en/teacher-guide.md#collecting-results"


def learner_name():
    return os.environ.get("LEARNER") or os.environ.get("USER") or os.environ.get("LOGNAME") or "learner"


def report_summary(rows, who, generated=None):
    """results.json's content from gather()'s rows."""
    return {"learner": who, "generated": generated or time.strftime("%Y-%m-%dT%H:%M:%S"),
            "steps": [{"step": r["step"], "build": r["build"], "passed": r["passed"],
                       "total": r["total"], "done": r["ok"],
                       "problems": r.get("problems", []),
                       "tests": [dict(suite=s["name"], **t) for s in r["suites"] for t in s["tests"]]}
                      for r in rows]}


def first_line(text, default):
    return text.splitlines()[0] if text else default


def junit_xml(rows, who):
    """The same results as JUnit XML, one <testsuite> per step. It counts as
    results.json does: a skipped test (an optional tool is missing) is done
    for the learner, so it is <skipped/>, never a failure; a suite that could
    not run at all (not built, stopped before its first test) is an <error>."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<testsuites name={quoteattr("grpc-c course: " + who)}>']
    for r in rows:
        step = r["step"]
        if r["build"] != "ok":
            lines.append(f'  <testsuite name={quoteattr(step)} tests="1" failures="1" errors="0" skipped="0">')
            lines.append(f'    <testcase classname={quoteattr(step)} name="build">'
                         f'<failure message="does not compile">{escape(r.get("build_error") or "")}</failure>'
                         f'</testcase>')
            lines.append("  </testsuite>")
            continue
        tests = [(s["name"], t) for s in r["suites"] for t in s["tests"]]
        broken = [s for s in r["suites"] if s.get("problem")]
        fails = sum(t["status"] not in ("pass", "skip") for _, t in tests)
        skips = sum(t["status"] == "skip" for _, t in tests)
        lines.append(f'  <testsuite name={quoteattr(step)} tests="{len(tests) + len(broken)}" '
                     f'failures="{fails}" errors="{len(broken)}" skipped="{skips}">')
        for suite, t in tests:
            lines.append(f'    <testcase classname={quoteattr(step + "." + suite)} name={quoteattr(t["name"])}>')
            msg = t.get("message") or ""
            if t["status"] == "skip":
                lines.append(f'      <skipped message={quoteattr(first_line(msg, "skipped"))}/>')
            elif t["status"] != "pass":
                body = msg + (f"\nsee {t['see']}" if t.get("see") else "")
                lines.append(f'      <failure message={quoteattr(first_line(msg, "failed"))}>{escape(body)}</failure>')
            lines.append("    </testcase>")
        for s in broken:
            lines.append(f'    <testcase classname={quoteattr(step + "." + s["name"])} name={quoteattr(s["name"])}>'
                         f'<error message={quoteattr(first_line(s["problem"], "error"))}>{escape(s["problem"])}</error>'
                         f'</testcase>')
        lines.append("  </testsuite>")
    lines.append("</testsuites>")
    return "\n".join(lines) + "\n"


def write_report(rows, who, out):
    """Writes results.json and junit.xml into the folder out; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    json_file, xml_file = out / "results.json", out / "junit.xml"
    json_file.write_text(json.dumps(report_summary(rows, who), indent=2))
    xml_file.write_text(junit_xml(rows, who))
    return json_file, xml_file


def read_reports(folder):
    """The results.json files of `make report` found in folder (and the folders
    under it): returns (reports, skipped), each report with its file (relative
    to folder) in "_file"; skipped lists "FILE: why" for .json files that are
    not reports."""
    reports, skipped = [], []
    for f in sorted(Path(folder).rglob("*.json")):
        if not f.is_file():
            continue
        try:
            data = json.loads(f.read_text(encoding="utf-8", errors="replace"))
        except ValueError as e:
            skipped.append(f"{f}: not valid JSON ({e})")
            continue
        if not (isinstance(data, dict) and isinstance(data.get("steps"), list)
                and all(isinstance(s, dict) and "step" in s for s in data["steps"])):
            skipped.append(f"{f}: not a file of make report (no list of steps)")
            continue
        data["_file"] = f.relative_to(folder)
        reports.append(data)
    return reports, skipped


def stuck_at(report):
    """Where a learner is: the first step not done and what holds it up."""
    for s in report["steps"]:
        if s.get("done"):
            continue
        num = s["step"][:2]
        if s.get("build") != "ok":
            return f"{num}: does not compile"
        fails = [t for t in s.get("tests", []) if t.get("status") not in ("pass", "skip")]
        if fails:
            return f"{num}: {fails[0].get('name', '?')}"
        if s.get("problems"):
            return f"{num}: {first_line(s['problems'][0], 'a suite did not run')}"
        return f"{num}: no tests ran"
    return "all done"


def class_table(reports):
    """The lines of the class table: a row per report, a column per step."""
    steps = sorted({s["step"] for r in reports for s in r["steps"]})
    names = [str(r.get("learner") or "?") for r in reports]
    # Learners who ran `make report` without LEARNER= may share a login name:
    # tell their rows apart by the file each report came from.
    labels = [f"{n} ({r['_file']})" if names.count(n) > 1 else n for n, r in zip(names, reports)]
    rows = sorted(zip(labels, reports), key=lambda lr: (lr[0].lower(), str(lr[1]["_file"])))
    lw = max([len("learner")] + [len(l) for l in labels])
    cw = 8
    head = f"{'learner':<{lw}}" + "".join(f"{s[:2]:>{cw}}" for s in steps) + f"  {'last run':<16}  now at"
    out = [bold(head)]
    done_by = {s: 0 for s in steps}
    for label, r in rows:
        by_step = {s["step"]: s for s in r["steps"]}
        cells = ""
        for st in steps:
            s = by_step.get(st)
            if s is None:
                cell = "· "
            elif s.get("build") != "ok":
                cell = "— "
            else:
                cell = f"{s.get('passed', 0)}/{s.get('total', 0)}" + ("*" if s.get("done") else " ")
            if s is not None and s.get("done"):
                done_by[st] += 1
            cells += " " * (cw - len(cell)) + (green(cell) if s is not None and s.get("done") else cell)
        when = str(r.get("generated") or "?").replace("T", " ")[:16]
        where = stuck_at(r)
        out.append(f"{label:<{lw}}{cells}  {when:<16}  " + (green(where) if where == "all done" else where))
    out.append((f"{'done':<{lw}}" + "".join(f"{str(done_by[s]) + '/' + str(len(rows)):>{cw - 1}} "
                                            for s in steps)).rstrip())
    out.append(dim("N/M* = step done (tests passed / total); — = does not compile; · = not in that report"))
    return out
