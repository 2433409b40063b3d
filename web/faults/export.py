"""The fault-report statistics as CSV and as an XLSX workbook (openpyxl), as the queue reports
in web/reports/export.py export theirs: a row per category and per department."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from web.faults.listing import STATS_HEADER, Line, stats_rows


def _cell(value: object) -> object:
    # Category and department names are typed by people: a leading = + - @ must stay text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def to_csv(stats: dict[str, list[Line]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(STATS_HEADER)
    writer.writerows([_cell(v) for v in r] for r in stats_rows(stats))
    return buffer.getvalue().encode("utf-8-sig")  # a BOM: Excel opens Polish letters right


def to_xlsx(stats: dict[str, list[Line]], period: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "statistics"
    sheet.append(["period", period])
    sheet.append(STATS_HEADER)
    for r in stats_rows(stats):
        sheet.append([None if v == "" else _cell(v) for v in r])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
