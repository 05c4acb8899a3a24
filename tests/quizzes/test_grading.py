"""Grading every question type by Moodle's rules, with the forms Chinese input methods type."""

from __future__ import annotations

import pytest

from quizzes.formats.questions import (
    DESCRIPTION,
    ESSAY,
    MATCHING,
    MULTIPLE,
    NUMERICAL,
    QTYPES,
    SHORTANSWER,
    SINGLE,
    TRUEFALSE,
)
from quizzes.grading import (
    INFO,
    NEEDS_GRADING,
    PARTIAL,
    RIGHT,
    UNANSWERED,
    WRONG,
    Grade,
    combine_attempts,
    grade,
    normalise_answer,
    parse_number,
    score,
    wildcard_match,
)


def option(oid: str, fraction: float, feedback: str = "") -> dict:
    return {
        "id": oid,
        "text": oid,
        "text_html": oid,
        "fraction": fraction,
        "feedback": feedback,
        "feedback_html": f"<p>{feedback}</p>" if feedback else "",
    }


SINGLE_DATA = {
    "options": [
        option("o1", 1.0, "对，团成立于1922年"),
        option("o2", 0.0, "不对"),
        option("o3", 0.5),
        option("o4", -0.5),
        option("o5", 1.5),
    ]
}
MULTIPLE_DATA = {
    "options": [
        option("o1", 0.5, "A 对"),
        option("o2", 0.5),
        option("o3", -0.5, "C 是干扰项"),
        option("o4", -1.0),
    ]
}
TF_DATA = {
    "correct": True,
    "true_feedback": "正确",
    "true_feedback_html": "<p>正确</p>",
    "false_feedback": "再想想",
    "false_feedback_html": "<p>再想想</p>",
}


def short(*answers: tuple[str, float], case_sensitive: bool = False) -> dict:
    return {
        "answers": [
            {"text": text, "fraction": fraction, "feedback": f"fb{i}", "feedback_html": ""}
            for i, (text, fraction) in enumerate(answers)
        ],
        "case_sensitive": case_sensitive,
    }


def numeric(*answers: tuple[float | None, float, float]) -> dict:
    return {
        "answers": [
            {"value": v, "tolerance": t, "fraction": f, "feedback": f"fb{i}", "feedback_html": ""}
            for i, (v, t, f) in enumerate(answers)
        ]
    }


MATCHING_DATA = {
    "pairs": [
        {"id": "p1", "question": "五四运动", "question_html": "", "answer": "1919"},
        {"id": "p2", "question": "建党", "question_html": "", "answer": "1921"},
        {"id": "p3", "question": "建团", "question_html": "", "answer": "1922"},
        {"id": "p4", "question": "新中国成立", "question_html": "", "answer": "1949"},
    ],
    "distractors": ["1978"],
}


def check(qtype: str, data: dict, response, fraction, state: str) -> Grade:
    result = grade(qtype, data, response)
    if fraction is None:
        assert result.fraction is None
    else:
        assert result.fraction == pytest.approx(fraction)
    assert result.state == state
    return result


# --- single ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "fraction", "state"),
    [
        ({"option": "o1"}, 1.0, RIGHT),
        ({"option": "o2"}, 0.0, WRONG),
        ({"option": "o3"}, 0.5, PARTIAL),
        ({"option": "o4"}, 0.0, WRONG),  # clamped up to 0
        ({"option": "o5"}, 1.0, RIGHT),  # clamped down to 1
        ({"option": "o9"}, 0.0, WRONG),  # an id the question does not have
        ({"option": ["o1"]}, 0.0, WRONG),
        ({"option": 1}, 0.0, WRONG),
        ({"option": None}, 0.0, UNANSWERED),
        ({"option": ""}, 0.0, UNANSWERED),
        ({}, 0.0, UNANSWERED),
        (None, 0.0, UNANSWERED),
        ("o1", 0.0, UNANSWERED),  # not a dict at all
    ],
)
def test_single(response, fraction: float, state: str) -> None:
    check(SINGLE, SINGLE_DATA, response, fraction, state)


def test_single_detail_names_the_choice_its_feedback_and_every_option() -> None:
    result = grade(SINGLE, SINGLE_DATA, {"option": "o1"})
    assert result.detail["chosen"] == "o1"
    assert result.detail["feedback"] == [
        {"id": "o1", "text": "对，团成立于1922年", "html": "<p>对，团成立于1922年</p>"}
    ]
    options = result.detail["options"]
    assert list(options) == ["o1", "o2", "o3", "o4", "o5"]
    assert options["o1"] == {"chosen": True, "fraction": 1.0, "state": RIGHT}
    assert options["o2"] == {"chosen": False, "fraction": 0.0, "state": WRONG}
    assert options["o3"]["state"] == PARTIAL
    # An option without feedback adds none.
    assert grade(SINGLE, SINGLE_DATA, {"option": "o3"}).detail["feedback"] == []


# --- multiple -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chosen", "fraction", "state"),
    [
        (["o1", "o2"], 1.0, RIGHT),
        (["o2", "o1"], 1.0, RIGHT),
        (["o1"], 0.5, PARTIAL),
        (["o1", "o2", "o3"], 0.5, PARTIAL),
        (["o1", "o3"], 0.0, WRONG),
        (["o1", "o4"], 0.0, WRONG),  # -0.5 floored at 0
        (["o3", "o4"], 0.0, WRONG),  # -1.5 floored at 0
        (["o1", "o2", "o3", "o4"], 0.0, WRONG),  # ticking everything does not pay
        (["o1", "o1", "o1"], 0.5, PARTIAL),  # a repeated id counts once
        (["o1", "o9", 7, None, {"x": 1}], 0.5, PARTIAL),  # junk ignored, never raises
        ([], 0.0, UNANSWERED),
        (None, 0.0, UNANSWERED),
        ("o1", 0.0, WRONG),  # a string, not a list
        ({"o1": True}, 0.0, WRONG),
    ],
)
def test_multiple(chosen, fraction: float, state: str) -> None:
    check(MULTIPLE, MULTIPLE_DATA, {"options": chosen}, fraction, state)


def test_multiple_total_capped_at_one() -> None:
    data = {"options": [option("o1", 0.6), option("o2", 0.6), option("o3", 0.0)]}
    check(MULTIPLE, data, {"options": ["o1", "o2"]}, 1.0, RIGHT)


def test_multiple_sum_of_thirds_is_right() -> None:
    data = {"options": [option(f"o{i}", 1 / 3) for i in (1, 2, 3)] + [option("o4", -1.0)]}
    result = check(MULTIPLE, data, {"options": ["o1", "o2", "o3"]}, 1.0, RIGHT)
    assert result.fraction <= 1.0


def test_multiple_detail_lists_choices_in_question_order_with_their_feedback() -> None:
    result = grade(MULTIPLE, MULTIPLE_DATA, {"options": ["o3", "o1"]})
    assert result.detail["chosen"] == ["o1", "o3"]
    assert [f["id"] for f in result.detail["feedback"]] == ["o1", "o3"]
    assert result.detail["options"]["o3"] == {"chosen": True, "fraction": -0.5, "state": WRONG}
    assert result.detail["options"]["o2"]["chosen"] is False
    assert "invalid" not in result.detail
    assert grade(MULTIPLE, MULTIPLE_DATA, {"options": ["o1", "zz"]}).detail["invalid"] is True


# --- true/false -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("correct", "response", "fraction", "state"),
    [
        (True, {"value": True}, 1.0, RIGHT),
        (True, {"value": False}, 0.0, WRONG),
        (False, {"value": False}, 1.0, RIGHT),
        (False, {"value": True}, 0.0, WRONG),
        (True, {"value": "true"}, 0.0, WRONG),  # only JSON booleans are answers
        (True, {"value": 1}, 0.0, WRONG),
        (True, {"value": None}, 0.0, UNANSWERED),
        (True, {}, 0.0, UNANSWERED),
        (True, None, 0.0, UNANSWERED),
    ],
)
def test_truefalse(correct: bool, response, fraction: float, state: str) -> None:
    check(TRUEFALSE, {**TF_DATA, "correct": correct}, response, fraction, state)


def test_truefalse_feedback_is_for_the_value_chosen() -> None:
    assert grade(TRUEFALSE, TF_DATA, {"value": True}).detail["feedback"] == [
        {"id": "true", "text": "正确", "html": "<p>正确</p>"}
    ]
    result = grade(TRUEFALSE, TF_DATA, {"value": False})
    assert result.detail["feedback"][0]["text"] == "再想想"
    assert result.detail["chosen"] is False
    assert result.detail["correct"] is True


# --- short answer ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accepted", "typed"),
    [
        ("中华人民共和国", "中华人民共和国"),
        ("中华人民共和国", "  中华人民共和国\u3000"),  # ideographic space after the answer
        ("中华人民共和国", "\u3000\u3000中华人民共和国"),
        ("1949", "１９４９"),  # full-width digits
        ("１９４９", "1949"),  # and the other way round
        ("COVID-19", "ＣＯＶＩＤ－１９"),  # full-width letters and hyphen-minus
        ("COVID-19", "covid-19"),
        ("abc123", "ＡＢＣ１２３"),
        ("abc123", "ａｂｃ１２３"),
        ("为人民服务", "为人民服务"),
        ("实事求是,群众路线", "实事求是，群众路线"),  # full-width comma
        ("实事求是, 群众路线", "实事求是，　群众路线"),  # and a full-width space
        ("全心全意 为人民服务", "全心全意   为人民服务"),  # runs of spaces collapse
        ("全心全意 为人民服务", "全心全意\u3000为人民服务"),
        ("Xi Jinping", "XI   JINPING"),
        ("(1)", "（１）"),  # full-width brackets
    ],
)
def test_shortanswer_treats_full_and_half_width_alike(accepted: str, typed: str) -> None:
    check(SHORTANSWER, short((accepted, 1.0)), {"text": typed}, 1.0, RIGHT)


@pytest.mark.parametrize(
    ("accepted", "typed"),
    [
        ("中华人民共和国", "中华民国"),
        ("全心全意 为人民服务", "全心全意为人民服务"),  # a space is content, as in Moodle
        ("1949", "1949年"),
        ("COVID-19", "COVID19"),
    ],
)
def test_shortanswer_wrong(accepted: str, typed: str) -> None:
    check(SHORTANSWER, short((accepted, 1.0)), {"text": typed}, 0.0, WRONG)


def test_shortanswer_case_sensitive() -> None:
    data = short(("COVID-19", 1.0), case_sensitive=True)
    check(SHORTANSWER, data, {"text": "covid-19"}, 0.0, WRONG)
    check(SHORTANSWER, data, {"text": "ＣＯＶＩＤ－１９"}, 1.0, RIGHT)  # width still ignored


def test_shortanswer_takes_the_best_matching_answer_not_the_first() -> None:
    data = short(("*人民*", 0.5), ("为人民服务", 1.0), ("*", 0.0))
    result = check(SHORTANSWER, data, {"text": "为人民服务"}, 1.0, RIGHT)
    assert result.detail["matched"] == 1
    assert result.detail["feedback"] == [{"id": "a1", "text": "fb1", "html": ""}]
    result = check(SHORTANSWER, data, {"text": "人民万岁"}, 0.5, PARTIAL)
    assert result.detail["matched"] == 0
    result = check(SHORTANSWER, data, {"text": "别的"}, 0.0, WRONG)
    assert result.detail["matched"] == 2  # the catch-all's feedback applies
    assert result.detail["feedback"][0]["text"] == "fb2"


@pytest.mark.parametrize(
    ("pattern", "typed", "matches"),
    [
        ("中华*共和国", "中华人民共和国", True),
        ("中华*共和国", "中华共和国", True),  # * may match nothing
        ("中华*共和国", "中华人民共和", False),
        ("*共青团*", "中国共产主义青年团", False),
        ("*青年团", "中国共产主义青年团", True),
        ("a**b", "axxb", True),
        ("5\\*3", "5*3", True),  # an escaped star is a star
        ("5\\*3", "513", False),
        ("5\\*3", "5＊3", True),  # the full-width star is the same star once NFKC'd
        ("5＊3", "513", False),  # and is never a wildcard in an accepted answer
        ("a.b", "axb", False),  # regex characters are literal
        ("(x)+", "(x)+", True),
        ("*", "任何内容", True),
        ("COVID*", "ｃｏｖｉｄ－１９", True),
    ],
)
def test_shortanswer_wildcard(pattern: str, typed: str, matches: bool) -> None:
    assert wildcard_match(typed, pattern) is matches


@pytest.mark.parametrize(
    "response",
    [{"text": ""}, {"text": "   "}, {"text": "\u3000"}, {}, None, {"text": None}],
)
def test_shortanswer_empty_is_unanswered(response) -> None:
    check(SHORTANSWER, short(("*", 0.0), ("x", 1.0)), response, 0.0, UNANSWERED)


@pytest.mark.parametrize("response", [{"text": 1949}, {"text": ["1949"]}, {"text": {"a": 1}}])
def test_shortanswer_malformed_is_wrong(response) -> None:
    check(SHORTANSWER, short(("1949", 1.0)), response, 0.0, WRONG)


def test_shortanswer_negative_or_oversized_weights_are_clamped() -> None:
    check(SHORTANSWER, short(("x", -0.5)), {"text": "x"}, 0.0, WRONG)
    check(SHORTANSWER, short(("x", 2.0)), {"text": "x"}, 1.0, RIGHT)


def test_shortanswer_empty_accepted_answer_never_matches() -> None:
    check(SHORTANSWER, short(("", 1.0), ("  ", 1.0)), {"text": "x"}, 0.0, WRONG)


def test_normalise_answer() -> None:
    assert normalise_answer("\u3000ＡＢＣ\u3000１２３  ") == "abc 123"
    assert normalise_answer("ＡＢＣ", case_sensitive=True) == "ABC"


# --- numerical ------------------------------------------------------------------------------

PI = numeric((3.14, 0.01, 1.0), (3.0, 0.5, 0.5), (None, 0.0, 0.0))


@pytest.mark.parametrize(
    ("typed", "fraction", "state", "matched"),
    [
        ("3.14", 1.0, RIGHT, 0),
        ("3.13", 1.0, RIGHT, 0),  # lower edge, inclusive
        ("3.15", 1.0, RIGHT, 0),  # upper edge, inclusive despite binary floating point
        ("3.1500001", 0.5, PARTIAL, 1),  # outside the 100% band, inside the 50% one
        ("3.5", 0.5, PARTIAL, 1),
        ("3.50001", 0.0, WRONG, 2),  # falls through to the catch-all
        ("2.5", 0.5, PARTIAL, 1),
        ("-3.14", 0.0, WRONG, 2),
        ("３．１４", 1.0, RIGHT, 0),  # full-width digits and point
        ("  3.14\u3000", 1.0, RIGHT, 0),
        ("3。14", 1.0, RIGHT, 0),  # an ideographic full stop between digits
        ("+3.14", 1.0, RIGHT, 0),
        ("314e-2", 1.0, RIGHT, 0),
        ("0.0314E2", 1.0, RIGHT, 0),
    ],
)
def test_numerical(typed: str, fraction: float, state: str, matched: int) -> None:
    result = check(NUMERICAL, PI, {"text": typed}, fraction, state)
    assert result.detail["matched"] == matched
    assert result.detail["feedback"][0]["text"] == f"fb{matched}"


@pytest.mark.parametrize(
    "typed",
    [
        "abc",
        "三点一四",
        "3.14.1",
        "nan",
        "inf",
        "-infinity",
        "1e999",
        "1_000",
        "3,14",
        "3.14m",
        "0x10",
        "..",
        "+",
        "e5",
        "1,9",
    ],
)
def test_numerical_not_a_number_is_wrong_without_catch_all(typed: str) -> None:
    result = check(NUMERICAL, PI, {"text": typed}, 0.0, WRONG)
    assert result.detail == {"value": None, "matched": None, "invalid": True}


@pytest.mark.parametrize("response", [{"text": ""}, {"text": "  "}, {}, None, {"text": None}])
def test_numerical_empty_is_unanswered(response) -> None:
    check(NUMERICAL, PI, response, 0.0, UNANSWERED)


@pytest.mark.parametrize("response", [{"text": ["3.14"]}, {"text": True}, {"text": {}}])
def test_numerical_malformed_is_wrong(response) -> None:
    check(NUMERICAL, PI, response, 0.0, WRONG)


def test_numerical_number_sent_as_json_number() -> None:
    check(NUMERICAL, PI, {"text": 3.14}, 1.0, RIGHT)


@pytest.mark.parametrize(
    ("typed", "right"),
    [
        ("1949", True),
        ("１９４９", True),
        ("1,949", True),  # thousands separator
        ("1949.0", True),
        ("1948.9999", False),
        ("1950", False),
        ("－１９４９", False),
    ],
)
def test_numerical_exact_year(typed: str, right: bool) -> None:
    data = numeric((1949.0, 0.0, 1.0))
    check(NUMERICAL, data, {"text": typed}, 1.0 if right else 0.0, RIGHT if right else WRONG)


@pytest.mark.parametrize(
    ("typed", "right"),
    [("1.1", True), ("1.2", True), ("1.3", True), ("1.0999", False), ("1.3001", False)],
)
def test_numerical_range_stored_as_midpoint_and_tolerance(typed: str, right: bool) -> None:
    # GIFT's {#1.1..1.3} is stored as value = (min + max) / 2, tolerance = (max - min) / 2.
    data = numeric(((1.1 + 1.3) / 2, (1.3 - 1.1) / 2, 1.0))
    check(NUMERICAL, data, {"text": typed}, 1.0 if right else 0.0, RIGHT if right else WRONG)


def test_numerical_negative_numbers_and_minus_forms() -> None:
    data = numeric((-5.0, 0.0, 1.0))
    for typed in ("-5", "－５", "\u22125", " -5.00 "):
        check(NUMERICAL, data, {"text": typed}, 1.0, RIGHT)


def test_numerical_best_fraction_wins_over_order() -> None:
    data = numeric((10.0, 5.0, 0.5), (10.0, 0.0, 1.0))
    result = check(NUMERICAL, data, {"text": "10"}, 1.0, RIGHT)
    assert result.detail["matched"] == 1
    assert result.detail["value"] == 10.0


def test_numerical_without_catch_all_is_wrong_with_no_feedback() -> None:
    result = check(NUMERICAL, numeric((1.0, 0.0, 1.0)), {"text": "2"}, 0.0, WRONG)
    assert result.detail == {"value": 2.0, "matched": None}


def test_numerical_zero_tolerance_zero_value() -> None:
    data = numeric((0.0, 0.0, 1.0))
    check(NUMERICAL, data, {"text": "0"}, 1.0, RIGHT)
    check(NUMERICAL, data, {"text": "-0.0"}, 1.0, RIGHT)
    check(NUMERICAL, data, {"text": "1e-300"}, 0.0, WRONG)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1949", 1949.0),
        ("１９４９", 1949.0),
        (" -2.5 ", -2.5),
        (".5", 0.5),
        ("5.", 5.0),
        ("1,000,000", 1e6),
        ("x", None),
        ("", None),
        ("1e400", None),
    ],
)
def test_parse_number(text: str, value: float | None) -> None:
    assert parse_number(text) == value


# --- matching -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chosen", "fraction", "state"),
    [
        ({"p1": "1919", "p2": "1921", "p3": "1922", "p4": "1949"}, 1.0, RIGHT),
        ({"p1": " 1919 ", "p2": "1921", "p3": "1922", "p4": "1949\n"}, 1.0, RIGHT),
        ({"p1": "1919", "p2": "1922", "p3": "1921", "p4": "1949"}, 0.5, PARTIAL),
        ({"p1": "1919", "p2": "1921", "p3": "1922", "p4": "1978"}, 0.75, PARTIAL),
        ({"p1": "1919"}, 0.25, PARTIAL),  # the rest left blank
        ({"p1": "1978", "p2": "1978", "p3": "1978", "p4": "1978"}, 0.0, WRONG),
        ({"p1": 1919, "p2": ["1921"], "p3": None, "p4": "1949"}, 0.25, PARTIAL),
        ({"p9": "1919"}, 0.0, UNANSWERED),
        ({}, 0.0, UNANSWERED),
        ({"p1": "", "p2": "  "}, 0.0, UNANSWERED),
        ("1919", 0.0, UNANSWERED),
        (None, 0.0, UNANSWERED),
    ],
)
def test_matching(chosen, fraction: float, state: str) -> None:
    check(MATCHING, MATCHING_DATA, {"pairs": chosen}, fraction, state)


def test_matching_detail_per_pair() -> None:
    result = grade(MATCHING, MATCHING_DATA, {"pairs": {"p1": "1919", "p2": "1922"}})
    assert result.detail["pairs"] == {
        "p1": {"chosen": "1919", "state": RIGHT},
        "p2": {"chosen": "1922", "state": WRONG},
        "p3": {"chosen": None, "state": WRONG},
        "p4": {"chosen": None, "state": WRONG},
    }


# --- essay, description, unknown types ----------------------------------------------------


def test_essay() -> None:
    data = {"grader_info": "要点：……"}
    result = check(
        ESSAY, data, {"text": "青年要立大志、明大德、成大才、担大任。"}, None, NEEDS_GRADING
    )
    assert result.needs_grading
    assert "grader_info" not in str(result.detail)
    for empty in ({"text": ""}, {"text": "\u3000 \n"}, {}, None, {"text": 5}):
        assert not check(ESSAY, data, empty, 0.0, UNANSWERED).needs_grading


def test_description_carries_no_mark_and_waits_for_nobody() -> None:
    result = check(DESCRIPTION, {}, None, 0.0, INFO)
    assert not result.needs_grading
    check(DESCRIPTION, {}, {"text": "whatever"}, 0.0, INFO)


def test_unknown_type_is_a_bug_not_input() -> None:
    with pytest.raises(ValueError, match="cloze"):
        grade("cloze", {}, {"text": "x"})


@pytest.mark.parametrize("qtype", QTYPES)
@pytest.mark.parametrize(
    "response",
    [
        None,
        {},
        [],
        "x",
        0,
        {"option": {}},
        {"options": 5},
        {"value": []},
        {"text": object()},
        {"pairs": []},
    ],
)
def test_no_response_ever_raises(qtype: str, response) -> None:
    result = grade(qtype, {}, response)
    assert result.state in (UNANSWERED, WRONG, INFO)
    assert result.fraction == 0.0


@pytest.mark.parametrize("qtype", QTYPES)
def test_malformed_question_data_does_not_raise(qtype: str) -> None:
    data = {
        "options": [{"text": "no id"}, "junk", {"id": "o1", "fraction": "abc"}],
        "answers": [None, {"text": None}, {"value": "x", "tolerance": None, "fraction": None}],
        "pairs": [{"question": "no id"}, {"id": "p1"}],
    }
    for response in ({"option": "o1"}, {"options": ["o1"]}, {"text": "1"}, {"pairs": {"p1": "a"}}):
        assert isinstance(grade(qtype, data, response), Grade)


# --- score and grading methods --------------------------------------------------------------


@pytest.mark.parametrize(
    ("fraction", "mark", "expected"),
    [
        (1.0, 2.0, 2.0),
        (0.5, 5.35, 2.68),  # 2.675 rounds half up, as Moodle shows it
        (1 / 3, 5.0, 1.67),
        (2 / 3, 1.0, 0.67),
        (0.0, 10.0, 0.0),
        (0.125, 1.0, 0.13),
        (None, 5.0, None),
    ],
)
def test_score(fraction, mark: float, expected) -> None:
    assert score(fraction, mark) == expected


@pytest.mark.parametrize(
    ("method", "expected"),
    [("highest", 9.0), ("last", 7.5), ("first", 6.0), ("average", 7.5)],
)
def test_combine_attempts(method: str, expected: float) -> None:
    assert combine_attempts([6.0, 9.0, 7.5], method) == pytest.approx(expected)


@pytest.mark.parametrize("method", ["highest", "last", "first", "average"])
def test_combine_attempts_none_and_one(method: str) -> None:
    assert combine_attempts([], method) is None
    assert combine_attempts([4.5], method) == 4.5


def test_combine_attempts_unknown_method() -> None:
    with pytest.raises(ValueError, match="best"):
        combine_attempts([1.0], "best")
