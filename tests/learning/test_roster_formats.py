"""Tests for the pure roster-file reader: files are built in memory, no database or app needed.

Reading the bytes (encodings, delimiters, refusing bad and hostile files) is learning.spreadsheets'
and is tested in test_spreadsheets; these tests cover what the rows of a roster mean.
"""

import io

import pytest
from openpyxl import Workbook

from learning.roster import formats
from learning.roster.formats import (
    RosterFile,
    RosterFileError,
    RosterRow,
    read_roster,
)
from tests.files import xlsx_bytes

HEADER = ["姓名", "用户名", "所属组织", "角色", "手机号"]
ROWS = [
    ["张三", "zhangsan", "某某团委/第一团支部/第一学习小组", "团员", "13800138000"],
    ["李四", "lisi", "某某团委/第一团支部", "团支书", ""],
]
EXPECTED = [
    RosterRow(2, "张三", "zhangsan", ("某某团委", "第一团支部", "第一学习小组"), "member",
              "13800138000"),
    RosterRow(3, "李四", "lisi", ("某某团委", "第一团支部"), "leader", None),
]  # fmt: skip


def make_csv(rows, *, header=HEADER, delimiter=",", encoding="utf-8"):
    """Build CSV bytes; rows may contain None for a blank line."""
    lines = [delimiter.join(header)]
    lines += ["" if row is None else delimiter.join(row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def make_xlsx(rows, *, header=HEADER):
    """A roster workbook: the header row, then `rows`."""
    return xlsx_bytes([header, *rows])


def errors_of(result: RosterFile):
    return [(error.row, error.column, str(error.message)) for error in result.errors]


# --- Reading good files ----------------------------------------------------------------------


def test_csv_and_xlsx_read_the_same_chinese_rows():
    assert read_roster(make_csv(ROWS), "名单.csv").rows == EXPECTED
    result = read_roster(make_xlsx(ROWS), "roster.xlsx")
    assert result.rows == EXPECTED
    assert result.errors == []


def test_xlsx_numeric_phone_and_member_number_cells_become_digits():
    header = ["姓名", "团员编号", "所属组织", "角色", "手机号"]
    rows = [
        ["张三", 2020001, "团委/支部", "团员", 13800138000],
        ["李四", 2020002.0, "团委/支部", "团员", 13900139000.0],
        ["王五", 2020003, "团委/支部", "团员", 1.5900159e10],
    ]
    result = read_roster(make_xlsx(rows, header=header), "roster.xlsx")
    assert result.errors == []
    assert [(row.username, row.phone) for row in result.rows] == [
        ("2020001", "13800138000"),
        ("2020002", "13900139000"),
        ("2020003", "15900159000"),
    ]


def test_xlsx_ignores_trailing_empty_rows_and_unknown_columns():
    header = [*HEADER, "备注"]
    rows = [[*ROWS[0], "随便写"], [None] * 6, [None] * 6, ["", "", "", "", "", ""]]
    result = read_roster(make_xlsx(rows, header=header), "roster.xlsx")
    assert result.rows == EXPECTED[:1]
    assert result.errors == []


def test_xlsx_header_need_not_be_on_the_first_row():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([])  # row 1 left empty
    sheet.append(HEADER)  # header on row 2
    sheet.append(ROWS[0])  # first member on row 3
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = read_roster(buffer.getvalue(), "roster.xlsx")
    assert [row.row for row in result.rows] == [3]


def test_member_number_header_instead_of_username():
    header = ["姓名", "团员编号", "所属组织", "角色"]
    rows = [["张三", "T2020001", "某某团委", "团员"]]
    result = read_roster(make_csv(rows, header=header), "roster.csv")
    assert result.rows[0].username == "t2020001"


def test_member_number_fills_in_where_username_is_empty():
    header = ["姓名", "用户名", "团员编号", "所属组织", "角色"]
    rows = [
        ["张三", "zhangsan", "2020001", "某某团委", ""],
        ["李四", "", "2020002", "某某团委", ""],
        ["王五", "", "", "某某团委", ""],
    ]
    result = read_roster(make_csv(rows, header=header), "roster.csv")
    assert [row.username for row in result.rows] == ["zhangsan", "2020002"]
    assert errors_of(result) == [(4, "用户名", "required value is missing")]


def test_header_aliases_and_spaces_in_headers():
    header = [" 姓 名 ", "用户名", "单位", "职务", "联系电话"]
    rows = [["张三", "zhangsan", "某某团委", "书记", "13800138000"]]
    result = read_roster(make_csv(rows, header=header), "roster.csv")
    assert result.rows == [RosterRow(2, "张三", "zhangsan", ("某某团委",), "leader", "13800138000")]


def test_full_width_username_and_path_are_normalised():
    rows = [
        [
            "张三",
            " ＡＢＣ１２３ ",
            "某某团委／第一团支部\\ 第一小组 ",
            "ＬＥＡＤＥＲ",
            "１３８００１３８０００",
        ]
    ]
    row = read_roster(make_csv(rows), "roster.csv").rows[0]
    assert row.username == "abc123"
    assert row.unit_path == ("某某团委", "第一团支部", "第一小组")
    assert row.role == "leader"
    assert row.phone == "13800138000"


@pytest.mark.parametrize("role", ["", "成员", "青年团员", "Member", " 学员 "])
def test_member_role_words(role):
    rows = [["张三", "zhangsan", "某某团委", role, ""]]
    assert read_roster(make_csv(rows), "r.csv").rows[0].role == "member"


@pytest.mark.parametrize("role", ["组长", "副组长", "负责人", "支部书记", "宣传委员", "LEADER"])
def test_leader_role_words(role):
    rows = [["张三", "zhangsan", "某某团委", role, ""]]
    assert read_roster(make_csv(rows), "r.csv").rows[0].role == "leader"


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("", None),
    ],
)
def test_phone_normalisation(raw, phone):
    rows = [["张三", "zhangsan", "某某团委", "", raw]]
    assert read_roster(make_csv(rows), "r.csv").rows[0].phone == phone


def test_name_loses_surrounding_unicode_spaces_but_keeps_inner_ones():
    rows = [["\u3000张\u3000三\xa0", "zhangsan", "某某团委", "", ""]]
    assert read_roster(make_csv(rows), "r.csv").rows[0].name == "张\u3000三"


def test_leading_and_trailing_slash_in_unit_path_are_tolerated():
    rows = [["张三", "zhangsan", "/某某团委/第一团支部/", "", ""]]
    assert read_roster(make_csv(rows), "r.csv").rows[0].unit_path == ("某某团委", "第一团支部")


# --- Row errors ------------------------------------------------------------------------------


def test_every_kind_of_row_error_with_row_and_column():
    rows = [
        ["", "a1", "团委", "", ""],  # row 2: no name
        ["名" * 65, "a2", "团委", "", ""],  # row 3: name too long
        ["张三", "", "团委", "", ""],  # row 4: no username
        ["张三", "x", "团委", "", ""],  # row 5: username too short
        ["张三", "has space", "团委", "", ""],  # row 6: bad character
        None,  # row 7: blank line, still counted
        ["张三", "a8", "", "", ""],  # row 8: no unit
        ["张三", "a9", "团委//小组", "", ""],  # row 9: empty level
        ["张三", "a10", "团委/" + "组" * 65, "", ""],  # row 10: level too long
        ["张三", "a11", "/".join("abcdefghi"), "", ""],  # row 11: nine levels
        ["张三", "a12", "团委", "路人", ""],  # row 12: unknown role
        ["张三", "a13", "团委", "", "1234567"],  # row 13: bad phone
        ["张三", "a14", "团委", "", "12800138000"],  # row 14: second digit not 3-9
        ["张三", "a15", "团委", "", "1.38E+10"],  # row 15: digits lost by Excel
    ]
    result = read_roster(make_csv(rows), "roster.csv")
    assert result.rows == []
    got = [(error.row, error.column) for error in result.errors]
    assert got == [
        (2, "姓名"),
        (3, "姓名"),
        (4, "用户名"),
        (5, "用户名"),
        (6, "用户名"),
        (8, "所属组织"),
        (9, "所属组织"),
        (10, "所属组织"),
        (11, "所属组织"),
        (12, "角色"),
        (13, "手机号"),
        (14, "手机号"),
        (15, "手机号"),
    ]
    messages = [str(error.message) for error in result.errors]
    assert messages[0] == "required value is missing"
    assert "64" in messages[1]
    assert "has an empty level" in messages[6]
    assert "at most 8" in messages[8]
    assert messages[9].startswith("unknown role 路人; use one of: 成员")
    assert "scientific notation" in messages[12]


def test_several_errors_in_one_row_and_across_rows_are_all_reported():
    rows = [
        ["张三", "zhangsan", "某某团委", "", ""],
        ["", "!", "a//b", "谁", "123"],
        ["李四", "lisi", "某某团委", "", ""],
        ["王五", "wangwu", "", "", ""],
    ]
    result = read_roster(make_csv(rows), "roster.csv")
    assert [row.username for row in result.rows] == ["zhangsan", "lisi"]
    assert [(error.row, error.column) for error in result.errors] == [
        (3, "姓名"),
        (3, "用户名"),
        (3, "所属组织"),
        (3, "角色"),
        (3, "手机号"),
        (5, "所属组织"),
    ]


def test_errors_keep_physical_row_numbers_after_blank_lines_in_xlsx():
    rows = [ROWS[0], [None] * 5, [None] * 5, ["李四", "lisi", "某某团委", "校长", None]]
    result = read_roster(make_xlsx(rows), "roster.xlsx")
    assert errors_of(result)[0][:2] == (5, "角色")


def test_duplicate_username_is_reported_on_the_later_rows():
    rows = [
        ["张三", "zhangsan", "某某团委", "", ""],
        ["李四", "lisi", "某某团委", "", ""],
        ["张三", "ZHANGSAN", "某某团委", "", ""],  # same after lower-casing
        ["张三", "ｚｈａｎｇｓａｎ", "某某团委", "", ""],  # same after NFKC
    ]
    result = read_roster(make_csv(rows), "roster.csv")
    assert [row.row for row in result.rows] == [2, 3]
    assert errors_of(result) == [
        (4, "用户名", "username zhangsan already appears in row 2"),
        (5, "用户名", "username zhangsan already appears in row 2"),
    ]


def test_error_column_is_the_header_as_written_in_the_file():
    header = ["姓名", "团员编号", "组织", "身份", "手机"]
    rows = [["张三", "2020001", "", "", "x"]]
    result = read_roster(make_csv(rows, header=header), "roster.csv")
    assert [error.column for error in result.errors] == ["组织", "手机"]


def test_messages_are_lazy_strings_that_render_without_an_app():
    rows = [["张三", "zhangsan", "某某团委", "路人", ""]]
    message = read_roster(make_csv(rows), "roster.csv").errors[0].message
    assert not isinstance(message, str)  # translated when shown, in the reader's locale
    assert str(message).startswith("unknown role 路人")


# --- Whole-file errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        (["用户名", "所属组织", "角色"], "姓名"),
        (["姓名", "所属组织", "角色"], "用户名/团员编号"),
        (["姓名", "用户名", "角色"], "所属组织"),
        (["姓名", "用户名", "所属组织"], "角色"),
    ],
)
def test_missing_required_header(header, missing):
    with pytest.raises(RosterFileError, match=f"missing required column.*{missing}"):
        read_roster(make_csv([], header=header), "roster.csv")


def test_missing_headers_are_all_named():
    with pytest.raises(RosterFileError) as info:
        read_roster(make_csv([], header=["姓名", "备注"]), "roster.csv")
    assert "用户名/团员编号, 所属组织, 角色" in str(info.value)


def test_file_without_header():
    with pytest.raises(RosterFileError, match="no header"):
        read_roster(b"\r\n,,,\r\n\r\n", "roster.csv")


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "roster.csv", "the file is empty"),
        (make_csv(ROWS), "roster.xls", "unsupported file type .xls"),
        (make_xlsx(ROWS), "roster.csv", "this is an XLSX (zip) file, not a CSV file"),
        (make_csv(ROWS), "roster.xlsx", "this is not an XLSX file (it is not a zip archive)"),
    ],
)
def test_the_file_checks_of_learning_spreadsheets_raise_roster_file_errors(data, filename, message):
    """The checks themselves are tested in test_spreadsheets; here, only that they apply."""
    with pytest.raises(RosterFileError) as info:
        read_roster(data, filename)
    assert str(info.value).startswith(message)


def test_too_many_rows_is_refused(monkeypatch):
    monkeypatch.setattr(formats, "MAX_ROWS", 3)
    rows = [["张三", f"user{i}", "某某团委", "", ""] for i in range(3)]
    assert len(read_roster(make_csv(rows), "roster.csv").rows) == 3
    rows.append(["张三", "user4", "某某团委", "", ""])
    with pytest.raises(RosterFileError, match="more than 3 data rows"):
        read_roster(make_csv(rows), "roster.csv")


def test_too_many_rows_at_the_real_limit_is_refused():
    rows = [["张", f"u{i}", "团", "", ""] for i in range(formats.MAX_ROWS + 1)]
    with pytest.raises(RosterFileError, match="more than 20000 data rows"):
        read_roster(make_csv(rows), "roster.csv")
