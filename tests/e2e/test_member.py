"""A member's flows in the browser (issue 8): study a module, take a timed quiz (reloading midway),
post in the group thread, and finish a quiz with the keyboard alone.

Every flow logs in as its own demo member, a different one per viewport (see conftest). The
demo data (learning/demo.py, courses/demo.py, quizzes/demo.py, courses/discussions/demo.py)
gives them this starting point:

* m008 / m009 have no progress at all (they did not attend 第一学习小组's offline lesson), so
  the first module of the demo course is theirs to read;
* m010 / m017 have no attempt at 「单元测验：制度优势的体现」 (15 minutes, all questions on one
  page, drawn at random per attempt);
* m028 / m029 belong to 第三学习小组, whose group thread is on the first module;
* m018 / m019 have no attempt at 「单元测验：青年在抗疫中的担当」 (fixed questions, one per page:
  every question type a member meets, so the keyboard flow covers them all).
"""

import re

from playwright.sync_api import expect

from tests.e2e.browser import check_page, login, nav_to, shot

COURSE = "绽放战疫青春·坚定制度自信"
FIRST_MODULE = "青年在抗疫中的担当"
TIMED_QUIZ = "单元测验：制度优势的体现"
KEYBOARD_QUIZ = "单元测验：青年在抗疫中的担当"
GROUP_THREAD = "第三小组：我们能为社区做些什么"

MEMBERS = {
    "study": {"phone": "m008", "desktop": "m009"},
    "timed_quiz": {"phone": "m010", "desktop": "m017"},
    "group_post": {"phone": "m028", "desktop": "m029"},
    "keyboard_quiz": {"phone": "m018", "desktop": "m019"},
}


def member(page, flow: str) -> str:
    """The demo member this flow logs in as at this viewport."""
    return MEMBERS[flow][page.viewport_name]


def study_item(page):
    """The demo course's row on 「我的学习」."""
    return page.locator(".study-list li").filter(has_text=COURSE)


# --- 1. read a module and complete it -------------------------------------------------------


def test_member_reads_and_completes_a_module(page):
    login(page, member(page, "study"))
    nav_to(page, "我的学习")
    expect(page.get_by_role("heading", name="我的学习", level=1)).to_be_visible()
    item = study_item(page)
    expect(item.get_by_text("0/4")).to_be_visible()
    expect(item.get_by_text("未开始")).to_be_visible()
    check_page(page, "my-study")

    item.get_by_role("link", name="继续学习").click()
    expect(page.get_by_role("heading", name=FIRST_MODULE, level=1)).to_be_visible()
    page.get_by_role("heading", name="担当的几种样子").scroll_into_view_if_needed()
    check_page(page, "module")

    page.get_by_role("button", name="我已学完本单元").click()
    expect(page.locator("#completion").get_by_text(re.compile(r"已于 .+ 完成。"))).to_be_visible()
    check_page(page, "module-completed")

    nav_to(page, "我的学习")
    item = study_item(page)
    expect(item.get_by_text("1/4")).to_be_visible()
    expect(item.get_by_text("学习中")).to_be_visible()
    # 「继续学习」 now leads on to the next module: the first one is done.
    item.get_by_role("link", name="继续学习").click()
    expect(page.get_by_role("heading", name="制度优势的体现", level=1)).to_be_visible()
    # The course page ticks the first module.
    page.get_by_role("navigation", name="breadcrumb").get_by_role("link", name=COURSE).click()
    expect(page.locator(".course-outline li").filter(has_text=FIRST_MODULE)
           .get_by_text("已完成")).to_be_visible()
    check_page(page, "course")


# --- 2. a timed quiz, reloaded midway -------------------------------------------------------

FORM_VALUES = """() => [...new FormData(document.getElementById('attempt-form')).entries()]
    .filter(([name]) => /^q\\d/.test(name)).map(([name, value]) => name + '=' + value).sort()"""


def answer_question(box) -> None:
    """Answer one question as a member unsure of it would: the first option, or a number."""
    radios, boxes = box.get_by_role("radio"), box.get_by_role("checkbox")
    selects = box.get_by_role("combobox")
    if radios.count():
        radios.first.check()
    elif boxes.count():
        boxes.first.check()
    elif selects.count():
        for index in range(selects.count()):
            selects.nth(index).select_option(index=1)
    else:
        box.get_by_role("textbox").fill("5")


def open_first_module_quiz(page, module_title: str) -> None:
    """From 「我的学习」 to a module's page (by the course page), then to its quiz's page."""
    nav_to(page, "我的学习")
    study_item(page).get_by_role("link", name=re.compile(COURSE)).click()
    page.locator(".course-outline").get_by_role("link", name=module_title).click()
    page.locator("#module-quiz").get_by_role("link", name="测验说明与作答记录").click()


def test_member_takes_a_timed_quiz_reloads_midway_and_sees_the_review(page):
    login(page, member(page, "timed_quiz"))
    open_first_module_quiz(page, "制度优势的体现")
    expect(page.get_by_role("heading", name=TIMED_QUIZ, level=1)).to_be_visible()
    expect(page.get_by_text("时间限制：15 分钟")).to_be_visible()
    check_page(page, "quiz")
    page.get_by_role("button", name="开始作答").click()

    expect(page.get_by_role("timer")).to_contain_text(re.compile(r"1[45]:\d\d"))
    questions = page.locator("fieldset.question")
    expect(questions).to_have_count(10)
    check_page(page, "attempt")

    # Half the questions, then wait for the autosave that carries all five (quiz.js saves
    # shortly after a change): what the member sees as 「已于 … 保存。」.
    first_half = [questions.nth(index) for index in range(5)]
    fields = [box.locator("[name^=q]").first.get_attribute("name") for box in first_half]

    def carries_all(response) -> bool:
        sent = response.request.post_data or ""
        return "/autosave" in response.url and all(f"{field}=" in sent for field in fields)

    for box in first_half[:-1]:
        answer_question(box)
    with page.expect_response(carries_all) as saved:
        answer_question(first_half[-1])
    assert saved.value.ok
    expect(page.locator("#autosave-status")).to_contain_text(re.compile(r"已于 .+ 保存"))
    expect(page.locator("#answered-count")).to_have_text("已答：5 / 10")
    before = page.evaluate(FORM_VALUES)

    page.reload()
    expect(page.locator("#answered-count")).to_have_text("已答：5 / 10")
    assert page.evaluate(FORM_VALUES) == before, "answers lost in the reload"
    navigator = page.get_by_role("navigation", name="题目")
    for number in range(1, 6):
        expect(navigator.get_by_role("link", name=f"第 {number} 题，已作答")).to_be_visible()
    expect(page.get_by_role("timer")).to_contain_text(re.compile(r"1[45]:\d\d"))

    for index in range(5, 10):
        answer_question(questions.nth(index))
    expect(page.locator("#answered-count")).to_have_text("已答：10 / 10")
    page.get_by_role("button", name="结束作答…").click()

    expect(page.get_by_role("heading", name="结束第 1 次作答？")).to_be_visible()
    expect(page.get_by_text("所有题目均已作答。")).to_be_visible()
    check_page(page, "finish")
    page.get_by_role("button", name="全部提交并结束").click()

    expect(page.get_by_role("alert").filter(has_text="您的作答已提交。")).to_be_visible()
    expect(page.locator(".attempt-result")).to_contain_text("及格线")
    # Every question comes back with its verdict: none of them unanswered.
    expect(page.locator(".review-question")).to_have_count(10)
    expect(page.locator(".review-question .slot-state")).to_have_count(10)
    expect(page.locator(".review-question .slot-state").filter(has_text="未作答")).to_have_count(0)
    check_page(page, "review")


# --- 3. a post in the group thread ----------------------------------------------------------


def test_member_posts_in_the_group_thread(page):
    login(page, member(page, "group_post"))
    name = re.fullmatch(r"欢迎您，(.+)。", page.get_by_text(re.compile("^欢迎您")).inner_text())[1]
    nav_to(page, "我的学习")
    study_item(page).get_by_role("link", name=re.compile(COURSE)).click()
    page.locator(".course-outline").get_by_role("link", name=FIRST_MODULE).click()
    expect(page.get_by_role("heading", name=FIRST_MODULE, level=1)).to_be_visible()
    page.locator("#module-discussion").get_by_role("link", name=GROUP_THREAD).click()

    expect(page.get_by_role("heading", name=GROUP_THREAD, level=1)).to_be_visible()
    check_page(page, "thread")
    text = f"我也报名！周六上午可以去社区图书室帮忙。（{page.viewport_name}）"
    page.get_by_label("你的帖子").fill(text)
    page.get_by_role("button", name="发表").click()

    mine = page.locator("article.post").filter(has_text=text)
    expect(mine).to_be_visible()
    expect(mine.locator("header")).to_contain_text(name)
    check_page(page, "thread-posted")


# --- 4. a quiz with the keyboard alone ------------------------------------------------------

# 「单元测验：青年在抗疫中的担当」, one question a page, in this order (quizzes/demo.py), with
# the answers given: the option or options to choose, the text to type, or for the matching
# question each item's answer. Options are shuffled per attempt, so they are found by text.
KEYBOARD_ANSWERS = [
    ("single", "专业报国"),
    ("multiple", ["不信谣、不传谣", "做好个人防护"]),
    ("single", "正确"),
    ("matching", {"挺身而出": "在人手最紧的时候报名志愿服务", "专业报国": "用专业所学解决实际问题",
                  "守好本分": "不信谣、不传谣，做好个人防护", "温暖他人": "给独居老人打一个电话"}),
    ("text", "测温点"),
    ("text", "4"),
    ("single", "广州"),
    ("single", "正确"),
    ("text", "后备军"),
    ("text", "1919"),
]

IS_FOCUSED = "el => el === document.activeElement"
FOCUS_SHOWN = """() => {
    const el = document.activeElement, style = getComputedStyle(el);
    return el.matches(':focus-visible') && (
        (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
        || style.boxShadow !== 'none');
}"""


def tab_to(page, target, *, key: str = "Tab", limit: int = 40) -> None:
    """Press Tab (or `key`) until `target` has the focus, then check the focus can be seen."""
    for _ in range(limit):
        page.keyboard.press(key)
        if target.evaluate(IS_FOCUSED):
            assert page.evaluate(FOCUS_SHOWN), f"no visible focus on {target}"
            return
    raise AssertionError(f"{limit} x {key} never reached {target}")


def skip_to_content(page) -> None:
    """The first Tab of a page reaches 「跳到正文」; Enter follows it past the header."""
    skip = page.get_by_role("link", name="跳到正文")
    tab_to(page, skip, limit=1)
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("#main$"))


def option_index(options, text: str) -> int:
    """Where the option labelled `text` stands in the (shuffled) list."""
    labels = [label.strip() for label in options.evaluate_all(
        "els => els.map(el => el.labels[0].innerText)")]
    return labels.index(text)


def keyboard_answer(page, box, kind: str, answer) -> None:
    """Answer one question from the keyboard: arrows in a radio group, Space on checkboxes,
    arrows in each list box, typing in a text field."""
    if kind == "single":
        radios = box.get_by_role("radio")
        tab_to(page, radios.first)  # Tab enters an unanswered group on its first option
        steps = option_index(radios, answer)
        for _ in range(steps):
            page.keyboard.press("ArrowDown")  # moves and chooses
        if not steps:
            page.keyboard.press("Space")
        expect(radios.nth(steps)).to_be_checked()
        expect(radios.nth(steps)).to_be_focused()
    elif kind == "multiple":
        boxes = box.get_by_role("checkbox")
        wanted = {option_index(boxes, text) for text in answer}
        for index in range(boxes.count()):
            tab_to(page, boxes.nth(index), limit=40 if index == 0 else 1)
            if index in wanted:
                page.keyboard.press("Space")
        for index in range(boxes.count()):
            expect(boxes.nth(index)).to_be_checked(checked=index in wanted)
    elif kind == "matching":
        for item, choice in answer.items():
            select = box.get_by_label(item, exact=True)
            tab_to(page, select, limit=4)
            choices = select.evaluate("el => [...el.options].map(o => o.text)")
            for _ in range(choices.index(choice)):
                page.keyboard.press("ArrowDown")
            expect(select.locator("option:checked")).to_have_text(choice)
    else:
        field = box.get_by_role("textbox")
        tab_to(page, field)
        page.keyboard.type(answer)
        expect(field).to_have_value(answer)


def test_member_completes_a_quiz_with_the_keyboard_alone(page):
    login(page, member(page, "keyboard_quiz"))
    open_first_module_quiz(page, FIRST_MODULE)
    expect(page.get_by_role("heading", name=KEYBOARD_QUIZ, level=1)).to_be_visible()
    check_page(page, "quiz")

    # From here on, only the keyboard.
    skip_to_content(page)
    tab_to(page, page.get_by_role("button", name="开始作答"))
    page.keyboard.press("Enter")

    for number, (kind, answer) in enumerate(KEYBOARD_ANSWERS, start=1):
        box = page.get_by_role("group", name=re.compile(rf"^第 {number} 题"))
        expect(box).to_be_visible()
        skip_to_content(page)
        keyboard_answer(page, box, kind, answer)
        if number == 1:
            shot(page, "keyboard-focus")
        if number < len(KEYBOARD_ANSWERS):
            # After the answer, the next Tab is 「下一页」: nothing sits between.
            next_page = page.get_by_role("button", name="下一页")
            tab_to(page, next_page, limit=1)
            page.keyboard.press("Enter")
            expect(page).to_have_url(re.compile(rf"page={number + 1}"))
    # The last page: Enter in the text field would only save, so Tab on to 「结束作答…」,
    # past 「保存答案」 and 「上一页」 (which is shown first but comes after in the tab order);
    # Shift+Tab back and forth proves the focus is not trapped.
    finish = page.get_by_role("button", name="结束作答…")
    tab_to(page, finish, limit=4)
    tab_to(page, page.get_by_role("button", name="上一页"), key="Shift+Tab", limit=1)
    tab_to(page, finish, limit=1)
    page.keyboard.press("Enter")

    expect(page.get_by_text("所有题目均已作答。")).to_be_visible()
    submit = page.get_by_role("button", name="全部提交并结束")
    skip_to_content(page)
    tab_to(page, submit)
    page.keyboard.press("Enter")

    # The attempt is finished with exactly the answers given: every one right.
    expect(page.get_by_role("alert").filter(has_text="您的作答已提交。")).to_be_visible()
    expect(page.locator(".attempt-percent")).to_have_text("100%")
    verdicts = page.locator(".review-question .slot-state")
    expect(verdicts).to_have_count(len(KEYBOARD_ANSWERS))
    expect(verdicts.filter(has_text=re.compile("^正确$"))).to_have_count(len(KEYBOARD_ANSWERS))
    shot(page, "review")

