"""The ground floor's workbook reader, on workbooks that belong to no app."""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest
from openpyxl import Workbook

from portal.imports.xlsx import (
    LedgerFileError,
    ReadLimitReached,
    bounded,
    inspect_workbook,
    looks_like_formula,
    normalise_header,
    open_sheet,
)

KNOWN = {"名称": "name", "数量": "amount"}
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
    sheet = open_sheet(path, "数据", KNOWN, "（名称……）")
    try:
        assert (sheet.header_row, sheet.header) == (1, ("名称", "数量", "日期", "是否"))
        assert sheet.columns == {"name": 0, "amount": 1}
        assert list(sheet.rows) == [(2, ("甲", 3, DAY, True)), (3, (None, 2.5, None, False))]
    finally:
        sheet.close()


def test_a_formula_is_read_as_text_never_evaluated(tmp_path):
    path = _workbook(tmp_path / "formula.xlsx", [["a"], ["=1+1"]])
    sheet = open_sheet(path, None, {"a": "a"}, "")
    try:
        assert list(sheet.rows) == [(2, ("=1+1",))]
    finally:
        sheet.close()


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


def test_a_sheet_without_any_header_names_the_expected_one(tmp_path):
    path = _workbook(tmp_path / "noheader.xlsx", [[None]] * 12 + [["x"]])
    with pytest.raises(LedgerFileError, match="第 1 行应为表头（名称……）"):
        open_sheet(path, None, KNOWN, "（名称……）")


def test_the_header_is_found_below_a_title_row(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["2026年第一季度交通运输执法领域突出问题清单"])
    sheet.merge_cells("A1:D1")
    sheet.append([None])
    sheet.append(["＊名称（必填）", "数 量"])
    sheet.append(["甲", 1])
    book.save(tmp_path / "titled.xlsx")
    opened = open_sheet(tmp_path / "titled.xlsx", None, KNOWN, "")
    try:
        assert opened.header_row == 3 and opened.columns == {"name": 0, "amount": 1}
        assert list(opened.rows) == [(4, ("甲", 1))]
    finally:
        opened.close()


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("区划 代码", "区划代码"),
        ("*问题标题", "问题标题"),
        ("＊问题标题＊", "问题标题"),
        ("整改期限（YYYY-MM-DD）", "整改期限"),
        ("问题标题【必填】", "问题标题"),
        ("ＡＢＣ　编号", "ABC编号"),
        ("问题标题 (必填) *", "问题标题"),
    ],
)
def test_headers_are_read_as_people_write_them(written, meant):
    assert normalise_header(written) == meant


@pytest.mark.parametrize(
    "text",
    ["=1+1", "\t=1+1", '\r=HYPERLINK("x")', " =A1", "+SUM(A1:A3)", "-A1*2", '@HYPERLINK("x")', "cmd|' /C calc'!A0"],
)
def test_every_formula_prefix_is_a_formula(text):
    assert looks_like_formula(text)


@pytest.mark.parametrize("text", ["-", "+86 138 0000 0000", "-1 的描述", "整改 = 完成", "@某某单位", "- 列表项"])
def test_plain_text_is_not_a_formula(text):
    assert not looks_like_formula(text)


def test_a_read_limit_counts_what_is_read_not_what_the_file_says():
    rows = iter([(n, ()) for n in range(1, 10)])
    assert len(list(bounded(iter([(1, ())] * 3), 3))) == 3
    with pytest.raises(ReadLimitReached):
        list(bounded(rows, 5))


def _zip_workbook(path, extra: dict[str, bytes], content_types: bytes = b"<Types/>"):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>")
        for name, data in extra.items():
            archive.writestr(name, data)
    return path


def test_a_macro_workbook_renamed_xlsx_is_refused(tmp_path):
    with pytest.raises(LedgerFileError, match="含有宏"):
        inspect_workbook(_zip_workbook(tmp_path / "m.xlsx", {"xl/vbaProject.bin": b"\0" * 10}))
    types = b'<Types><Override ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/></Types>'
    with pytest.raises(LedgerFileError, match="含有宏"):
        inspect_workbook(_zip_workbook(tmp_path / "t.xlsx", {}, types))


def test_an_encrypted_workbook_is_named_as_such(tmp_path):
    path = tmp_path / "secret.xlsx"
    directory = "EncryptionInfo".encode("utf-16-le") + b"\0" * 20 + "EncryptedPackage".encode("utf-16-le")
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + directory)
    with pytest.raises(LedgerFileError, match="打开密码"):
        inspect_workbook(path)
