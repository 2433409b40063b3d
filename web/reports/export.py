"""The report as CSV (one row per group) and as an XLSX workbook (openpyxl, a sheet per view)."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from web.reports.stats import Summary

HEADER = [
    "dimension",
    "key",
    "tickets",
    "served",
    "no_shows",
    "no_show_rate",
    "waiting_mean_min",
    "waiting_median_min",
    "waiting_p90_min",
    "service_mean_min",
    "service_median_min",
    "service_p90_min",
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


def to_csv(report: dict[str, object]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(["" if v is None else v for v in r] for r in rows(report))
    return buffer.getvalue().encode("utf-8-sig")  # a BOM: Excel opens Polish letters right


def to_xlsx(report: dict[str, object]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "summary"
    sheet.append(HEADER)
    for r in rows(report):
        sheet.append(r)
    hours = book.create_sheet("per_hour")
    hours.append(["hour", "tickets"])
    for hour, count in report["per_hour"].items():  # type: ignore[attr-defined]
        hours.append([hour, count])
    out = report["reservations"]
    res = book.create_sheet("reservations")
    res.append(["kept", "missed", "cancelled"])
    res.append([out.kept, out.missed, out.cancelled])  # type: ignore[attr-defined]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
