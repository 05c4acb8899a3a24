"""GIFT import and export: every question type, escapes, weights, feedback, categories, errors."""

from __future__ import annotations

import textwrap

import pytest

from quizzes.formats.gift import parse_gift, to_gift
from quizzes.formats.questions import (
    BLANK,
    DESCRIPTION,
    ESSAY,
    MATCHING,
    MULTIPLE,
    NUMERICAL,
    SHORTANSWER,
    SINGLE,
    TRUEFALSE,
    Answer,
    MatchPair,
    NumericalAnswer,
    ParsedQuestion,
)


def one(text: str) -> ParsedQuestion:
    """Parse GIFT holding exactly one good question."""
    result = parse_gift(textwrap.dedent(text))
    assert [str(e) for e in result.errors] == []
    assert len(result.questions) == 1
    return result.questions[0]


def errors(text: str) -> list[tuple[int, int | None, str]]:
    result = parse_gift(textwrap.dedent(text))
    return [(e.line, e.at_line, str(e.message)) for e in result.errors]


# --- Question types -------------------------------------------------------------------------------


def test_single_choice_with_feedback_and_name() -> None:
    q = one("""\
        // multiple choice with specified feedback for right and wrong answers
        ::Q2:: What's between orange and green in the spectrum?
        {
            =yellow # right; good!
            ~red # [html]wrong, it's yellow
            ~[plain]blue # wrong, it's yellow
        }
        """)
    assert q.qtype == SINGLE
    assert q.name == "Q2"
    assert q.stem == "What's between orange and green in the spectrum?"
    assert q.stem_format == "moodle"
    assert q.line == 2
    assert q.answers == [
        Answer("yellow", 1.0, "right; good!"),
        Answer("red", 0.0, "wrong, it's yellow"),  # the [html] of a feedback is read, dropped
        Answer("blue", 0.0, "wrong, it's yellow"),
    ]
    assert q.blank is None
    assert q.default_mark == 1.0


def test_multiple_choice_weights_as_moodle_reads_them() -> None:
    q = one("""\
        ::colours:: What's between orange and green in the spectrum?
        {
            ~%50%yellow # right; good!
            ~%-100%red # [html]wrong
            ~%50%off-beige # right; good!
            ~%-100%[plain]blue # wrong
        }
        """)
    assert q.qtype == MULTIPLE
    assert [(a.text, a.fraction, a.feedback) for a in q.answers] == [
        ("yellow", 0.5, "right; good!"),
        ("red", -1.0, "wrong"),
        ("off-beige", 0.5, "right; good!"),
        ("blue", -1.0, "wrong"),
    ]


def test_single_or_multiple_follows_moodle_rule_on_equals_sign() -> None:
    """Moodle: an answer marked = makes it single-answer, whatever the other weights."""
    partial = one("Difficult question.{~wrong answer ~%50%half credit answer =full credit answer}")
    assert partial.qtype == SINGLE
    assert [a.fraction for a in partial.answers] == [0.0, 0.5, 1.0]
    tricky = one("Colours?{~%100%yellow # right ~%-50%red # wrong ~%-50%blue # wrong}")
    assert tricky.qtype == MULTIPLE  # no = anywhere: Moodle's test_import_multichoice_multi_tricky
    assert [a.fraction for a in tricky.answers] == [1.0, -0.5, -0.5]


def test_fractional_weights_keep_their_precision() -> None:
    q = one("Continents?{~%33.33333%Africa ~%33.33333%Asia ~%-100%China ~%33.33334%Antarctica}")
    assert q.qtype == MULTIPLE
    assert [a.fraction for a in q.answers] == [0.3333333, 0.3333333, -1.0, 0.3333334]


@pytest.mark.parametrize(
    ("answer", "correct", "true_feedback", "false_feedback"),
    [
        ("T", True, "", ""),
        ("TRUE", True, "", ""),
        ("F", False, "", ""),
        ("FALSE#No one is buried there.", False, "No one is buried there.", ""),
        # {answer#feedback for a wrong answer#feedback for the right answer}
        (
            "FALSE#wrong answer feedback#right answer feedback",
            False,
            "wrong answer feedback",
            "right answer feedback",
        ),
        (
            "TRUE#wrong answer feedback#right answer feedback",
            True,
            "right answer feedback",
            "wrong answer feedback",
        ),
    ],
)
def test_true_false_with_zero_one_or_two_feedbacks(
    answer: str, correct: bool, true_feedback: str, false_feedback: str
) -> None:
    q = one(f"Grant is buried in Grant's tomb.{{{answer}}}")
    assert q.qtype == TRUEFALSE
    assert q.stem == "Grant is buried in Grant's tomb."
    assert (q.correct, q.true_feedback, q.false_feedback) == (
        correct,
        true_feedback,
        false_feedback,
    )


def test_lower_case_true_is_a_short_answer_as_in_moodle() -> None:
    q = one("Is it?{true}")
    assert q.qtype == SHORTANSWER
    assert q.answers == [Answer("true", 1.0)]


def test_true_false_with_general_feedback() -> None:
    q = one("""\
        ::Q1:: 42 is the Absolute Answer to everything.{
        FALSE#42 is the Ultimate Answer.#You gave the right answer.
        ####This is, of course, a Hitchhiker's Guide to the Galaxy reference.}
        """)
    assert q.correct is False
    assert q.true_feedback == "42 is the Ultimate Answer."
    assert q.false_feedback == "You gave the right answer."
    assert q.general_feedback == (
        "This is, of course, a Hitchhiker's Guide to the Galaxy reference."
    )


def test_short_answer_with_weights_feedback_and_catch_all() -> None:
    q = one("""\
        ::Shortanswer::Which is the best animal?{
            =Frog#Good!
            =%50%Cat#What is it with Moodlers and cats?
            =%0%*#Completely wrong
            ####[html]Here is some general feedback!
        }
        """)
    assert q.qtype == SHORTANSWER
    assert q.answers == [
        Answer("Frog", 1.0, "Good!"),
        Answer("Cat", 0.5, "What is it with Moodlers and cats?"),
        Answer("*", 0.0, "Completely wrong"),
    ]
    assert q.general_feedback == "Here is some general feedback!"


def test_a_lone_short_answer_needs_no_equals_sign() -> None:
    q = one("How do you write the word for the number 1? {One}")
    assert (q.qtype, q.answers) == (SHORTANSWER, [Answer("One", 1.0)])


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ("#1822", [NumericalAnswer(1822.0, 0.0, 1.0)]),
        ("#3.1415:0.0005", [NumericalAnswer(3.1415, 0.0005, 1.0)]),
        ("#1..5", [NumericalAnswer(3.0, 2.0, 1.0)]),
        ("#-5..-1", [NumericalAnswer(-3.0, 2.0, 1.0)]),
        ("#1e3:1E1", [NumericalAnswer(1000.0, 10.0, 1.0)]),
        (
            "#\n=1822:0 #Correct!\n=%50%1822:2 #Close.\n",
            [
                NumericalAnswer(1822.0, 0.0, 1.0, "Correct!"),
                NumericalAnswer(1822.0, 2.0, 0.5, "Close."),
            ],
        ),
        (
            "#3:2~#Completely wrong",
            [NumericalAnswer(3.0, 2.0, 1.0), NumericalAnswer(None, 0.0, 0.0, "Completely wrong")],
        ),
        ("#=%100%3:2#\n~#", [NumericalAnswer(3.0, 2.0, 1.0), NumericalAnswer(None, 0.0, 0.0)]),
    ],
)
def test_numerical_forms(answers: str, expected: list[NumericalAnswer]) -> None:
    q = one(f"When was Ulysses S. Grant born?{{{answers}}}")
    assert q.qtype == NUMERICAL
    assert q.numerical == expected


def test_numerical_range_bounds() -> None:
    q = one("Pi to 3 places? {#3.141..3.142}.")
    answer = q.numerical[0]
    assert answer.low == pytest.approx(3.141)
    assert answer.high == pytest.approx(3.142)


def test_matching_with_distractor_and_per_pair_formats() -> None:
    q = one("""\
        ::Moodle activities::[html]Match the <b>activity</b> to the description.{
            =[html]An activity supporting asynchronous discussions. -> Forum
            =[moodle]A teacher asks a question. -> Choice
            =A bank of record entries.->Database
            = -> Chat
        }
        """)
    assert q.qtype == MATCHING
    assert q.stem_format == "html"
    assert q.stem == "Match the <b>activity</b> to the description."
    assert q.pairs == [
        MatchPair("An activity supporting asynchronous discussions.", "Forum"),
        MatchPair("A teacher asks a question.", "Choice"),
        MatchPair("A bank of record entries.", "Database"),
    ]
    assert q.distractors == ["Chat"]


def test_essay_and_essay_with_general_feedback() -> None:
    q = one("::Q8:: How are you? {}")
    assert (q.qtype, q.name, q.stem, q.general_feedback) == (ESSAY, "Q8", "How are you?", "")
    q = one("Write about your study group.{####Mention at least two lessons.}")
    assert (q.qtype, q.general_feedback) == (ESSAY, "Mention at least two lessons.")


def test_description_has_no_answers_and_no_mark() -> None:
    q = one("::Intro::You can use your pencil and paper for these next questions.")
    assert q.qtype == DESCRIPTION
    assert q.name == "Intro"
    assert q.stem == "You can use your pencil and paper for these next questions."
    assert q.default_mark == 0.0


# --- Missing word, formats, multi-line text -------------------------------------------------------


def test_missing_word_keeps_text_before_and_after_the_blank() -> None:
    q = one("""\
        The American holiday of Thanksgiving is celebrated on the {
            ~second
            ~third
            =fourth
        } Thursday of November.
        """)
    assert q.qtype == SINGLE
    before = "The American holiday of Thanksgiving is celebrated on the "
    after = " Thursday of November."
    assert q.blank == (before, after)
    assert q.stem == before + BLANK + after
    assert [a.text for a in q.answers] == ["second", "third", "fourth"]


def test_missing_word_at_the_start_and_with_format() -> None:
    q = one("::Continents:: [html]{ = Asia } is the largest continent in the world.")
    assert q.qtype == SHORTANSWER
    assert q.stem_format == "html"
    assert q.blank == ("", " is the largest continent in the world.")
    assert q.stem == "_____ is the largest continent in the world."
    assert q.answers == [Answer("Asia", 1.0)]


def test_answers_after_the_text_leave_no_blank() -> None:
    q = one("_____ is the largest continent.{=%100%Asia#}")
    assert q.blank is None
    assert q.stem == "_____ is the largest continent."


def test_format_prefixes_and_general_feedback_inherits_the_stem_format() -> None:
    q = one("[markdown]Who's buried in **Grant's tomb**?{=no one#excellent!####**Nobody**.}")
    assert q.stem_format == "markdown"
    assert q.stem == "Who's buried in **Grant's tomb**?"
    assert q.general_feedback == "**Nobody**."
    assert one("[unknown]text{T}").stem == "[unknown]text"  # unknown names stay text


def test_multi_line_question_keeps_stem_indentation_and_trims_answer_lines() -> None:
    q = one("""\
        ::Q001::[html]<p>What would this print?</p>
        <pre>
            public void test() \\{
                method1();
            \\}
        </pre>
        {
            =%50%1822:2 #He was born in 1822.
                        You get 50% credit.
            =nothing
        }
        """)
    assert q.stem == (
        "<p>What would this print?</p>\n<pre>\n    public void test() {\n        method1();\n"
        "    }\n</pre>"
    )
    assert q.qtype == SHORTANSWER
    assert q.answers[0] == Answer("1822:2", 0.5, "He was born in 1822.\nYou get 50% credit.")


def test_comment_lines_inside_a_question_are_ignored() -> None:
    q = one("""\
        // a comment before
        Who's buried in Grant's tomb?{
        // a comment inside
        ~Grant ~Jefferson =no one}
        // a comment after
        """)
    assert [a.text for a in q.answers] == ["Grant", "Jefferson", "no one"]
    assert q.line == 2


def test_crlf_and_bom_are_read() -> None:
    result = parse_gift("\ufeff::A::First?{T}\r\n\r\n::B::Second?{F}\r\n")
    assert [(q.name, q.correct, q.line) for q in result.questions] == [
        ("A", True, 1),
        ("B", False, 3),
    ]


# --- Escapes --------------------------------------------------------------------------------------


def test_every_escape() -> None:
    q = one(
        r"::Title\: with \{braces\}::Which \~ \= \# \{ \} \: are special?{"
        "\n"
        r"~ \~ # \~ is special"
        "\n"
        r"= \\ # Correct\! A \\ escapes; \\n is not a newline but \n is"
        "\n}"
    )
    assert q.name == "Title: with {braces}"
    assert q.stem == "Which ~ = # { } : are special?"
    assert q.answers[0] == Answer("~", 0.0, "~ is special")
    assert q.answers[1] == Answer(
        "\\", 1.0, "Correct\\! A \\ escapes; \\n is not a newline but \n is"
    )


def test_backslashes_as_in_moodle_mdl_34171() -> None:
    q = one(r"::double backslash:: A \\ B \\\\ C{}")
    assert q.stem == r"A \ B \\ C"


def test_escaped_equals_in_choices_are_text() -> None:
    q = one(r"Which answer equals 5? { ~ \= 2 + 2  = \= 2 + 3  ~ \= 2 + 4 }")
    assert [(a.text, a.fraction) for a in q.answers] == [
        ("= 2 + 2", 0.0),
        ("= 2 + 3", 1.0),
        ("= 2 + 4", 0.0),
    ]


def test_latex_backslashes_survive() -> None:
    q = one(r"[html]Blah\nblah $ 1 \\neq 0 $ {}")
    assert q.stem == "Blah\nblah $ 1 \\neq 0 $"


# --- Categories, tags, ids ------------------------------------------------------------------------


def test_categories_apply_to_the_questions_that_follow() -> None:
    result = parse_gift(
        textwrap.dedent("""\
        First?{T}

        // question: 0  name: switch category
        $CATEGORY: $course$/top/Default for Unit 1: Topic

        Second?{T}

        $CATEGORY: 党史/第一章
        Third, right after the category line?{F}

        $CATEGORY: empty/one

        """)
    )
    assert result.errors == []
    assert [(q.stem, q.category) for q in result.questions] == [
        ("First?", ""),
        ("Second?", "$course$/top/Default for Unit 1: Topic"),
        ("Third, right after the category line?", "党史/第一章"),
    ]
    assert result.categories == [
        "$course$/top/Default for Unit 1: Topic",
        "党史/第一章",
        "empty/one",
    ]


def test_id_and_tags_from_comments() -> None:
    q = one("""\
        // This question is to test importing tags: [tag:tag] [tag:other-tag].
        // And an idnumber: [id:my\\]id].
        ::Question name:: How are you? {}
        """)
    assert q.tags == ["tag", "other-tag"]
    assert q.idnumber == "my]id"


def test_tags_of_a_category_switch_do_not_leak() -> None:
    result = parse_gift("// [tag:cat]\n$CATEGORY: a\n\nQ?{T}\n")
    assert result.questions[0].tags == []


# --- Errors ---------------------------------------------------------------------------------------


def test_errors_name_the_question_line_and_the_problem_line_and_reading_goes_on() -> None:
    found = errors("""\
        Good one?{T}

        Unclosed {
        ~a
        =b

        Stray } brace {T}

        ::No end of name {T}

        Text before {abc ~x =y}

        Bad number {#
        =1822:0
        =abc}

        Bad range {#5..1}

        Two blocks {=a} and {=b}

        Matching {
        =a -> 1
        =b
        =c -> 3
        }

        Nested { ~a { =b }

        Last good one?{F}
        """)
    assert found == [
        (
            3,
            3,
            "the { has no closing }; a question ends at a blank line, so answers must not "
            "contain blank lines",
        ),
        (7, 7, "found } without a { before it (write \\} for a brace)"),
        (9, 9, "the question name has no closing :: (write \\: for a colon)"),
        (11, 11, "answer text before the first ~ or =: abc"),
        (13, 15, "not a number, a number:tolerance or a min..max range: abc"),
        (17, 17, "not a number, a number:tolerance or a min..max range: 5..1"),
        (19, 19, "a question has one {…} answer block; write \\{ and \\} for braces in the text"),
        (21, 23, "matching answers are written =sub-question -> answer; this one has no ->: =b"),
        (27, 27, "a second { before the closing } (write \\{ for a brace)"),
    ]
    result = parse_gift(textwrap.dedent("Good one?{T}\n\nBroken {\n\nLast good one?{F}\n"))
    assert [q.stem for q in result.questions] == ["Good one?", "Last good one?"]


@pytest.mark.parametrize(
    ("gift", "message"),
    [
        ("Q {~a ~b}", "the positive weights add up to 0%, not 100%"),
        ("Q {~%50%a ~%20%b}", "the positive weights add up to 70%, not 100%"),
        ("Q {~%150%a =b}", "weights must be between -100% and 100%"),
        (
            "Q {=%50%a =%20%b}",
            "no answer is worth 100% (the best is 50%), so nobody could get full marks",
        ),
        (
            "Q {=a}x{",
            "a question has one {…} answer block; write \\{ and \\} for braces in the text",
        ),
        ("Q {~only}", "a choice question needs at least 2 answers"),
        ("Q {=a -> 1 =b -> 2}", "a matching question needs at least 2 sub-questions and 3 answers"),
        ("Q {=a -> 1 =b -> 2 =c -> }", "no matching answer for sub-question c"),
        ("Q {#}", "no answers found for the numerical question"),
        ("Q {#~#wrong}", "no answers found for the numerical question"),
        (
            "Q {#1 ~%50%2#x}",
            "in a numerical question, ~ may only be followed by #feedback for any other answer",
        ),
        ("Q {~%5O%a =b}", "a weight is written like %50% or %-33.3%, not %5O%"),
        ("::Name::{T}", "the question text is empty"),
        ("Q {=a =}", "an accepted answer is empty"),
    ],
)
def test_question_errors(gift: str, message: str) -> None:
    assert message in [m for _, _, m in errors(gift)]


def test_error_str_names_both_lines() -> None:
    result = parse_gift("\n\nBad number {#\n=abc}\n")
    assert str(result.errors[0]) == (
        "line 4 (question starting on line 3): not a number, a number:tolerance or a min..max "
        "range: abc"
    )


# --- Export and round trips -----------------------------------------------------------------------

AWKWARD = "a ~ b = c # d { e } f : g \\ h \\n i\nj ::k:: -> l %50% m ####"

ROUND_TRIP_QUESTIONS = [
    ParsedQuestion(
        SINGLE,
        "Pick one: " + AWKWARD,
        name="single " + AWKWARD,
        answers=[
            Answer("[html]not a format", 1.0, "[plain]feedback " + AWKWARD),
            Answer("%50% of people", 0.0, "weight-like text"),
            Answer("%50% again", 0.5),
            Answer(AWKWARD, -0.3333333, ""),
        ],
        general_feedback="general " + AWKWARD,
        tags=["a]b", "团课"],
        idnumber="id]1",
    ),
    ParsedQuestion(
        SINGLE, "=%100% starts an answer", answers=[Answer("%25% right", 1.0), Answer("wrong")]
    ),
    ParsedQuestion(
        MULTIPLE,
        "Pick all",
        stem_format="html",
        answers=[
            Answer("<b>a</b>", 0.5),
            Answer("b", 0.5),
            Answer("c", -1.0, "no"),
            Answer("d", 0.0),
        ],
    ),
    ParsedQuestion(
        MULTIPLE, "All or nothing", answers=[Answer("a", 1.0), Answer("b", -0.5), Answer("c", -0.5)]
    ),
    ParsedQuestion(TRUEFALSE, "True?", correct=True),
    ParsedQuestion(TRUEFALSE, "False?", correct=False, true_feedback="wrong " + AWKWARD),
    ParsedQuestion(TRUEFALSE, "False with right feedback?", correct=False, false_feedback="right"),
    ParsedQuestion(
        TRUEFALSE,
        "True, both?",
        correct=True,
        true_feedback="yes",
        false_feedback="no",
        general_feedback="gf",
    ),
    ParsedQuestion(
        SHORTANSWER,
        "Capital?",
        answers=[
            Answer("北京", 1.0, "对"),
            Answer("T", 0.5),
            Answer("%10%x", 0.1),
            Answer("*", 0.0, "no"),
        ],
    ),
    ParsedQuestion(SHORTANSWER, "TRUE", answers=[Answer("TRUE", 1.0)]),
    ParsedQuestion(
        NUMERICAL,
        "Number?",
        numerical=[
            NumericalAnswer(3.1415, 0.0005, 1.0, "pi"),
            NumericalAnswer(-3.0, 2.0, 0.5),
            NumericalAnswer(1e-05, 0.0, 0.25),
            NumericalAnswer(None, 0.0, 0.0, "anything else"),
        ],
    ),
    ParsedQuestion(
        NUMERICAL,
        "Catch-all in the middle?",
        numerical=[NumericalAnswer(None, 0.0, 0.1), NumericalAnswer(1822.0, 0.0, 1.0)],
    ),
    ParsedQuestion(
        MATCHING,
        "Match " + AWKWARD.replace("->", "=>"),
        stem_format="markdown",
        pairs=[
            MatchPair("[html]x" + AWKWARD.replace("->", "=>"), "answer " + AWKWARD),
            MatchPair("b", "[html]2"),
            MatchPair("c", "3"),
        ],
        distractors=["d", "e :"],
    ),
    ParsedQuestion(ESSAY, "Essay " + AWKWARD, general_feedback="gf"),
    ParsedQuestion(ESSAY, "//looks like a comment"),
    ParsedQuestion(ESSAY, "$CATEGORY: not a category"),
    ParsedQuestion(DESCRIPTION, "Just text " + AWKWARD, name="d", default_mark=0.0),
    ParsedQuestion(DESCRIPTION, "[markdown] looks like a format", default_mark=0.0),
    ParsedQuestion(
        SINGLE,
        "Grant is " + BLANK + " in Grant's tomb.",
        answers=[Answer("buried"), Answer("entombed", 1.0)],
        blank=("Grant is ", " in Grant's tomb."),
        category="党史/第一章",
    ),
    ParsedQuestion(
        SHORTANSWER,
        BLANK + " is the largest continent.",
        stem_format="html",
        answers=[Answer("Asia", 1.0)],
        blank=("", " is the largest continent."),
        category="党史/第一章",
    ),
    ParsedQuestion(
        NUMERICAL,
        "Born in " + BLANK + ".",
        numerical=[NumericalAnswer(1822.0)],
        blank=("Born in ", "."),
        category="a\\:b",
    ),
    ParsedQuestion(ESSAY, "Back in the default category"),
]


@pytest.mark.parametrize("question", ROUND_TRIP_QUESTIONS, ids=lambda q: q.qtype)
def test_each_question_round_trips(question: ParsedQuestion) -> None:
    result = parse_gift(to_gift([question]))
    assert [str(e) for e in result.errors] == []
    assert result.questions == [question]


def test_a_whole_bank_round_trips_with_its_categories() -> None:
    text = to_gift(ROUND_TRIP_QUESTIONS)
    result = parse_gift(text)
    assert [str(e) for e in result.errors] == []
    assert result.questions == ROUND_TRIP_QUESTIONS
    assert text.count("$CATEGORY:") == 3
    assert result.categories == ["党史/第一章", "a\\:b", ""]
    # Every question type appears in the round trip.
    assert {q.qtype for q in ROUND_TRIP_QUESTIONS} == {
        SINGLE,
        MULTIPLE,
        TRUEFALSE,
        SHORTANSWER,
        NUMERICAL,
        MATCHING,
        ESSAY,
        DESCRIPTION,
    }


def test_export_looks_like_moodles() -> None:
    questions = [
        ParsedQuestion(
            TRUEFALSE,
            "42 is the Absolute Answer to everything.",
            name="Q1",
            correct=True,
            true_feedback="You gave the right answer.",
            false_feedback="42 is the Ultimate Answer.",
        ),
        ParsedQuestion(
            SINGLE,
            "What's between orange and green?",
            name="Q8",
            answers=[Answer("yellow", 1.0, "right; good!"), Answer("red", 0.0, "wrong")],
        ),
        ParsedQuestion(
            NUMERICAL,
            "What is a number from 1 to 5?",
            name="Q5",
            numerical=[
                NumericalAnswer(3.0, 2.0),
                NumericalAnswer(None, 0.0, 0.0, "Completely wrong"),
            ],
            category="$course$/top/Default",
        ),
    ]
    assert to_gift(questions) == (
        "::Q1::42 is the Absolute Answer to everything.{TRUE#42 is the Ultimate Answer.#You gave"
        " the right answer.}\n"
        "\n"
        "::Q8::What's between orange and green?{\n\t=yellow#right; good!\n\t~red#wrong\n}\n"
        "\n"
        "$CATEGORY: $course$/top/Default\n"
        "\n"
        "::Q5::What is a number from 1 to 5?{#\n\t=%100%3:2\n\t~#Completely wrong\n}\n"
    )


def test_a_trailing_blank_is_written_as_text() -> None:
    """GIFT cannot put a blank at the very end; the stem keeps its _____ as text."""
    question = ParsedQuestion(
        SHORTANSWER, "Capital: " + BLANK, answers=[Answer("Paris", 1.0)], blank=("Capital: ", "")
    )
    again = parse_gift(to_gift([question])).questions[0]
    assert (again.stem, again.blank, again.answers) == (question.stem, None, question.answers)
