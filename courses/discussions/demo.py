"""Demo data for discussions: threads with replies on the demo modules, in both scopes.

Module-wide threads, group threads in three study groups (two of them pinned 「小组学习话题」 opened
by the group leader), replies that quote the post they answer, an @mention, a post hidden by a
branch secretary with a reason, and one open report waiting in the queue.

Idempotent as courses.demo is: when a thread exists on the demo course nothing is added (the demo
command runs as one transaction, so the threads exist only together with everything below). Runs
after courses.demo, whose modules it needs. Every post goes through the real services (counts,
read markers, notifications, moderation); afterwards the posts are spread over the last two days
so that the lists read like a real discussion.
"""

from datetime import timedelta

from sqlalchemy import select, update

from courses.demo import COURSE_TITLE
from courses.discussions import services
from courses.discussions.models import Post, Thread
from courses.models import Course, Module
from learning.accounts.models import User
from learning.dbtypes import utcnow
from learning.extensions import db
from learning.orgs.models import OrgUnit

# Each thread: the module's position, the group (None: module-wide), whether it is a group
# lesson topic, its title, and its posts in order as (key, author, key of the post answered,
# text). The first post is the thread's opening post.
THREADS = [
    {"module": 0, "group": None, "topic": False, "title": "身边的青年志愿者故事", "posts": [
        ("story", "m002", None,
         "我们小区门口的测温点，连续两个月都是几位大学生志愿者在值守。"
         "他们每天提前半小时到岗，把登记表格做得清清楚楚，还主动帮老人代购药品。\n\n"
         "大家身边有哪些让你印象深刻的青年故事？欢迎分享。"),
        ("nurse", "m013", "story",
         "我表姐是一名护士，疫情最紧张的时候主动报名去了定点医院。"
         "她说第一次穿防护服时手都在抖，可一进病房就顾不上害怕了。"),
        ("salute", "m027", "nurse", "向你表姐致敬！**担当不是不害怕，而是害怕了也不退。**"),
        ("courier", "m035", None,
         "@m002 你说的测温点让我想起我们楼下的快递小哥：他每天把快递分门别类放好，"
         "还在群里提醒大家错峰取件。平凡岗位上的坚持，也是一种担当。"),
        ("advert", "m024", None, "低价代写各类学习心得、思想汇报，三小时交稿，有意者私信。"),
        ("thanks", "m003", "story",
         "谢谢分享！我们学院的同学还做了一份《居家防护小贴士》，用漫画讲清楚了洗手和戴口罩的步骤。"),
    ], "hide": ("advert", "zhishu2", "与学习交流无关的广告信息。")},
    {"module": 1, "group": None, "topic": False, "title": "制度优势：我印象最深的一点",
     "posts": [
        ("opening", "m012", None,
         "读完本单元，我印象最深的是**集中力量办大事**：医疗力量能在很短时间内集结，"
         "生产线可以迅速转产。大家印象最深的是哪一点？"),
        ("people", "m004", "opening",
         "我想到的是“人民至上”：不放弃每一位患者，救治费用有保障。这是很多人最直接的感受。"),
        ("grid", "m033", None,
         "补充一点：社区网格化管理让关心和服务送到每一户。我们学校所在的街道，"
         "每栋楼都有联络员。"),
        ("offtopic", "m014", None, "有没有人能分享一下网课的资料包？链接发我一下，谢谢。"),
        ("agree", "m005", "people", "同意！而且这份保障是写进制度里的，不是临时的善意。"),
    ], "report": ("offtopic", "m005", "与本话题无关，应到资料区询问。")},
    {"module": 2, "group": "第一学习小组", "topic": True,
     "title": "小组学习话题：读回信、谈体会", "posts": [
        ("prompt", "m001", None,
         "本周线下学习前，请大家先在这里写下自己的学习体会（三五句话即可）：\n\n"
         "1. 回信中哪一句话让你印象最深？\n"
         "2. 你准备在学习和工作中做出哪些改变？\n\n"
         "线下学习时我们会请几位同学展开讲讲。"),
        ("generation", "m002", "prompt",
         "印象最深的是“青年一代能够扛起责任”。我准备把专业课学扎实，"
         "这学期至少参加两次志愿服务。"),
        ("action", "m003", "generation",
         "和你想的一样！我还想把志愿服务的经历整理成一份小结，在小组里分享。"),
        ("plan", "m006", None, "我准备从身边做起：每周给独居的奶奶打一次电话，帮她网上买菜。"),
        ("leader", "m001", "action", "这个想法很好，线下学习时请你先讲五分钟。"),
    ]},
    {"module": 3, "group": "第二学习小组", "topic": True,
     "title": "小组学习话题：我的行动清单", "posts": [
        ("prompt", "m011", None,
         "读完专题小结，请每位同学列出自己的**行动清单**（至少两条），月底我们一起回顾完成情况。"),
        ("list", "m015", "prompt",
         "- 制定本学期学习计划，每周复盘一次\n- 参加一次社区志愿服务"),
        ("list2", "m016", "prompt", "- 读完一本党史团史读物\n- 在小组分享一次学习体会"),
    ]},
    {"module": 0, "group": "第三学习小组", "topic": False,
     "title": "第三小组：我们能为社区做些什么", "posts": [
        ("idea", "m023", None,
         "结合本单元的学习，我想和大家商量：这个月我们小组能不能一起参加一次社区服务？"),
        ("library", "m025", "idea", "可以去社区图书室帮忙整理图书，顺便给小朋友讲讲故事。"),
        ("leader", "m021", "idea",
         "赞成。我来联系社区，大家在这里报名，周五前确定时间。@m025 图书室的想法很好。"),
        ("signup", "m026", "leader", "报名！周六上午我都有空。"),
    ]},
]
START_DAYS_AGO = 2
STEP = timedelta(minutes=47)


def load(logins: list) -> None:
    """Add the demo threads (idempotently); `logins` is not changed."""
    course = db.session.scalar(select(Course).where(Course.title == COURSE_TITLE))
    if course is None:  # the courses demo did not run: nothing to discuss
        return
    modules = list(db.session.scalars(
        select(Module).where(Module.course_id == course.id).order_by(Module.position)))
    if not modules or db.session.scalar(select(Thread.id).where(
            Thread.module_id.in_([m.id for m in modules])).limit(1)) is not None:
        return
    names = {author for spec in THREADS for _key, author, _parent, _text in spec["posts"]}
    names |= {spec[key][1] for spec in THREADS for key in ("hide", "report") if key in spec}
    users = {u.username: u for u in db.session.scalars(
        select(User).where(User.username.in_(sorted(names))))}
    at = utcnow() - timedelta(days=START_DAYS_AGO)
    for spec in THREADS:
        if spec["module"] >= len(modules) or any(
                author not in users for _key, author, _parent, _text in spec["posts"]):
            continue
        at = _thread(spec, modules[spec["module"]], users, at)


def _thread(spec: dict, module: Module, users: dict, at):
    """Open one thread and write its posts; returns the time after its last post."""
    unit = None
    if spec["group"] is not None:
        unit = db.session.scalar(select(OrgUnit).where(OrgUnit.name == spec["group"]))
        if unit is None:
            return at
    (first_key, first_author, _none, first_text), *replies = spec["posts"]
    thread = services.create_thread(
        users[first_author], module, spec["title"], first_text,
        scope="group" if unit is not None else "module", unit=unit,
        kind="lesson_topic" if spec["topic"] else "discussion")
    posts = {first_key: db.session.scalar(
        select(Post).where(Post.thread_id == thread.id).order_by(Post.id).limit(1))}
    for key, author, parent, text in replies:
        posts[key] = services.add_post(users[author], thread, text, posts.get(parent))
    times = {}
    for key, _author, _parent, _text in spec["posts"]:
        times[key] = at
        at += STEP
    _spread(thread, posts, times)
    if "hide" in spec:
        key, moderator, reason = spec["hide"]
        if moderator in users:
            services.hide_post(users[moderator], posts[key], reason)
    if "report" in spec:
        key, reporter, reason = spec["report"]
        if reporter in users:
            report = services.report_post(users[reporter], posts[key], reason)
            report.created_at = times[key] + STEP / 2
    db.session.flush()
    return at


def _spread(thread: Thread, posts: dict, times: dict) -> None:
    """Give the posts the times of a discussion that went on for hours (the services wrote
    them all at once), and the thread its first and newest post times."""
    for key, post in posts.items():
        db.session.execute(update(Post).where(Post.id == post.id).values(created_at=times[key])
                           .execution_options(synchronize_session=False))
        db.session.expire(post)
    db.session.execute(
        update(Thread).where(Thread.id == thread.id)
        .values(created_at=min(times.values()), last_post_at=max(times.values()))
        .execution_options(synchronize_session=False))
    db.session.expire(thread)
