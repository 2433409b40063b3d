"""The requirements matrix (docs/REQUIREMENTS.md) cannot go stale silently: every test it names
exists (pytest's own collection, over the files it names only), every requirement has a status
from the allowed set, and every "works" names at least one test.

The checker's own tests show it fails: a misspelled test id, a missing status, a "works" without
a test, a table of the wrong shape."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MATRIX = ROOT / "docs" / "REQUIREMENTS.md"
HEADER = ["Id", "Requirement", "Where", "Status", "Tests"]
# Longest first: "not yet" must not be read as some shorter status.
STATUSES = ("not applicable", "not yet", "partly", "works")
NODE_ID = re.compile(r"^tests/[\w/]+\.py::[\w]+(::[\w]+)?$")
TICKED = re.compile(r"`([^`]*)`")
# Every seed has its table, and so do the issues' own requirements.
SECTIONS = ("Seed 000", "Seed 001", "Seed 002", "Seed 003", "Seed 004", "Beyond the seeds")


@dataclass
class Row:
    line: int
    section: str
    id: str
    requirement: str
    where: str
    status: str  # one of STATUSES, or "" when the cell starts with none of them
    tests: list[str] = field(default_factory=list)
    stray: str = ""  # what the tests cell holds besides backticked ids


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def parse(text: str) -> tuple[list[Row], list[str]]:
    """The rows of every requirements table, and the problems of shape found on the way."""
    rows: list[Row] = []
    problems: list[str] = []
    section = ""
    in_table = False
    for n, line in enumerate(text.splitlines(), start=1):
        if line.startswith("## "):
            section, in_table = line[3:].strip(), False
            continue
        if not line.startswith("|"):
            in_table = False
            continue
        parts = cells(line)
        if not in_table:
            if parts != HEADER:
                problems.append(f"line {n}: a table whose header is not {' | '.join(HEADER)}")
            in_table = True
            continue
        if all(set(p) <= set("-: ") for p in parts):
            continue  # the separator
        if len(parts) != len(HEADER):
            problems.append(f"line {n}: {len(parts)} cells, not {len(HEADER)}")
            continue
        rid, requirement, where, status_cell, tests_cell = parts
        status = next((s for s in STATUSES if status_cell.lower().startswith(s)), "")
        tests = TICKED.findall(tests_cell)
        stray = TICKED.sub("", tests_cell).replace("<br>", "").replace(",", "").strip()
        rows.append(Row(n, section, rid, requirement, where, status, tests, stray))
    return rows, problems


def problems_of(rows: list[Row], collected: set[str]) -> list[str]:
    """Everything wrong with the rows, given the node ids pytest collects (parameters dropped)."""
    found: list[str] = []
    seen: dict[str, int] = {}
    for r in rows:
        where = f"line {r.line} ({r.id or 'no id'})"
        if not r.id:
            found.append(f"{where}: no requirement id")
        elif r.id in seen:
            found.append(f"{where}: the id is also on line {seen[r.id]}")
        else:
            seen[r.id] = r.line
        if not r.requirement:
            found.append(f"{where}: no requirement text")
        if not r.status:
            found.append(f"{where}: the status is none of {', '.join(STATUSES)}")
        if r.status == "works" and not r.tests:
            found.append(f"{where}: 'works' names no test")
        if r.stray:
            found.append(f"{where}: the tests cell holds more than test ids: {r.stray!r}")
        for t in r.tests:
            if not NODE_ID.match(t):
                found.append(f"{where}: {t!r} is not a pytest node id")
            elif t not in collected:
                found.append(f"{where}: {t} is not a test pytest collects")
    return found


def collect(node_ids: set[str]) -> set[str]:
    """The node ids pytest collects from the files the ids name (parameters dropped)."""
    files = sorted({n.split("::", 1)[0] for n in node_ids if NODE_ID.match(n)})
    files = [f for f in files if (ROOT / f).is_file()]
    if not files:
        return set()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    ids = {line.split("[", 1)[0] for line in done.stdout.splitlines() if "::" in line}
    assert ids or done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return ids


def check(text: str) -> list[str]:
    rows, problems = parse(text)
    named = {t for r in rows for t in r.tests}
    return problems + problems_of(rows, collect(named))


# The matrix itself.


def test_the_matrix_names_only_real_tests_and_every_requirement_has_a_status() -> None:
    text = MATRIX.read_text(encoding="utf-8")
    rows, _ = parse(text)
    assert len(rows) > 100, "the matrix lost its tables"
    for section in SECTIONS:
        assert any(r.section.startswith(section) for r in rows), f"no table for {section}"
    problems = check(text)
    assert not problems, "docs/REQUIREMENTS.md:\n" + "\n".join(problems)


# The checker can fail.

GOOD = "tests/test_requirements.py::test_the_checker_reports_a_misspelled_test_id"
TABLE = """## Seed 000 — x

| Id | Requirement | Where | Status | Tests |
|---|---|---|---|---|
{rows}
"""


def _problems(*rows: str, collected: frozenset[str] = frozenset({GOOD})) -> list[str]:
    parsed, shape = parse(TABLE.format(rows="\n".join(rows)))
    return shape + problems_of(parsed, set(collected))


def test_the_checker_passes_a_good_row() -> None:
    assert _problems(f"| 000 Q1 | A thing. | `web/x.py` | works — why | `{GOOD}` |") == []


def test_the_checker_reports_a_misspelled_test_id() -> None:
    bad = GOOD.replace("misspelled", "mispelled")
    found = _problems(f"| 000 Q1 | A thing. | `web/x.py` | works | `{GOOD}`<br>`{bad}` |")
    assert found == [f"line 5 (000 Q1): {bad} is not a test pytest collects"]


def test_the_checker_reports_a_missing_or_unknown_status_and_a_works_without_a_test() -> None:
    found = _problems(
        "| 000 Q1 | A thing. | x | | |",
        "| 000 Q2 | A thing. | x | done, more or less | |",
        "| 000 Q3 | A thing. | x | works — trust me | |",
        "| 000 Q4 | A thing. | x | not yet — later | |",
        "| 000 Q5 | A thing. | x | partly | tests/a.py::test_b |",
    )
    assert found == [
        "line 5 (000 Q1): the status is none of not applicable, not yet, partly, works",
        "line 6 (000 Q2): the status is none of not applicable, not yet, partly, works",
        "line 7 (000 Q3): 'works' names no test",
        "line 9 (000 Q5): the tests cell holds more than test ids: 'tests/a.py::test_b'",
    ]


def test_the_checker_reports_bad_shapes_and_repeated_ids() -> None:
    found = _problems(
        "| 000 Q1 | A thing. | x | works |",
        f"| 000 Q2 | A thing. | x | works | `{GOOD}` |",
        f"| 000 Q2 | Again. | x | works | `{GOOD}` |",
        "| 000 Q3 | A thing. | x | partly | `tests/a.py` |",
    )
    assert found == [
        "line 5: 4 cells, not 5",
        "line 7 (000 Q2): the id is also on line 6",
        "line 8 (000 Q3): 'tests/a.py' is not a pytest node id",
    ]


def test_a_misspelled_id_is_caught_by_pytests_own_collection() -> None:
    real = "tests/web/test_catalogs.py::test_polish_plural_forms_follow_the_number"
    typo = real.replace("plural", "plurals")
    text = TABLE.format(rows=f"| 000 Q1 | A thing. | x | works | `{real}`<br>`{typo}` |")
    assert check(text) == [f"line 5 (000 Q1): {typo} is not a test pytest collects"]
