"""tally.py: the check-and-count that the tests/workspace/tools/test_*.py scripts share.

    from tally import check, summary
    check(got == want, "what is being checked", detail_shown_on_failure)
    ...
    sys.exit(summary())   # prints "N passed, M failed"; 1 when any failed

tests/workspace/tools/run.py adds up the summary lines of every script.
"""

passed = failed = 0


def check(ok, label, detail=""):
    """Counts one check and prints it; on failure, up to 30 lines of detail."""
    global passed, failed
    if ok:
        passed += 1
        print(f"  ✓ {label}")
    else:
        failed += 1
        print(f"  ✗ {label}")
        for ln in str(detail).strip().splitlines()[:30]:
            print(f"      {ln}")
    return ok


def summary():
    """Prints the closing "N passed, M failed" line; the exit status."""
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1
