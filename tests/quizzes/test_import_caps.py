"""Question files are read in bounded time: caps on questions, categories and answers per file,
each refused as a whole with a message naming the file and the limit (issue 16, item 6)."""

import pytest
from flask_babel import force_locale

from quizzes.formats import parse
from quizzes.formats.gift import MAX_ANSWERS, parse_gift
from quizzes.formats.questions import MAX_CATEGORIES, MAX_QUESTIONS
from quizzes.models import Question, QuestionBank, QuestionCategory
from tests.quizzes.test_bank_pages import admin_client, count, make_bank, page_text, upload
from tests.quizzes.test_quiz_api import as_user, import_file

TOO_MANY = "".join(f"::q{i}:: 第{i}题 {{T}}\n\n" for i in range(MAX_QUESTIONS + 1)).encode()
MESSAGE = (f"many.gift holds more than {MAX_QUESTIONS} questions (reading stopped at line "
           f"{2 * MAX_QUESTIONS + 1}); split it into files of at most {MAX_QUESTIONS} questions.")


def test_the_page_refuses_a_file_of_too_many_questions_naming_file_and_limit(app, client, org):
    bank_id = make_bank(app, gift="")
    admin_client(client, org)
    page = page_text(upload(client, bank_id, "many.gift", TOO_MANY))
    assert MESSAGE in page
    assert 'name="token"' not in page  # nothing to apply
    assert count(app, Question) == 0


def test_the_api_refuses_a_file_of_too_many_questions_with_422(app, client, org):
    headers = as_user(client, "admin")
    response = import_file(client, headers, TOO_MANY, "many.gift", dry_run=False)
    assert response.status_code == 422
    assert [error["text"] for error in response.get_json()["errors"]] == [MESSAGE]
    assert count(app, QuestionBank) == 0 and count(app, Question) == 0


def test_a_file_at_the_cap_is_read_in_full():
    text = "".join(f"q{i}{{T}}\n\n" for i in range(MAX_QUESTIONS))
    assert len(parse_gift(text).questions) == MAX_QUESTIONS


def test_aiken_and_sheets_have_the_same_caps(app):
    aiken = "".join(f"题{i}\nA. 甲\nB. 乙\nANSWER: A\n\n" for i in range(MAX_QUESTIONS + 1))
    sheet = "题型,题干,选项A,选项B,答案,分类\n" + "".join(
        f"单选,题{i},甲,乙,A,类{i}\n" for i in range(MAX_CATEGORIES + 1))
    with app.test_request_context(), force_locale("en"):
        errors = parse(aiken.encode(), "a.txt", "aiken").errors
        assert [str(e) for e in errors] == [
            f"a.txt holds more than {MAX_QUESTIONS} questions (reading stopped at line "
            f"{5 * MAX_QUESTIONS + 1}); split it into files of at most {MAX_QUESTIONS} "
            "questions."]
        errors = parse(sheet.encode(), "s.csv").errors
        assert [str(e) for e in errors] == [
            f"s.csv names more than {MAX_CATEGORIES} categories (reading stopped at row "
            f"{MAX_CATEGORIES + 2}); split it into smaller files."]


def test_too_many_categories_are_refused_before_anything_is_created(app, client, org):
    lines = "".join(f"$CATEGORY: 类{i}\n" for i in range(MAX_CATEGORIES + 1)) + "q{T}\n"
    headers = as_user(client, "admin")
    response = import_file(client, headers, lines.encode(), "cats.gift", dry_run=False)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["text"] == (
        f"cats.gift names more than {MAX_CATEGORIES} categories (reading stopped at line "
        f"{MAX_CATEGORIES + 1}); split it into smaller files.")
    assert count(app, QuestionCategory) == 0


def test_an_over_long_category_path_without_questions_is_an_error(app, client, org):
    headers = as_user(client, "admin")
    text = "$CATEGORY: " + "/分类" * 200_000 + "\n"  # 200,000 nested names
    response = import_file(client, headers, text.encode(), "deep.gift")
    assert response.status_code == 422
    assert [e["text"] for e in response.get_json()["errors"]] == [
        "the category path is longer than 500 characters"]


@pytest.mark.parametrize("answers", ["~a" * (MAX_ANSWERS + 1) + "=b", "=a" * (MAX_ANSWERS + 1)])
def test_a_question_of_too_many_answers_is_refused(app, answers):
    with app.test_request_context(), force_locale("en"):
        result = parse_gift("题干\n{" + answers + "}\n")
        assert result.questions == []
        assert [str(e.message) for e in result.errors] == [
            f"a question may have at most {MAX_ANSWERS} answers"]


def test_problems_deep_in_a_long_question_name_their_lines(app):
    # line_at finds a line by bisection now; the numbers must not move.
    text = "题干\n{\n" + "".join(f"~%x{i}%答{i}\n" for i in range(3)) + "=对\n}\n"
    with app.test_request_context(), force_locale("en"):
        errors = parse_gift(text).errors
    assert [error.at_line for error in errors] == [3, 4, 5]
