"""The shared reader of uploaded spreadsheets and text: encodings, refusals, hostile XLSX, cells.

Files are built in memory; no database or app is needed. The roster and question-sheet tests
cover what their rows mean; these cover turning untrusted bytes into rows of text.
"""

import io
import zipfile

import pytest

from learning import spreadsheets
from learning.spreadsheets import (
    MAX_FILE_BYTES,
    Column,
    FileRefused,
    cell_text,
    check_size,
    csv_rows,
    decode_text,
    find_columns,
    match_key,
    numbered,
    read_rows,
    sniff_delimiter,
    split_header,
    xlsx_rows,
)
from tests.files import replace_member, xlsx_bytes

ROWS = [
    ["姓名", "用户名", "所属组织"],
    ["张三", "zhangsan", "某某团委/第一团支部"],
    ["李四", "lisi", "某某团委"],
]
TEXT = "::团史::中国共产主义青年团成立于1922年。{T}\n"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)  # an old .xls (or .doc) file
UNDECODABLE = "the file is neither UTF-8 nor GBK/GB18030 text; save it as UTF-8"
INVALID_XLSX = "this is not a valid XLSX file; open it in Excel and save it again"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(64)


def make_csv(rows, *, delimiter=",", encoding="utf-8"):
    """Build CSV bytes; rows may be None for a blank line."""
    lines = ["" if row is None else delimiter.join(row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


make_xlsx = xlsx_bytes


def refusal(read, data) -> str:
    """The message with which `read` (a reader of bytes) refuses `data`."""
    with pytest.raises(FileRefused) as info:
        list(read(data))
    return str(info.value.message)


# --- The refusal itself --------------------------------------------------------------------


def test_refusal_is_a_value_error_with_a_lazy_message_that_renders_without_an_app():
    with pytest.raises(ValueError, match="the file is empty") as info:
        check_size(b"")
    assert isinstance(info.value, FileRefused)
    assert not isinstance(info.value.message, str)  # translated when shown, in the reader's locale
    assert str(info.value) == str(info.value.message) == "the file is empty"


def test_size_limit():
    check_size(b"x" * MAX_FILE_BYTES)
    assert refusal(check_size, b"x" * (MAX_FILE_BYTES + 1)) == "the file is larger than 5 MB"
    assert refusal(check_size, b"") == "the file is empty"


# --- Text ----------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_text_in_the_encodings_excel_and_windows_write(encoding):
    assert decode_text(TEXT.encode(encoding)) == TEXT


def test_big_endian_utf16_with_its_bom():
    assert decode_text(b"\xfe\xff" + TEXT.encode("utf-16-be")) == TEXT


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"x" * (MAX_FILE_BYTES + 1), "the file is larger than 5 MB"),
        (b"PK\x03\x04rest", "this is a zip file (such as .xlsx), not a text file"),
        (OLE2, "this is an old Office (.xls or .doc) file, not a text file"),
        (EXE, "this is not a text file: it contains binary data"),
        (TEXT.encode() + b"\x00", "this is not a text file: it contains binary data"),
        (b"\xff\xfe\x00\xd8", "the file is not valid UTF-16 text"),
        # 0x80 alone is invalid both as UTF-8 and as GB18030.
        (TEXT.encode() + b"\x80", UNDECODABLE),
    ],
)
def test_text_refusals(data, message):
    assert refusal(decode_text, data) == message


# --- CSV -----------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_in_the_encodings_excel_writes(encoding):
    assert list(csv_rows(make_csv(ROWS, encoding=encoding))) == ROWS


def test_csv_saved_as_excel_unicode_text():
    """Excel's "Unicode Text" is tab-separated UTF-16 with a BOM."""
    assert list(csv_rows(make_csv(ROWS, delimiter="\t", encoding="utf-16"))) == ROWS


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_delimiter_is_sniffed(delimiter):
    assert list(csv_rows(make_csv(ROWS, delimiter=delimiter))) == ROWS


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a;b;c\n1,2,3,4,5\n", ";"),  # the header decides, not the data
        ("\n  \na\tb\n", "\t"),  # blank lines before the header are skipped
        ("a,b;c\n", ","),  # a tie keeps the comma
        ("只有一列\n", ","),
        ("", ","),
    ],
)
def test_sniff_delimiter(text, delimiter):
    assert sniff_delimiter(text) == delimiter


def test_csv_quoted_cells_keep_commas_and_line_breaks():
    data = '姓名,备注\r\n"王, 五","第一行\r\n第二行"\r\n'.encode()
    assert list(csv_rows(data)) == [["姓名", "备注"], ["王, 五", "第一行\n第二行"]]


def test_csv_blank_lines_are_rows():
    assert list(numbered(csv_rows(make_csv([ROWS[0], None, ROWS[1]])))) == [
        (1, ROWS[0]),
        (3, ROWS[1]),
    ]


def test_csv_malformed_record():
    data = b"a,b\r\n1," + b"x" * 200_000 + b"\r\n"  # over the csv module's field limit
    assert refusal(csv_rows, data) == "the CSV file is malformed near line 2"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            make_xlsx(ROWS),
            "this is an XLSX (zip) file, not a CSV file; upload it with the .xlsx extension",
        ),
        (OLE2, "this is an old Excel .xls file, not a CSV file; save it as .xlsx or CSV UTF-8"),
        (EXE, "this is not a text file: it contains binary data"),
        (make_csv(ROWS) + b"\x00", "this is not a text file: it contains binary data"),
        (make_csv(ROWS) + b"\x80", UNDECODABLE),
        (b"x" * (MAX_FILE_BYTES + 1), "the file is larger than 5 MB"),
    ],
)
def test_csv_refusals(data, message):
    assert refusal(csv_rows, data) == message


# --- XLSX ----------------------------------------------------------------------------------


def test_xlsx_rows_with_typed_cells_and_blank_rows():
    rows = [["题型", "分值", "答案"], [], ["判断", 2.0, True], ["填空", 2.5, 4], [None, None, None]]
    assert list(numbered(xlsx_rows(make_xlsx(rows)))) == [
        (1, ["题型", "分值", "答案"]),
        (3, ["判断", "2", "TRUE"]),
        (4, ["填空", "2.5", "4"]),
    ]


def test_xlsx_reads_the_same_rows_as_csv():
    assert list(xlsx_rows(make_xlsx(ROWS))) == list(csv_rows(make_csv(ROWS)))


def test_zip_without_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    assert refusal(xlsx_rows, buffer.getvalue()) == INVALID_XLSX


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (make_csv(ROWS), "this is not an XLSX file (it is not a zip archive)"),
        (OLE2, "this is an old Excel .xls file; save it as .xlsx"),
        (b"PK\x03\x04 truncated", INVALID_XLSX),
        (make_xlsx(ROWS)[:2000], INVALID_XLSX),
        (
            replace_member(make_xlsx(ROWS), "xl/workbook.xml", b"<workbook"),
            INVALID_XLSX,
        ),
        (b"", "the file is empty"),
    ],
)
def test_xlsx_refusals(data, message):
    assert refusal(xlsx_rows, data) == message


def test_rewriting_a_sheet_keeps_the_file_readable():
    """replace_member itself produces a readable file, so the sheet bomb tests test the bomb."""
    xlsx = make_xlsx(ROWS)
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    assert list(xlsx_rows(replace_member(xlsx, "xl/worksheets/sheet1.xml", sheet))) == ROWS


# --- Hostile XLSX --------------------------------------------------------------------------

ZIP_BOMB = "the XLSX file expands to too much data when unpacked; it was not read"
FORBIDDEN_XML = "the XLSX file contains forbidden XML (entity declarations); it was not read"


def bomb_zip(member_bytes: int) -> bytes:
    """An xlsx-looking zip with one member of zeros, which deflate squeezes ~1000:1."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = bytes(1024 * 1024)
            for _ in range(member_bytes // len(chunk)):
                member.write(chunk)
    return buffer.getvalue()


def test_zip_bomb_is_refused_before_openpyxl(monkeypatch):
    data = bomb_zip(60 * 1024 * 1024)
    assert len(data) < MAX_FILE_BYTES  # it gets past the upload size check
    monkeypatch.setattr(spreadsheets, "MAX_XLSX_RATIO", 10**6)  # so the total cap must catch it
    assert refusal(xlsx_rows, data) == ZIP_BOMB


def test_member_with_a_bomb_ratio_is_refused_even_when_small():
    data = bomb_zip(2 * 1024 * 1024)  # 2 MB total: under the size cap, far over the ratio cap
    assert refusal(xlsx_rows, data) == ZIP_BOMB


def test_total_uncompressed_size_cap_applies_to_real_xlsx(monkeypatch):
    xlsx = make_xlsx(ROWS)
    assert list(xlsx_rows(xlsx)) == ROWS
    monkeypatch.setattr(spreadsheets, "MAX_XLSX_UNCOMPRESSED", 1000)
    assert refusal(xlsx_rows, xlsx) == ZIP_BOMB


SST_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def with_shared_strings(xlsx: bytes, prolog: str = "") -> bytes:
    """Move cell A2's text (张三) into xl/sharedStrings.xml, as Excel itself stores strings.

    openpyxl writes inline strings, so the shared-strings part is added by hand: the part, its
    content type and its relationship, and the cell now points at string 0.
    """
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        parts = {name: archive.read(name).decode() for name in archive.namelist()}
    inline = '<c r="A2" t="inlineStr"><is><t>张三</t></is></c>'
    assert inline in parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        inline, '<c r="A2" t="s"><v>0</v></c>'
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        "</Types>",
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_TYPE}"/></Types>',
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        "</Relationships>",
        f'<Relationship Id="rIdSst" Type="{SST_REL}" Target="sharedStrings.xml"/></Relationships>',
    )
    parts["xl/sharedStrings.xml"] = (
        f'{prolog}<sst xmlns="{SST_NS}" count="1" uniqueCount="1"><si><t>张三</t></si></sst>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text.encode())
    return out.getvalue()


def test_xlsx_with_shared_strings_reads():
    """The hand-built shared-strings file is valid, so the bomb test below tests the bomb only."""
    assert list(xlsx_rows(with_shared_strings(make_xlsx(ROWS)))) == ROWS


# A mild bomb (10**3 expansions): harmless if protection ever broke, so the test fails, not hangs.
ENTITY_PROLOG = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE lolz [<!ENTITY a "aaaaaaaaaa">'
    ' <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    ' <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>\n'
)


def test_xml_entity_bomb_in_shared_strings_is_refused():
    xlsx = with_shared_strings(make_xlsx(ROWS), prolog=ENTITY_PROLOG)
    assert refusal(xlsx_rows, xlsx) == FORBIDDEN_XML


@pytest.mark.parametrize(
    ("member", "tag"),
    [("xl/worksheets/sheet1.xml", "<worksheet"), ("xl/workbook.xml", "<workbook")],
)
def test_xml_entity_declarations_in_the_sheet_or_the_workbook_are_refused(member, tag):
    """The sheet is parsed lazily (while iterating), the workbook when the file is opened."""
    xlsx = make_xlsx(ROWS)
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        xml = archive.read(member).decode()
    xml = xml.replace(tag, ENTITY_PROLOG.split("\n", 1)[1] + tag, 1)
    assert refusal(xlsx_rows, replace_member(xlsx, member, xml.encode())) == FORBIDDEN_XML


def test_xlsx_is_not_read_when_openpyxl_runs_without_defusedxml(monkeypatch):
    import openpyxl

    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    with pytest.raises(RuntimeError, match="defusedxml"):
        list(xlsx_rows(make_xlsx(ROWS)))


# --- Choosing by extension -----------------------------------------------------------------


@pytest.mark.parametrize("filename", ["名单.csv", "ROSTER.CSV", "名单.xlsx", "Roster.XLSX"])
def test_read_rows_by_extension(filename):
    data = make_xlsx(ROWS) if filename.lower().endswith(".xlsx") else make_csv(ROWS)
    assert list(read_rows(data, filename)) == ROWS


@pytest.mark.parametrize(
    ("filename", "suffix"),
    [("roster.xls", ".xls"), ("roster.TXT", ".txt"), ("roster.csv.exe", ".exe"), ("roster", None)],
)
def test_read_rows_refuses_other_extensions_at_once(filename, suffix):
    with pytest.raises(FileRefused) as info:
        read_rows(make_csv(ROWS), filename)  # refused before any row is read
    assert str(info.value) == (
        f"unsupported file type {suffix or '(no extension)'}; save the file as .xlsx or .csv"
    )


def test_read_rows_checks_the_size_at_once():
    with pytest.raises(FileRefused, match="empty"):
        read_rows(b"", "x.xlsx")


def test_read_rows_hook_applies_to_csv_and_xlsx_cells():
    rows = [["a", "'=1+1"]]
    assert list(read_rows(make_csv(rows), "x.csv", cell=str.upper)) == [["A", "'=1+1"]]
    assert list(read_rows(make_xlsx(rows), "x.xlsx", cell=str.upper)) == [["A", "'=1+1"]]


# --- Cells and rows ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("", ""),
        (True, "TRUE"),
        (False, "FALSE"),
        (13800138000.0, "13800138000"),  # a phone typed as a number (Excel shows 1.38E+10)
        (1.5900159e10, "15900159000"),
        (2.5, "2.5"),
        (7, "7"),
        (" \t张三\r\n", "张三"),
        ("第一行\r\n第二行\r第三行", "第一行\n第二行\n第三行"),
        ("\u3000\u3000缩进的段落\u3000", "\u3000\u3000缩进的段落\u3000"),  # content, not layout
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_numbered_counts_blank_rows_and_drops_them():
    rows = [[""], ["a"], [], ["", "b"], ["", ""]]
    assert list(numbered(rows)) == [(2, ["a"]), (4, ["", "b"])]


# --- Tables --------------------------------------------------------------------------------


def test_split_header_takes_the_first_non_blank_row():
    header, rows = split_header([[""], ["姓名", "备注"], [], ["张三", ""], ["李四"]], max_rows=5)
    assert header == ["姓名", "备注"]
    assert list(rows) == [(4, ["张三", ""]), (5, ["李四"])]


def test_split_header_refuses_a_file_without_a_header_at_once():
    with pytest.raises(FileRefused, match="the file has no header row"):
        split_header(iter([[""], [], ["", ""]]), max_rows=5)


def test_split_header_refuses_more_data_rows_than_allowed_when_it_reaches_them():
    _, rows = split_header([["h"], ["1"], ["2"], [], ["3"]], max_rows=2)
    assert next(rows) == (2, ["1"])
    assert next(rows) == (3, ["2"])
    with pytest.raises(FileRefused, match="the file has more than 2 data rows; split it"):
        next(rows)


@pytest.mark.parametrize(
    ("text", "key"),
    [("姓 名", "姓名"), (" 选项Ａ\u3000", "选项a"), ("手机号\t", "手机号"), ("TRUE", "true")],
)
def test_match_key(text, key):
    assert match_key(text) == key


def test_find_columns_by_alias_in_order_of_preference():
    header = ["单位", "备注", " 姓 名 ", "所属组织"]
    aliases = {"name": ("姓名",), "unit": ("所属组织", "单位"), "phone": ("手机号",)}
    assert find_columns(header, aliases) == {
        "name": Column(2, " 姓 名 "),  # the header as written, for messages
        "unit": Column(3, "所属组织"),  # the preferred alias, though 单位 comes first
    }


def test_column_text_of_a_short_row_is_empty():
    column = Column(2, "角色")
    assert column.text(["张三", "zhangsan", "团员"]) == "团员"
    assert column.text(["张三"]) == ""
