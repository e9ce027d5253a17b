"""What is already stored reaches every Office writer: .xlsx cells escape what XML cannot hold."""

import io

from openpyxl import Workbook, load_workbook

from portal.core.exports import safe_cell
from portal.core.text import office_text


def test_office_text_escapes_only_what_xml_cannot_hold():
    assert office_text("整改\t进展\n结束\r") == "整改\t进展\n结束\r"
    assert office_text("a\x01b\x0bc\ufffe") == "a\\u0001b\\u000bc\\ufffe"
    assert office_text(None) == "" and office_text(12) == "12"


def test_an_xlsx_cell_with_control_characters_is_written_and_read_back():
    workbook = Workbook()
    workbook.active.append([safe_cell("整改进展\x01\x0b\x1f\ufffe结束"), safe_cell("=\x02SUM(A1)")])
    buffer = io.BytesIO()
    workbook.save(buffer)
    row = next(load_workbook(io.BytesIO(buffer.getvalue())).active.iter_rows(values_only=True))
    assert row == ("整改进展\\u0001\\u000b\\u001f\\ufffe结束", "'=\\u0002SUM(A1)")
