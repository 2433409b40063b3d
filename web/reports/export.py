"""The reports as CSV (one row per group) and as XLSX workbooks (openpyxl, a sheet per view).
Column headers are in the page's language (``gettext``), so a spreadsheet opened in a Polish
office reads in Polish."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence

from openpyxl import Workbook

from web.i18n import N_
from web.reports.stats import Summary

Gettext = Callable[[str], str]
HEADER = [
    N_("Dimension"),
    N_("Key"),
    N_("Tickets"),
    N_("Served"),
    N_("No-shows"),
    N_("No-show rate"),
    N_("Mean wait (min)"),
    N_("Median wait (min)"),
    N_("90% waited at most (min)"),
    N_("Mean service (min)"),
    N_("Median service (min)"),
    N_("90% served within (min)"),
]


def _min(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def row(dimension: str, key: str, s: Summary) -> list[object]:
    rate = s.no_show_rate
    return [
        dimension,
        key,
        s.tickets,
        s.served,
        s.no_shows,
        None if rate is None else round(rate, 3),
        _min(s.waiting.mean),
        _min(s.waiting.median),
        _min(s.waiting.p90),
        _min(s.service.mean),
        _min(s.service.median),
        _min(s.service.p90),
    ]


def rows(report: dict[str, object]) -> list[list[object]]:
    out = [row("all", "all", report["total"])]  # type: ignore[arg-type]
    for dimension in ("service", "counter", "clerk"):
        for key, summary in report[f"by_{dimension}"].items():  # type: ignore[attr-defined]
            out.append(row(dimension, key, summary))
    return out


def write_csv(header: Sequence[str], body: Sequence[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in r] for r in body)
    return buffer.getvalue().encode("utf-8-sig")  # a BOM: Excel opens Polish letters right


def write_xlsx(sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[object]]]]) -> bytes:
    """A workbook of (title, header, rows) sheets."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for title, header, body in sheets:
        sheet = book.create_sheet(title)
        sheet.append(list(header))
        for r in body:
            sheet.append(list(r))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_csv(report: dict[str, object], gettext: Gettext = str) -> bytes:
    return write_csv([gettext(h) for h in HEADER], rows(report))


def to_xlsx(report: dict[str, object], gettext: Gettext = str) -> bytes:
    out = report["reservations"]
    return write_xlsx(
        [
            ("summary", [gettext(h) for h in HEADER], rows(report)),
            (
                "per_hour",
                [gettext(N_("Hour")), gettext(N_("Tickets"))],
                list(report["per_hour"].items()),  # type: ignore[attr-defined]
            ),
            (
                "reservations",
                [gettext(N_("Kept")), gettext(N_("Missed")), gettext(N_("Cancelled visits"))],
                [[out.kept, out.missed, out.cancelled]],  # type: ignore[attr-defined]
            ),
        ]
    )
