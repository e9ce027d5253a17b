"""The ground floor's workbook reader, on workbooks that belong to no app."""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest
from openpyxl import Workbook

from portal.imports.xlsx import LedgerFileError, inspect_workbook, open_sheet

DAY = dt.datetime(2026, 3, 5)  # noqa: DTZ001 -- Excel cells hold naive dates


def _workbook(path, rows, title="数据"):
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_rows_come_back_typed_and_in_order(tmp_path):
    path = _workbook(
        tmp_path / "ok.xlsx",
        [["名称", "数量", "日期", "是否"], ["甲", 3, DAY, True], [None, 2.5, None, False]],
    )
    assert inspect_workbook(path) == 2
    header, rows, close = open_sheet(path, "数据", "（名称……）")
    try:
        assert header == ("名称", "数量", "日期", "是否")
        assert list(rows) == [(2, ("甲", 3, DAY, True)), (3, (None, 2.5, None, False))]
    finally:
        close()


def test_a_formula_is_read_as_text_never_evaluated(tmp_path):
    path = _workbook(tmp_path / "formula.xlsx", [["a"], ["=1+1"]])
    _header, rows, close = open_sheet(path, None, "")
    try:
        assert list(rows) == [(2, ("=1+1",))]
    finally:
        close()


def test_row_cap_is_the_callers(tmp_path):
    path = _workbook(tmp_path / "big.xlsx", [["a"], *[[n] for n in range(11)]])
    with pytest.raises(LedgerFileError, match="超过单次导入上限 10 行"):
        inspect_workbook(path, max_rows=10)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "Excel 97-2003"),
        (b"just text", "不是 Excel 工作簿"),
    ],
)
def test_files_that_are_not_workbooks_are_refused_with_what_to_do(tmp_path, content, message):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    with pytest.raises(LedgerFileError, match=message):
        inspect_workbook(path)


def test_a_zip_that_is_no_workbook_is_refused(tmp_path):
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(LedgerFileError, match="压缩包"):
        inspect_workbook(path)


def test_an_empty_first_row_names_the_expected_header(tmp_path):
    path = _workbook(tmp_path / "noheader.xlsx", [[None], ["x"]])
    with pytest.raises(LedgerFileError, match="第 1 行应为表头（名称……）"):
        open_sheet(path, None, "（名称……）")
