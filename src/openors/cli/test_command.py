"""`openors test PATH...`: run strategy test files (docs/testing.md), print a line per test and,
for each failure, what was expected, what happened and the trace around it. Exit 0 when every
test passed, 1 when one failed, 2 when a test file is unusable."""

from __future__ import annotations

import os
import sys
from pathlib import Path

TEST_FILE_GLOBS = ("*.test.yaml", "*.test.yml")
MAX_TEST_FILES = 10_000


def find_test_files(paths: list[str]) -> tuple[list[Path], list[str]]:
    """Test files named or found in folders (`*.test.yaml`), and the paths that do not exist."""
    found: list[Path] = []
    missing: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for pattern in TEST_FILE_GLOBS:
                found += sorted(path.rglob(pattern))
        elif path.is_file():
            found.append(path)
        else:
            missing.append(p)
        if len(found) > MAX_TEST_FILES:
            break
    return found[:MAX_TEST_FILES], missing


def cmd_test(args) -> int:
    from openors.testing.coverage import Coverage
    from openors.testing.junit import failure_text, write_junit
    from openors.testing.runner import run_cases
    from openors.testing.spec import TestFileError, load_test_file

    files, missing = find_test_files(args.paths)
    for p in missing:
        print(f"error: {p}: no such file or folder", file=sys.stderr)
    cases = []
    unusable = bool(missing)
    for f in files:
        try:
            cases += load_test_file(f)
        except TestFileError as exc:
            print(f"error: {exc}", file=sys.stderr)
            unusable = True
    if args.filter:
        cases = [c for c in cases if args.filter in c.name]
    if not cases:
        print("no tests found" + ("" if files else f" in {' '.join(args.paths)} (test files end in .test.yaml)"),
              file=sys.stderr)
        return 2
    if args.no_strict:
        for c in cases:
            c.settings["strict"] = False

    def report(result) -> None:
        mark = "PASS" if result.passed else "FAIL"
        print(f"{mark}  {result.case.id}  ({result.seconds:.2f} s)", flush=True)
        if not result.passed:
            print("\n".join("      " + line for line in failure_text(result).splitlines()))
        if args.verbose:
            print("\n".join("      " + t for t in result.timelines))
        if args.kpis or args.verbose:
            print("\n".join("    " + line for line in result.kpi_text.splitlines()))
        elif result.kpi_text and result.error is None:
            print("    " + " ".join(result.kpi_text.splitlines()[1:3]).replace("  ", " ").strip())
        sys.stdout.flush()

    jobs = args.jobs if args.jobs is not None else min(4, os.cpu_count() or 1)
    results = run_cases(cases, jobs=jobs, with_coverage=args.coverage is not None, on_result=report)
    passed = sum(r.passed for r in results)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    if args.junit:
        write_junit(results, args.junit)
    if args.coverage:
        total = Coverage()
        for r in results:
            if r.coverage:
                total.merge(r.coverage)
        total.write(args.coverage)
        for name, t in total.totals().items():
            print(f"coverage {name}: states {t['states_entered']}/{t['states']}, "
                  f"transitions {t['transitions_taken']}/{t['transitions']}")
    if args.report:
        from openors.testing.report import write_report

        write_report(args.report, [(r.case.id, r.kpis, r.timelines) for r in results if r.kpis])
        print(f"report: {args.report}")
    return 1 if failed or unusable else 0


def add_parser(sub) -> None:
    import argparse

    p = sub.add_parser(
        "test", help="run strategy test files (*.test.yaml): expectations per interaction and overall",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run strategy tests: each test builds a simulated contact center, plays its scenario "
                    "in virtual time and checks its expectations. Strict by default: evaluation errors, "
                    "unhandled error events, failed scenario steps, documents that do not load and sessions "
                    "that end abnormally fail a test. Test files are described in docs/testing.md.",
        epilog="examples:\n"
               "  openors test tests/strategies/                  every *.test.yaml below the folder\n"
               "  openors test main.test.yaml --junit junit.xml   also write JUnit XML for CI\n"
               "  openors test . --coverage coverage/             states and transitions covered (HTML, JSON)\n"
               "  openors test main.test.yaml -k gold --verbose   tests whose name has 'gold', with timelines")
    p.add_argument("paths", nargs="+", help="test files, or folders searched for *.test.yaml")
    p.add_argument("--junit", metavar="FILE", help="write the results as JUnit XML")
    p.add_argument("--jobs", "-j", type=int, help="tests run in parallel (processes; default: up to 4)")
    p.add_argument("--coverage", metavar="DIR", help="write states entered and transitions taken (HTML, JSON)")
    p.add_argument("--report", metavar="FILE.html", help="write the KPI report with charts")
    p.add_argument("-k", dest="filter", metavar="TEXT", help="only the tests whose name contains TEXT")
    p.add_argument("--no-strict", action="store_true", help="judge the expectations only")
    p.add_argument("--kpis", action="store_true", help="print each test's full KPI table")
    p.add_argument("--verbose", "-v", action="store_true", help="print every interaction's timeline too")
    p.set_defaults(func=cmd_test)
