"""Reading a CSV (`imports.files`): the encodings told apart and never guessed, the reasons a file is refused said
in the importer's words with the line where it went wrong, and cells holding control characters named one by one.
No database: the file alone decides."""

from __future__ import annotations

import pytest
from django.utils import translation

from imports import files
from imports.files import FileRefused, open_source

from .conftest import csv_bytes

HEADER = ["code", "name", "region"]
NONE_OF_THEM = "The file's text is in none of the accepted encodings"


def read(tmp_path, content: bytes, name: str = "file.csv") -> tuple[str, list[tuple[int, list]]]:
    path = tmp_path / name
    path.write_bytes(content)
    with translation.override("en"):
        source = open_source(path)
        return source.encoding, list(source.rows)


def refusal(tmp_path, content: bytes, name: str = "file.csv") -> FileRefused:
    with pytest.raises(FileRefused) as refused:
        read(tmp_path, content, name)
    return refused.value


# -- encodings ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "encoding", "line", "char"),
    [
        ("臺灣銀行股份有限公司", "big5", 2, "U+E030"),
        ("鴻海精密工業", "big5", 2, "U+E1D3"),
        # Korean company names write 株式會社 in Hanja, which EUC-KR puts where GB18030 has its user-defined area.
        ("株式會社", "euc_kr", 2, "U+E3F0"),
        ("ﾁｪｯｸ", "shift_jis", 2, "U+E1ED"),  # half-width katakana
    ],
)
def test_a_file_in_another_legacy_encoding_is_refused_naming_the_line(tmp_path, name, encoding, line, char):
    content = csv_bytes([HEADER, ["G1", name, "510104"]], encoding)
    refused = refusal(tmp_path, content)
    message = str(refused)
    assert message.startswith(NONE_OF_THEM), message
    assert f"read as GB18030, line {line} holds {char}, a character no text holds" in message, message
    assert refused.errors == [files.FileError(line, "", "", message)]


def test_big5_in_the_header_is_refused_at_line_1(tmp_path):
    content = csv_bytes([["客戶編碼", "客戶名稱", "區域"], ["G1", "臺灣", "510104"]], "big5")
    assert refusal(tmp_path, content).errors[0].line == 1


def test_a_file_mixing_utf8_and_gb18030_rows_is_refused_naming_both_lines(tmp_path):
    content = csv_bytes([HEADER, ["G1", "中文", "510104"]]) + csv_bytes([["G2", "中文", "510104"]], "gb18030")
    refused = refusal(tmp_path, content)
    assert "as UTF-8, line 3 cannot be read; read as GB18030, line 2 holds U+E15F" in str(refused), str(refused)
    assert refused.errors[0].line == 2


def test_a_file_valid_in_no_encoding_names_the_line_of_each_reading(tmp_path):
    content = csv_bytes([HEADER, ["G1", "a", "510104"], ["G2", "b", "510104"]]) + b"G3,\xff\xfe,510104\r\n"
    refused = refusal(tmp_path, content)
    assert "as UTF-8, line 4 cannot be read; as GB18030, line 4." in str(refused), str(refused)
    assert refused.errors[0].line == 4


def test_a_file_marked_utf8_that_is_not_names_the_line(tmp_path):
    content = b"\xef\xbb\xbf" + csv_bytes([HEADER, ["G1", "a", "510104"]]) + csv_bytes([["G2", "中", "1"]], "gb18030")
    refused = refusal(tmp_path, content)
    assert "starts with the mark of UTF-8 (BOM), but line 3 is not UTF-8" in str(refused), str(refused)
    assert refused.errors[0].line == 3


RARE_BUT_VALID = [
    "𠀀记",  # U+20000, CJK Extension B: four bytes in GB18030
    "鿰达",  # U+9FF0, four bytes
    "阿依古丽·买买提",  # the middle dot of minority names
    "＃３号楼，（东区）【新】、“甲”；乙：丙！丁？《戊》……——",  # full-width punctuation
    "喆堃镕珺",  # rare characters of names, GBK's extension
    "ئۇيغۇر شىركىتى",  # Uyghur: four bytes each
    "€100　整",  # the euro sign and an ideographic space
]


@pytest.mark.parametrize("name", RARE_BUT_VALID)
def test_gb18030_with_rare_but_valid_characters_is_read(tmp_path, name):
    encoding, rows = read(tmp_path, csv_bytes([HEADER, ["G1", name, "510104"]], "gb18030"))
    assert (encoding, rows) == ("gb18030", [(1, HEADER), (2, ["G1", name, "510104"])])


def test_gb18030_with_its_own_byte_order_mark_is_read(tmp_path):
    encoding, rows = read(tmp_path, "\ufeff".encode("gb18030") + csv_bytes([HEADER, ["G1", "名", "510104"]], "gb18030"))
    assert encoding == "gb18030" and rows[1] == (2, ["G1", "名", "510104"])


def test_a_private_use_character_past_the_first_block_is_found(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "READ_BLOCK", 64)
    rows = [HEADER, *[["G1", "正常的名称", "510104"]] * 20]
    content = csv_bytes(rows, "gb18030") + b"G9,\xaa\xa1,510104\r\n"  # GB18030's user-defined area: U+E000
    refused = refusal(tmp_path, content)
    assert "line 22 holds U+E000" in str(refused), str(refused)


# -- the csv module's errors, in the importer's words -----------------------------------------------------------------


def test_a_cell_longer_than_the_limit_says_the_limit_in_characters(tmp_path):
    content = b'code,name,region\r\nG1,"' + b"x" * (files.CSV_FIELD_LIMIT + 10) + b'",510104\r\n'
    refused = refusal(tmp_path, content)
    assert str(refused) == (
        f"The row on line 2 has a cell longer than {files.CSV_FIELD_LIMIT} characters, which no column holds (a "
        'quote (") left open runs a cell on to the next quote).'
    )
    assert refused.errors[0].line == 2
    assert "field limit" not in str(refused)


def test_an_unclosed_quote_names_the_line_it_opens_on(tmp_path):
    content = b'code,name,region\r\nG1,a,510104\r\nG2,"unclosed,510104\r\nG3,c,510104\r\n'
    refused = refusal(tmp_path, content)
    assert str(refused) == (
        'A quote (") opened in the row on line 3 is never closed: the rest of the file would be one cell. Close it; '
        'a quote inside a cell is written twice ("").'
    )
    assert refused.errors[0].line == 3


def test_text_after_a_closing_quote_is_said_so(tmp_path):
    refused = refusal(tmp_path, b'code,name,region\r\nG1,"a"b,510104\r\n')
    assert str(refused).startswith("Line 2 has a quoted cell that goes on after its closing quote")
    assert refused.errors[0].line == 2


def test_another_csv_error_is_said_without_the_modules_words(tmp_path, monkeypatch):
    import csv

    class Broken:
        line_num = 5

        def __iter__(self):
            return self

        def __next__(self):
            raise csv.Error("something new in a later Python")

    monkeypatch.setattr(files.csv, "reader", lambda *args, **kwargs: Broken())
    refused = refusal(tmp_path, b"code,name,region\r\n")
    assert (str(refused), refused.errors[0].line) == ("Line 5 cannot be read as CSV.", 5)


def test_a_nul_byte_is_refused_with_its_line_as_an_error(tmp_path):
    refused = refusal(tmp_path, b"code,name,region\r\nG1,a,1\r\nG2,a\x00b,510104\r\n")
    assert refused.errors[0].line == 3


def test_a_whole_file_refusal_is_an_error_of_no_line(tmp_path):
    refused = refusal(tmp_path, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", name="old.xls")
    assert refused.errors == [files.FileError(files.WHOLE_FILE, "", "", str(refused))]


# -- control characters -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "char"),
    [
        ("a\x1b[31mred\x1b[0m", "U+001B"),  # a terminal's colours
        ("ring\x07", "U+0007"),
        ("\u202egnp.exe", "U+202E"),  # right-to-left override: shows as exe.png
        ("a\u2066b\u2069", "U+2066"),
        ("next\x85line", "U+0085"),  # C1
        ("del\x7f", "U+007F"),
        ("form\x0cfeed", "U+000C"),
    ],
)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_a_cell_holding_a_control_character_is_named(tmp_path, cell, char, encoding):
    content = csv_bytes([["客户编码", "客户名称", "区域"], ["G1", "甲", "510104"], ["G2", cell, "510104"]], encoding)
    refused = refusal(tmp_path, content)
    assert str(refused).startswith("Cells of the file hold control characters or text-direction marks")
    assert "(the first on line 3, column 客户名称)" in str(refused), str(refused)
    message = (
        f"The cell holds {char}, a control character or a text-direction mark, which no BOSS field holds: remove it."
    )
    assert refused.errors == [files.FileError(3, "客户名称", cell, message)]


def test_every_cell_holding_control_characters_is_named_on_the_line_its_row_starts(tmp_path):
    rows = [HEADER, ["G1", "two\nlines\x07", "510104"], ["G2\x1b", "b", "5101\x1b04"], ["G3", "c", "510104"]]
    refused = refusal(tmp_path, csv_bytes(rows))
    assert [(error.line, error.column, error.value) for error in refused.errors] == [
        (2, "name", "two\nlines\x07"),
        (4, "code", "G2\x1b"),
        (4, "region", "5101\x1b04"),
    ]


def test_control_characters_past_the_limit_are_counted_in_one_error(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "CONTROLS_LISTED", 2)
    rows = [HEADER, *[[f"G{n}", "a\x07", "510104"] for n in range(5)]]
    refused = refusal(tmp_path, csv_bytes(rows))
    assert [(error.line, error.column) for error in refused.errors] == [(2, "name"), (3, "name"), (4, "")]
    assert refused.errors[-1].message == "More cells hold control characters from this line on; the first 2 are listed."


def test_a_control_character_in_a_headerless_column_is_named_by_its_position(tmp_path):
    refused = refusal(tmp_path, csv_bytes([HEADER, ["G1", "a", "510104", "\x1b"]]))
    assert [(error.line, error.column) for error in refused.errors] == [(2, "#4")]


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_tabs_line_breaks_and_ordinary_marks_are_text(tmp_path, encoding):
    cells = ["G1", "甲\t乙", "多行\r\n地址", "a\u200bb", "\ufeffzero width no-break", "¥·€"]
    _encoding, rows = read(tmp_path, csv_bytes([["code", "name", "address", "x", "y", "z"], cells], encoding))
    assert rows[1] == (2, cells)


def test_a_control_character_in_a_block_after_the_first_is_found(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "READ_BLOCK", 16)
    rows = [HEADER, *[["G1", "正常", "510104"]] * 10, ["G9", "a\u202eb", "510104"]]
    for encoding in ("utf-8", "gb18030"):
        refused = refusal(tmp_path, csv_bytes(rows, encoding))
        assert [(error.line, error.column) for error in refused.errors] == [(12, "name")], encoding
