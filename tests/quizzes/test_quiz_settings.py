"""Quiz settings: the rules of quizzes/authoring/services.py, and the admin pages that create,
edit, fill (fixed questions or random draws), delete and preview quizzes.

Pages are exercised through the HTTP layer with real CSRF tokens (tests.conftest.post_form),
in English (client.get("/lang/en")).
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from learning.extensions import db
from quizzes.attempts.services import start_attempt
from quizzes.authoring.services import (
    QuizSettingsError,
    available_in,
    create_quiz,
    question_count,
    set_draws,
    set_questions,
    update_quiz,
)
from quizzes.models import (
    Attempt,
    AttemptSlot,
    Question,
    QuestionCategory,
    Quiz,
    QuizDraw,
    QuizQuestion,
)
from tests.conftest import login, post_form

# A bank whose categories hold descriptions too (never drawn): 党史 has 1 own question,
# 党史/基础 3 (+1 description), 党史/进阶 2; 其他 1.
DRAW_GIFT = """\
$CATEGORY: 党史
::top:: 顶层题 {T}

$CATEGORY: 党史/基础
::b1:: 基础一 {T}

::b2:: 基础二 {F}

::b3:: 基础三 {=甲 ~乙}

::说明:: 这是一段说明文字。

$CATEGORY: 党史/进阶
::a1:: 进阶一 {T}

::a2:: 进阶二 {F}

$CATEGORY: 其他
::o1:: 其他一 {T}
"""

# Every setting the form has, valid; tests change one at a time.
FORM = {
    "title": "第一单元测验", "module_id": "0", "intro_md": "请在 **30 分钟**内完成。",
    "selection": "fixed", "shuffle_questions": "y", "shuffle_options": "y", "layout": "all",
    "time_limit_minutes": "30", "attempts_allowed": "3", "grading_method": "average",
    "pass_mark": "75", "open_at": "2026-03-01T09:00", "close_at": "2026-03-08T18:30",
    "review_when": "after_close", "review_shows": "answers",
}


def admin_client(client, org):
    assert login(client, org.admin.username).status_code == 302
    client.get("/lang/en")
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def field_error(page: str, field: str) -> str:
    """The error shown right after the input named `field` ("" if none)."""
    match = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{field}"[^>]*>(?:.*?</select>|'
                      rf'.*?</textarea>)?\s*<div class="invalid-feedback[^"]*">([^<]*)</div>',
                      page, re.S)
    return match.group(1).strip() if match else ""


def categories(app) -> dict[str, int]:
    with app.app_context():
        return {c.path: c.id for c in db.session.scalars(select(QuestionCategory))}


def attempt_by(app, quiz_id: int, user_id: int) -> None:
    with app.app_context():
        start_attempt(db.session.get(Quiz, quiz_id), user_id)
        db.session.commit()


# --- services: settings -------------------------------------------------------------------------


BAD_SETTINGS = [
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "题" * 201}, "title"),
    ({"selection": "mixed"}, "selection"),
    ({"layout": "two"}, "layout"),
    ({"grading_method": "median"}, "grading_method"),
    ({"review_when": "sometimes"}, "review_when"),
    ({"review_shows": "everything"}, "review_shows"),
    ({"time_limit_minutes": 0}, "time_limit_minutes"),
    ({"time_limit_minutes": 1441}, "time_limit_minutes"),
    ({"attempts_allowed": -1}, "attempts_allowed"),
    ({"pass_mark": -0.5}, "pass_mark"),
    ({"pass_mark": 100.5}, "pass_mark"),
    ({"open_at": datetime(2026, 3, 1, tzinfo=UTC), "close_at": datetime(2026, 3, 1, tzinfo=UTC)},
     "close_at"),
    ({"open_at": datetime(2026, 3, 2, tzinfo=UTC), "close_at": datetime(2026, 3, 1, tzinfo=UTC)},
     "close_at"),
    ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize(("settings", "field"), BAD_SETTINGS,
                         ids=[field + str(i) for i, (_s, field) in enumerate(BAD_SETTINGS)])
def test_each_setting_is_checked_and_the_refusal_names_it(app, make_course, settings, field):
    course = make_course(modules=1)
    with app.app_context():
        with pytest.raises(QuizSettingsError) as refused:
            create_quiz(course.id, None, **{"title": "测验", **settings})
        assert refused.value.field == field
        db.session.commit()
    assert count(app, Quiz) == 0


def test_settings_at_their_limits_are_accepted_and_defaults_apply(app, make_course):
    course = make_course(modules=1)
    with app.app_context():
        edge = create_quiz(course.id, None, title="题" * 200, time_limit_minutes=1440,
                           attempts_allowed=0, pass_mark=100.0)
        short = create_quiz(course.id, None, title="短", time_limit_minutes=1, pass_mark=0.0)
        plain = create_quiz(course.id, None, title="默认", intro_md="**重点**<script>x</script>")
        db.session.commit()
        assert (edge.time_limit_minutes, edge.pass_mark, short.time_limit_minutes) == \
            (1440, 100.0, 1)
        assert (plain.selection, plain.layout, plain.grading_method, plain.attempts_allowed,
                plain.pass_mark, plain.review_when, plain.review_shows, plain.time_limit_minutes) \
            == ("fixed", "one", "highest", 0, 60.0, "after_attempt", "explanations", None)
        # The introduction is rendered once, through the one sanitiser.
        assert "<strong>重点</strong>" in plain.intro_html and "<script" not in plain.intro_html


def test_update_checks_the_new_values_together_with_the_stored_ones(app, make_course):
    course = make_course(modules=1)
    opens = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    with app.app_context():
        quiz = create_quiz(course.id, None, title="测验", open_at=opens, pass_mark=70.0)
        with pytest.raises(QuizSettingsError) as refused:
            update_quiz(quiz, close_at=opens - timedelta(hours=1))
        assert refused.value.field == "close_at"
        update_quiz(quiz, close_at=opens + timedelta(days=1), layout="all")
        db.session.commit()
        quiz = db.session.get(Quiz, quiz.id)
        assert (quiz.pass_mark, quiz.layout, quiz.close_at) == \
            (70.0, "all", opens + timedelta(days=1))


def test_the_module_must_belong_to_the_course_and_hold_one_quiz(app, make_course):
    course, other = make_course(modules=2), make_course("别的专题", modules=1)
    with app.app_context():
        with pytest.raises(QuizSettingsError) as refused:
            create_quiz(course.id, other.module_ids[0], title="测验")
        assert refused.value.field == "module_id"
        with pytest.raises(QuizSettingsError):
            create_quiz(course.id, 999_999, title="测验")
        create_quiz(course.id, course.module_ids[0], title="第一单元测验")
        with pytest.raises(QuizSettingsError) as refused:
            create_quiz(course.id, course.module_ids[0], title="又一个")
        assert refused.value.field == "module_id"
        # Standalone quizzes: as many as wanted.
        create_quiz(course.id, None, title="综合测验一")
        create_quiz(course.id, None, title="综合测验二")
        db.session.commit()
    assert count(app, Quiz) == 3


# --- services: questions and draws --------------------------------------------------------------


def test_set_questions_keeps_the_order_and_the_marks(app, make_quiz):
    quiz = make_quiz()
    first, second, third = quiz.question_ids[:3]
    with app.app_context():
        stored = db.session.get(Quiz, quiz.id)
        set_questions(stored, [(third, 2.5), (first, None), (second, 0)])
        db.session.commit()
        links = db.session.scalars(select(QuizQuestion).where(QuizQuestion.quiz_id == quiz.id)
                                   .order_by(QuizQuestion.position)).all()
        assert [(link.question_id, link.position, link.mark) for link in links] == \
            [(third, 1, 2.5), (first, 2, 1.0), (second, 3, 0)]
        assert question_count(db.session.get(Quiz, quiz.id)) == 3


@pytest.mark.parametrize("pairs", [
    "duplicate", "missing", "negative"])
def test_a_refused_question_list_leaves_the_quiz_as_it_was(app, make_quiz, pairs):
    quiz = make_quiz()
    ids = quiz.question_ids
    wanted = {"duplicate": [(ids[0], None), (ids[0], 2.0)],
              "missing": [(ids[0], None), (999_999, None)],
              "negative": [(ids[1], None), (ids[0], -1.0)]}[pairs]
    with app.app_context():
        with pytest.raises(QuizSettingsError) as refused:
            set_questions(db.session.get(Quiz, quiz.id), wanted)
        assert refused.value.field == "questions"
        db.session.commit()
    assert count(app, QuizQuestion, QuizQuestion.quiz_id == quiz.id) == 6


def test_draws_beyond_the_available_questions_are_refused(app, make_course, make_bank):
    course = make_course(modules=1)
    make_bank("抽题库", DRAW_GIFT)
    paths = categories(app)
    with app.app_context(), force_locale("en"):  # the messages are asserted in English
        quiz = create_quiz(course.id, None, title="随机", selection="random")
        party = db.session.get(QuestionCategory, paths["党史"])
        basics = db.session.get(QuestionCategory, paths["党史/基础"])
        # Descriptions are never drawn.
        assert (available_in(party, False), available_in(party, True),
                available_in(basics, True)) == (1, 6, 3)
        for draws, message in [
            ([(paths["党史"], 7, True)], "has only 6 questions"),
            ([(paths["党史"], 2, False)], "has only 1 questions"),
            ([(paths["党史/基础"], 0, False)], "at least one"),
            ([(999_999, 1, True)], "does not exist"),
            # Overlapping draws share their questions: 3 from 基础, then 4 of the 3 left.
            ([(paths["党史/基础"], 3, False), (paths["党史"], 4, True)], "draws before it"),
            ([(paths["党史/基础"], 2, False), (paths["党史/基础"], 2, False)], "draws before it"),
        ]:
            with pytest.raises(QuizSettingsError, match=message) as refused:
                set_draws(quiz, draws)
            assert refused.value.field == "draws"
        set_draws(quiz, [(paths["党史/基础"], 3, False), (paths["党史"], 3, True),
                         (paths["其他"], 1, True)])
        db.session.commit()
        quiz = db.session.get(Quiz, quiz.id)
        assert [(d.category.path, d.count, d.include_subcategories) for d in quiz.draws] == \
            [("党史/基础", 3, False), ("党史", 3, True), ("其他", 1, True)]
        assert question_count(quiz) == 7
        with pytest.raises(QuizSettingsError):
            set_draws(quiz, [(paths["其他"], 2, True)])
        db.session.commit()
    # The refusal left the draws as they were.
    assert count(app, QuizDraw) == 3


def test_every_draw_the_service_accepts_can_be_started(app, make_course, make_bank, org):
    """What set_draws accepts, an attempt's start can always draw (run many times)."""
    course = make_course(modules=1)
    make_bank("抽题库", DRAW_GIFT)
    paths = categories(app)
    with app.app_context(), force_locale("en"):  # the messages are asserted in English
        quiz = create_quiz(course.id, None, title="随机", selection="random")
        set_draws(quiz, [(paths["党史/进阶"], 2, False), (paths["党史"], 4, True)])
        db.session.commit()
        from quizzes.attempts.services import draw_slots

        for _ in range(30):
            slots = draw_slots(quiz)
            assert len({slot.question_id for slot in slots}) == 6


# --- pages: create ------------------------------------------------------------------------------


def test_admin_creates_a_quiz_with_every_setting(app, client, org, make_course):
    course = make_course(modules=2, rule="quiz")
    admin_client(client, org)
    response = post_form(client, f"/admin/courses/{course.id}/quizzes/new",
                         {**FORM, "module_id": str(course.module_ids[1])})
    assert response.status_code == 302
    with app.app_context():
        quiz = db.session.scalars(select(Quiz)).one()
        assert response.location.endswith(f"/admin/quizzes/{quiz.id}")
        assert (quiz.course_id, quiz.module_id, quiz.title) == \
            (course.id, course.module_ids[1], "第一单元测验")
        assert (quiz.selection, quiz.shuffle_questions, quiz.shuffle_options, quiz.layout,
                quiz.time_limit_minutes, quiz.attempts_allowed, quiz.grading_method,
                quiz.pass_mark, quiz.review_when, quiz.review_shows) == \
            ("fixed", True, True, "all", 30, 3, "average", 75.0, "after_close", "answers")
        # Typed in Beijing time (UTC+8), stored in UTC.
        assert quiz.open_at == datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
        assert quiz.close_at == datetime(2026, 3, 8, 10, 30, tzinfo=UTC)
        assert "<strong>30 分钟</strong>" in quiz.intro_html
    page = text(client.get(response.location))
    assert "Quiz 第一单元测验 created." in page
    # Shown back in local time.
    assert 'value="2026-03-01T09:00"' in page and 'value="2026-03-08T18:30"' in page


def test_blank_time_limit_and_times_mean_none_and_unticked_boxes_false(app, client, org,
                                                                       make_course):
    course = make_course(modules=1)
    admin_client(client, org)
    form = {**FORM, "time_limit_minutes": "", "open_at": "", "close_at": ""}
    del form["shuffle_questions"], form["shuffle_options"]
    assert post_form(client, f"/admin/courses/{course.id}/quizzes/new", form).status_code == 302
    with app.app_context():
        quiz = db.session.scalars(select(Quiz)).one()
        assert (quiz.time_limit_minutes, quiz.open_at, quiz.close_at, quiz.module_id,
                quiz.shuffle_questions, quiz.shuffle_options) == (None, None, None, None,
                                                                  False, False)


def test_the_module_choice_lists_only_this_courses_modules_without_a_quiz(
        app, client, org, make_course, make_quiz):
    quiz = make_quiz()  # on the course's first module
    other = make_course("别的专题", modules=1)
    admin_client(client, org)
    url = f"/admin/courses/{quiz.course.id}/quizzes/new"
    page = text(client.get(url))
    select_html = re.search(r'<select[^>]*id="module_id".*?</select>', page, re.S).group(0)
    options = re.findall(r'<option(?: selected)? value="(\d+)"', select_html)
    assert options == ["0", str(quiz.course.module_ids[1])]
    assert "Standalone in the course" in select_html
    # ?module= preselects a free module; a taken one or another course's is ignored.
    page = text(client.get(f"{url}?module={quiz.course.module_ids[1]}"))
    assert f'<option selected value="{quiz.course.module_ids[1]}"' in page
    for wrong in (quiz.course.module_ids[0], other.module_ids[0]):
        page = text(client.get(f"{url}?module={wrong}"))
        assert '<option selected value="0"' in page
    # Posting a module that is not offered is refused next to the field; nothing is saved.
    response = post_form(client, url, {**FORM, "module_id": str(quiz.course.module_ids[0])})
    assert response.status_code == 200
    assert field_error(text(response), "module_id") == "Not a valid choice."
    assert count(app, Quiz) == 1


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"close_at": "2026-03-01T08:00"}, "close_at", "The quiz must close after it opens."),
    ({"time_limit_minutes": "0"}, "time_limit_minutes",
     "The time limit is 1 to 1440 minutes, or none."),
    ({"attempts_allowed": "-2"}, "attempts_allowed", "Attempts allowed is 0 (unlimited) or more."),
    ({"pass_mark": "120"}, "pass_mark", "The pass mark is a percentage from 0 to 100."),
    ({"title": ""}, "title", "This field is required."),
    ({"time_limit_minutes": "abc"}, "time_limit_minutes", "Not a valid integer value."),
    ({"open_at": "tomorrow"}, "open_at", "Not a valid datetime value."),
])
def test_errors_are_shown_next_to_their_field_and_nothing_is_saved(
        app, client, org, make_course, changes, field, message):
    course = make_course(modules=1)
    admin_client(client, org)
    response = post_form(client, f"/admin/courses/{course.id}/quizzes/new",
                         {**FORM, **changes})
    assert response.status_code == 200
    page = text(response)
    assert field_error(page, field) == message
    assert page.count("invalid-feedback") == 1
    # The typed values come back for correction.
    assert 'value="第一单元测验"' in page or field == "title"
    assert count(app, Quiz) == 0


# --- pages: edit --------------------------------------------------------------------------------


def test_admin_edits_the_settings(app, client, org, make_quiz):
    quiz = make_quiz()
    admin_client(client, org)
    page = text(client.get(f"/admin/quizzes/{quiz.id}"))
    assert 'value="第一单元测验"' in page and "The quiz of module 第1单元." in page
    assert 'id="module_id"' not in page  # where it is attached is fixed at creation
    response = post_form(client, f"/admin/quizzes/{quiz.id}",
                         {**FORM, "title": "改过的测验", "selection": "random",
                          "close_at": ""})
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.get(Quiz, quiz.id)
        assert (stored.title, stored.selection, stored.layout, stored.close_at,
                stored.module_id) == ("改过的测验", "random", "all", None, quiz.module_id)
    assert "Quiz 改过的测验 saved." in text(client.get(response.location))


def test_a_refused_edit_shows_the_error_and_changes_nothing(app, client, org, make_quiz):
    quiz = make_quiz()
    admin_client(client, org)
    response = post_form(client, f"/admin/quizzes/{quiz.id}",
                         {**FORM, "title": "不会保存", "open_at": "2026-03-09T09:00"})
    assert response.status_code == 200
    page = text(response)
    assert field_error(page, "close_at") == "The quiz must close after it opens."
    assert "Questions (6)" in page  # the rest of the page is still there
    with app.app_context():
        assert db.session.get(Quiz, quiz.id).title == "第一单元测验"


def _list_form(quiz_ids_marks, **extra) -> dict:
    """The question-list form as the page posts it: rows in order, with marks."""
    data = {}
    for index, (question_id, mark) in enumerate(quiz_ids_marks):
        data[f"rows-{index}-question_id"] = str(question_id)
        data[f"rows-{index}-mark"] = "" if mark is None else str(mark)
    data.update(extra)
    return data


def _stored_list(app, quiz_id) -> list[tuple[int, float]]:
    with app.app_context():
        return [(link.question_id, link.mark) for link in db.session.scalars(
            select(QuizQuestion).where(QuizQuestion.quiz_id == quiz_id)
            .order_by(QuizQuestion.position))]


def test_the_question_list_is_posted_back_whole(app, client, org, make_quiz):
    quiz = make_quiz()
    q = quiz.bank.question_ids  # the quiz has the first six; the seventh is the essay
    admin_client(client, org)
    url = f"/admin/quizzes/{quiz.id}/questions"
    page = text(client.get(f"/admin/quizzes/{quiz.id}"))
    assert page.count('name="move"') == 10 and "Questions (6)" in page
    # Marks change, the third goes up, the fifth is removed.
    rows = [(q[0], 2), (q[1], 1), (q[2], 1), (q[3], 0.5), (q[4], 1), (q[5], None)]
    response = post_form(client, url, _list_form(rows, move="up-2", **{"rows-4-remove": "y"}))
    assert response.status_code == 302 and response.location.endswith(
        f"/admin/quizzes/{quiz.id}#questions")
    assert _stored_list(app, quiz.id) == [(q[0], 2), (q[2], 1), (q[1], 1), (q[3], 0.5),
                                          (q[5], 1.0)]
    assert "The quiz has 5 questions." in text(client.get(response.location))
    # Down from the first row; the essay added from the picker goes last with its default mark.
    stored = _stored_list(app, quiz.id)
    response = post_form(client, f"{url}?bank={quiz.bank.id}&page=1",
                         _list_form(stored, move="down-0", add=[str(q[6]), str(q[0])]))
    assert response.location.endswith(
        f"/admin/quizzes/{quiz.id}?bank={quiz.bank.id}&page=1#questions")
    assert [qid for qid, _mark in _stored_list(app, quiz.id)] == \
        [q[2], q[0], q[1], q[3], q[5], q[6]]
    # A move past either end is ignored; a negative mark is refused and nothing changes.
    before = _stored_list(app, quiz.id)
    post_form(client, url, _list_form(before, move="up-0"))
    assert _stored_list(app, quiz.id) == before
    response = post_form(client, url, _list_form([(before[0][0], -1), *before[1:]]))
    page = text(client.get(response.location))
    assert "Number must be between 0 and 1000." in page
    response = post_form(client, url, _list_form([*before, (999_999, None)]))
    assert "Question 999999 does not exist." in text(client.get(response.location))
    assert _stored_list(app, quiz.id) == before


def test_the_picker_browses_a_bank_by_category_and_page(app, client, org, make_quiz, make_bank,
                                                         query_counter):
    quiz = make_quiz()
    many = "\n\n".join(f"::题{i}:: 第{i}题 {{T}}" for i in range(25))
    big = make_bank("大题库", "$CATEGORY: 大/小\n" + many)
    admin_client(client, org)
    page = text(client.get(f"/admin/quizzes/{quiz.id}?bank={quiz.bank.id}"))
    # The bank's questions, the ones already listed ticked and disabled.
    assert page.count('name="add"') == 7
    assert page.count("checked disabled") == 6
    paths = categories(app)
    page = text(client.get(f"/admin/quizzes/{quiz.id}?bank={quiz.bank.id}"
                           f"&category={paths['党史/进阶']}"))
    assert page.count('name="add"') == 4
    page = text(client.get(f"/admin/quizzes/{quiz.id}?bank={big.id}"))
    assert page.count('name="add"') == 20 and "1 / 2" in page
    page = text(client.get(f"/admin/quizzes/{quiz.id}?bank={big.id}&page=2"))
    assert page.count('name="add"') == 5 and "2 / 2" in page
    # The picker's form carries the whole current list along.
    picker = page[page.index('id="picker-form"'):]
    assert len(re.findall(r'name="rows-\d+-question_id"', picker)) == 6
    assert len(re.findall(r'name="rows-\d+-mark" value="1"', picker)) == 6

    def queries(url):
        with query_counter() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    queries(f"/admin/quizzes/{quiz.id}")  # warm-up
    few = queries(f"/admin/quizzes/{quiz.id}?bank={quiz.bank.id}")
    assert queries(f"/admin/quizzes/{quiz.id}?bank={big.id}") == few
    with app.app_context():
        set_questions(db.session.get(Quiz, quiz.id), [(qid, None) for qid in big.question_ids])
        db.session.commit()
    assert queries(f"/admin/quizzes/{quiz.id}?bank={quiz.bank.id}") == few


def test_changing_the_questions_of_an_attempted_quiz_warns(app, client, org, make_quiz):
    quiz = make_quiz()
    attempt_by(app, quiz.id, org.member.id)
    admin_client(client, org)
    page = text(client.get(f"/admin/quizzes/{quiz.id}"))
    assert "This quiz has 1 attempts. Changing its questions does not change them" in page
    stored = _stored_list(app, quiz.id)
    # Saving the same list changes nothing, and says nothing about attempts.
    response = post_form(client, f"/admin/quizzes/{quiz.id}/questions", _list_form(stored))
    assert "they keep the questions" not in text(client.get(response.location))
    response = post_form(client, f"/admin/quizzes/{quiz.id}/questions", _list_form(stored[:2]))
    assert "This quiz has 1 attempts already: they keep the questions they were given" in \
        text(client.get(response.location))
    # Warned, not blocked; the attempt keeps its six questions.
    assert len(_stored_list(app, quiz.id)) == 2
    assert count(app, AttemptSlot) == 6


# --- pages: draws -------------------------------------------------------------------------------


def test_admin_sets_random_draws(app, client, org, make_course, make_bank):
    course = make_course(modules=1)
    make_bank("抽题库", DRAW_GIFT)
    paths = categories(app)
    admin_client(client, org)
    response = post_form(client, f"/admin/courses/{course.id}/quizzes/new",
                         {**FORM, "selection": "random"})
    quiz_url = response.location
    quiz_id = int(quiz_url.rsplit("/", 1)[1])
    page = text(client.get(quiz_url))
    assert "Random draws: 0 questions per attempt" in page
    # The new-draw choice counts what a draw with subcategories finds (descriptions not).
    assert "抽题库 / 党史 (6)" in page and "抽题库 / 党史/基础 (3)" in page
    url = f"/admin/quizzes/{quiz_id}/draws"
    response = post_form(client, url, {"new_category": paths["党史/基础"], "new_count": "2",
                                       "new_include_subcategories": "y"})
    assert response.status_code == 302 and response.location.endswith("#draws")
    assert "Each attempt draws 2 questions." in text(client.get(response.location))
    rows = {"rows-0-category_id": paths["党史/基础"], "rows-0-count": "3"}  # subcategories off
    response = post_form(client, url, {**rows, "new_category": paths["党史/进阶"],
                                       "new_count": "2"})
    page = text(client.get(response.location))
    assert "Random draws: 5 questions per attempt" in page
    assert re.findall(r'data-draw="([^"]+)"', page) == ["党史/基础", "党史/进阶"]
    assert re.findall(r"data-available>(\d+)<", page) == ["3", "2"]
    with app.app_context():
        draws = db.session.scalars(select(QuizDraw).order_by(QuizDraw.id)).all()
        assert [(d.category_id, d.count, d.include_subcategories) for d in draws] == \
            [(paths["党史/基础"], 3, False), (paths["党史/进阶"], 2, False)]
    # Beyond what is available: refused with the reason, the draws stay as they were.
    both = {**rows, "rows-1-category_id": paths["党史/进阶"], "rows-1-count": "2"}
    response = post_form(client, url, {**both, "new_category": paths["其他"], "new_count": "2"})
    assert "Category 其他 has only 1 questions." in text(client.get(response.location))
    response = post_form(client, url, {**both, "new_category": paths["其他"]})
    assert "Say how many questions to draw" in text(client.get(response.location))
    assert count(app, QuizDraw) == 2
    # Remove the first.
    response = post_form(client, url, {**both, "rows-0-remove": "y"})
    with app.app_context():
        assert [d.category_id for d in db.session.scalars(select(QuizDraw))] == \
            [paths["党史/进阶"]]


# --- pages: delete ------------------------------------------------------------------------------


def test_a_quiz_with_attempts_is_deleted_only_with_them(app, client, org, make_quiz):
    quiz = make_quiz()
    attempt_by(app, quiz.id, org.member.id)
    admin_client(client, org)
    page = text(client.get(f"/admin/quizzes/{quiz.id}"))
    assert "Delete the 1 attempts too" in page
    response = post_form(client, f"/admin/quizzes/{quiz.id}/delete")
    assert response.status_code == 302 and response.location.endswith("#delete")
    assert "This quiz has 1 attempts. Tick" in text(client.get(response.location))
    assert count(app, Quiz) == 1 and count(app, Attempt) == 1
    # Without the CSRF token nothing happens either.
    client.post(f"/admin/quizzes/{quiz.id}/delete", data={"delete_attempts": "y"})
    assert count(app, Quiz) == 1
    response = post_form(client, f"/admin/quizzes/{quiz.id}/delete", {"delete_attempts": "y"})
    assert response.location.endswith("/admin/quizzes/")
    assert "Quiz 第一单元测验 deleted." in text(client.get(response.location))
    assert (count(app, Quiz), count(app, Attempt), count(app, AttemptSlot),
            count(app, QuizQuestion)) == (0, 0, 0, 0)
    # The bank's questions stay.
    assert count(app, Question) == 7


def test_a_quiz_without_attempts_is_deleted_at_once(app, client, org, make_quiz):
    quiz = make_quiz()
    admin_client(client, org)
    assert "attempts too" not in text(client.get(f"/admin/quizzes/{quiz.id}"))
    assert post_form(client, f"/admin/quizzes/{quiz.id}/delete").status_code == 302
    assert count(app, Quiz) == 0


# --- pages: preview and list --------------------------------------------------------------------


def test_the_preview_shows_the_right_answers_to_admins_only(app, client, org, make_quiz,
                                                            make_assignment):
    quiz = make_quiz(with_essay=True)
    make_assignment(quiz.course, org.group_a)
    admin_client(client, org)
    response = client.get(f"/admin/quizzes/{quiz.id}/preview")
    assert response.status_code == 200
    page = text(response)
    assert page.count("data-slot=") == 7 and page.count("Right answer:") == 7
    answers = re.findall(r'class="card-footer small right-answer">(.*?)</div>\s*</article>',
                         page, re.S)
    plain = [" ".join(re.sub(r"<[^>]+>", " ", answer).split()) for answer in answers]
    assert plain == [
        "Right answer: 1922", "Right answer: 团支部 团小组", "Right answer: True",
        "Right answer: 中央委员会 / 团中央", "Right answer: 1919",
        "Right answer: 五四运动 → 1919 建党 → 1921 建团 → 1922", "Right answer: Graded by hand."]
    # Nothing is stored by a preview.
    assert count(app, Attempt) == 0 and count(app, AttemptSlot) == 0
    client.post("/logout", data={"csrf_token": ""})
    for persona in (org.member, org.leader_in):
        client.delete_cookie("session")
        login(client, persona.username)
        client.get("/lang/en")
        response = client.get(f"/admin/quizzes/{quiz.id}/preview")
        assert response.status_code == 403
        assert "Right answer" not in text(response) and "1922" not in text(response)


def test_the_preview_of_a_random_quiz_is_a_sample_draw(app, client, org, make_course,
                                                       make_bank):
    course = make_course(modules=1)
    make_bank("抽题库", DRAW_GIFT)
    paths = categories(app)
    with app.app_context(), force_locale("en"):  # the messages are asserted in English
        quiz = create_quiz(course.id, None, title="随机", selection="random")
        set_draws(quiz, [(paths["党史/基础"], 2, False)])
        db.session.commit()
        quiz_id = quiz.id
    admin_client(client, org)
    page = text(client.get(f"/admin/quizzes/{quiz_id}/preview"))
    assert "A sample draw" in page and page.count("data-slot=") == 2
    # A draw that can no longer be made (questions deleted since) says why.
    with app.app_context():
        db.session.execute(Question.__table__.delete().where(Question.name == "b1"))
        db.session.execute(Question.__table__.delete().where(Question.name == "b2"))
        db.session.commit()
    page = text(client.get(f"/admin/quizzes/{quiz_id}/preview"))
    assert "Category 党史/基础 has only 1 questions, 2 are to be drawn." in page


def test_the_quiz_list_counts_questions_and_attempts_in_constant_queries(
        app, client, org, make_quiz, make_course, query_counter):
    quiz = make_quiz()
    attempt_by(app, quiz.id, org.member.id)
    admin_client(client, org)
    page = text(client.get("/admin/quizzes/"))
    row = re.search(rf'<tr data-quiz="{quiz.id}">.*?</tr>', page, re.S).group(0)
    assert "测验专题" in row and "第1单元" in row
    assert re.search(r"data-count>6<", row) and re.search(r"data-attempts>1<", row)

    def queries():
        with query_counter() as statements:
            assert client.get("/admin/quizzes/").status_code == 200
        return len(statements)

    before = queries()
    for _ in range(3):
        make_quiz(course=make_course(), standalone=True, bank=quiz.bank)
    assert queries() == before
    assert text(client.get("/admin/quizzes/")).count("(standalone)") == 3
