"""JUnit XML of `openors test --junit FILE`, the format CI servers read: one <testsuite> per test
file, one <testcase> per test, a <failure> with the expected/actual diff."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from xml.etree import ElementTree as ET

from .runner import CaseResult


def failure_text(result: CaseResult) -> str:
    if result.error is not None:
        return f"the test could not run: {result.error}"
    lines = []
    for failure, excerpt in zip(result.failures, result.excerpts):
        lines += [failure.what, f"  expected: {failure.expected}", f"  actual:   {failure.actual}"]
        lines += [f"  {note}" for note in failure.notes]
        if excerpt:
            lines.append("  trace:")
            lines += [f"    {line}" for line in excerpt]
    return "\n".join(lines)


def write_junit(results: list[CaseResult], path: str | Path) -> None:
    by_file: dict[str, list[CaseResult]] = defaultdict(list)
    for r in results:
        by_file[r.case.file].append(r)
    root = ET.Element("testsuites", name="openors test", tests=str(len(results)),
                      failures=str(sum(1 for r in results if not r.passed and r.error is None)),
                      errors=str(sum(1 for r in results if r.error is not None)),
                      time=f"{sum(r.seconds for r in results):.3f}")
    for file, items in by_file.items():
        suite = ET.SubElement(root, "testsuite", name=file, tests=str(len(items)),
                              failures=str(sum(1 for r in items if not r.passed and r.error is None)),
                              errors=str(sum(1 for r in items if r.error is not None)),
                              time=f"{sum(r.seconds for r in items):.3f}")
        for r in items:
            case = ET.SubElement(suite, "testcase", classname=Path(file).stem, name=r.case.name,
                                 file=file, time=f"{r.seconds:.3f}")
            if r.error is not None:
                ET.SubElement(case, "error", message=r.error[:200]).text = failure_text(r)
            elif not r.passed:
                first = r.failures[0]
                ET.SubElement(case, "failure", message=f"{first.what}: expected {first.expected}, "
                              f"got {first.actual}"[:500]).text = failure_text(r)
            ET.SubElement(case, "system-out").text = "\n".join(r.timelines + ["", r.kpi_text])
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
