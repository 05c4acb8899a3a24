"""Demo data for courses: a campaign course, an assignment and some progress.

Idempotent: when the demo course already exists nothing is added (the demo command runs as one
transaction, so the course exists only together with everything below). The study texts are
written for this demo in our own words; they quote no real speech or letter.
"""

import io
import struct
import zlib
from datetime import timedelta

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from courses import progress
from courses.catalog.attachments import save_upload
from courses.models import Assignment, Course, Module, Progress
from courses.offline import services as offline
from learning.accounts.models import User
from learning.dbtypes import utcnow
from learning.demo import COMMITTEE
from learning.extensions import db
from learning.markup import render_markdown
from learning.orgs.models import OrgUnit

COURSE_TITLE = "绽放战疫青春·坚定制度自信"
COURSE_SUMMARY = ("本专题围绕抗疫斗争中青年的表现和我国制度优势展开，分四个学习单元，"
                  "适合在手机上利用碎片时间学习，也可在学习小组的线下学习中集中研讨。")

# The second module shows what lessons hold in practice and must still fit a phone (issue 18):
# a 1600 px poster attached to the module, a 30-column table and a 300-character link.
POSTER_MODULE = 1
POSTER_SIZE = (1600, 900)
_WIDE_TABLE = "\n".join([
    "| 支部 | " + " | ".join(f"第{day}天" for day in range(1, 30)) + " |",
    "|---" * 30 + "|",
    *("| " + unit + " | " + " | ".join(str((day * 7 + row * 3) % 10 + 20) for day in range(1, 30))
      + " |" for row, unit in enumerate(("第一团支部", "第二团支部", "第三团支部")))])
_LONG_URL = "https://xuexi.example.org.cn/ziliao/" + "zhiduyoushi-" * 22 + "2020.html"
MODULES = [
    ("青年在抗疫中的担当", 8, "reading", """\
## 学习导语

疫情面前，许多平日里被认为“还是孩子”的年轻人，主动站到了最需要人的地方。
这一单元请大家回顾身边的青年故事，想一想：担当从哪里来？

## 身边的身影

> 那段日子里，社区门口的测温点、物资转运站的货架旁、线上辅导的屏幕前，
> 到处都有青年志愿者的身影。他们中有人第一次穿上防护服，手脚并不熟练，
> 却坚持把每一项流程做细做实；有人白天上网课，晚上帮老人登记信息、代购药品；
> 还有人把专业所学变成了一张张清晰的防护指南。没有人要求他们必须这样做，
> 可他们觉得，这就是自己应该做的事。
>
> ——本平台编写的学习材料

## 担当的几种样子

- **挺身而出**：在人手最紧的时候报名志愿服务，服从安排、不讲条件；
- **专业报国**：医学、信息、物流等专业的同学用所学解决实际问题；
- **守好本分**：不信谣、不传谣，做好个人防护，本身就是对大局的贡献；
- **温暖他人**：给独居老人打一个电话，给一线人员的孩子辅导一次功课。

## 思考题

1. 你身边有哪些让你印象深刻的青年故事？
2. 如果再遇到类似的困难，你能做些什么？
"""),
    ("制度优势的体现", 10, "reading", """\
## 学习导语

一场大考，检验的不只是个人，也是一个国家的组织能力和动员能力。
本单元从几个具体方面梳理我们在抗疫中看到的制度优势。

## 从具体事例看优势

> 当一个地方告急，四面八方的医疗力量能够在很短时间内集结；
> 当物资紧张，生产线可以迅速转产、扩产，运输线路被优先保障；
> 当需要每一个人配合，城乡社区的网格把关心和服务送到每一户人家。
> 这些看似寻常的安排背后，是集中力量办大事的组织方式，
> 是以人民为中心的价值追求，也是上下贯通、令行禁止的执行体系。
>
> ——本平台编写的学习材料

## 要点梳理

| 方面 | 我们看到的表现 |
|---|---|
| 统一指挥 | 各方力量统筹调度，行动步调一致 |
| 全民动员 | 社区、单位、家庭层层落实防控要求 |
| 人民至上 | 不放弃每一位患者，救治费用有保障 |
| 科技支撑 | 检测、研发、信息化手段快速跟进 |

## 学习海报

![学习海报：制度优势的体现](poster.png)

## 各支部打卡情况（宽表格示例）

""" + _WIDE_TABLE + """

相关资料见：""" + _LONG_URL + """

## 学习提示

- 结合自己所在学校、社区的经历谈体会，避免空泛；
- 既看到成绩，也要理性认识工作中需要改进的地方；
- 把“制度自信”落实到学好本领、遵规守纪的具体行动上。
"""),
    ("给医疗队青年党员回信的学习体会", 8, "quiz", """\
## 学习导语

抗疫期间，一支高校附属医院医疗队的青年党员收到了回信，这件事在青年中引起了热烈反响。
本单元不摘录原文，而是整理团员青年们交流时的学习体会，供大家讨论时参考。

## 一位团员的学习笔记（示例）

> 读到回信的消息时，我想到的是那些和我年纪相仿的医护人员。
> 他们也会害怕，也会想家，可在病房里，他们把恐惧放在一边，
> 把患者的需要放在前面。回信让我明白，青年一代并不是被保护的一代，
> 而是能够扛起责任的一代。对我来说，学习体会不能只停留在感动，
> 更要落到行动：把专业课学扎实，把志愿服务坚持下去，
> 在需要的时候，也能像他们一样站出来。
>
> ——示例笔记，由本平台编写

## 交流时可以谈的角度

1. 回信所体现的对青年的信任和期望；
2. 青年党员、团员在急难险重任务中的表率作用；
3. 把个人理想融入国家发展的意义；
4. 自己准备在学习和工作中做出哪些改变。

## 小组讨论建议

- 每人发言控制在三分钟以内，先谈一个具体细节，再谈感受；
- 组长记录要点，线下学习结束后在平台上登记参加人员。
"""),
    ("新时代青年的使命", 6, "confirm", """\
## 学习导语

抗疫的经历让很多青年重新思考：自己要成为怎样的人，要为社会做些什么。
本单元是专题的小结，读完后请点击“我已学习”确认。

## 我们的共识

> 青春的价值，不在于经历过多少顺境，而在于困难来临时能不能站得住、顶得上。
> 新时代的青年，既要有仰望星空的理想，也要有脚踏实地的本领；
> 既要敢于在关键时刻挺身而出，也要甘于在平凡岗位上日复一日地坚持。
> 把今天的学习、明天的工作与国家和人民的需要联系在一起，
> 这就是我们这一代人的使命和担当。
>
> ——本平台编写的学习材料

## 行动清单

- [ ] 制定一份本学期的学习计划，写清楚要掌握的本领；
- [ ] 参加至少一次志愿服务或社会实践；
- [ ] 在学习小组中分享一次自己的学习体会；
- [ ] 关心身边需要帮助的同学和邻里。

## 结语

学习不是任务的终点，而是行动的起点。希望大家把本专题的收获带到日常之中。
"""),
]


def poster_png(width: int, height: int) -> bytes:
    """A plain PNG poster of the given size (red and gold bands), made without an image library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = []
    for y in range(height):
        band = (y * 6 // height) % 2
        colour = bytes((200, 16, 46)) if band == 0 else bytes((255, 204, 0))
        rows.append(b"\x00" + colour * width)  # filter byte 0, then RGB pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))


def load(logins: list) -> None:
    """Add the demo course (idempotently); may append (role, username, password) to logins."""
    if db.session.scalar(select(Course.id).where(Course.title == COURSE_TITLE)) is not None:
        return
    committee = db.session.scalar(
        select(OrgUnit).where(OrgUnit.name == COMMITTEE, OrgUnit.parent_id.is_(None)))
    if committee is None:  # the core demo did not run: nothing to attach the course to
        return
    now = utcnow()
    course = Course(title=COURSE_TITLE, summary=COURSE_SUMMARY, published=True, position=0)
    db.session.add(course)
    db.session.flush()
    modules = []
    for position, (title, minutes, rule, body) in enumerate(MODULES):
        module = Module(course_id=course.id, title=title, body_md=body,
                        body_html=str(render_markdown(body)), estimated_minutes=minutes,
                        position=position, completion_rule=rule, published=True)
        db.session.add(module)
        modules.append(module)
    db.session.flush()
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    # Attaching the poster renders the module's body again, now showing it.
    save_upload(FileStorage(io.BytesIO(poster_png(*POSTER_SIZE)), filename="poster.png",
                            content_type="image/png"),
                course=course, module=modules[POSTER_MODULE], actor=admin)
    db.session.add(Assignment(
        course_id=course.id, unit_id=committee.id, title="第1期",
        starts_at=now - timedelta(days=3), due_at=now + timedelta(days=7),
        created_by_id=getattr(admin, "id", None)))

    users = {u.username: u for u in db.session.scalars(
        select(User).where(User.username.like("m0%")))}
    _progress(users, modules, now)
    _offline_lesson(users, modules)


def _progress(users: dict, modules: list, now) -> None:
    """Some members finished modules by reading, some are part-way through one."""
    def ids(names):
        return [users[n].id for n in names if n in users]

    for index, names in enumerate([
        ["m002", "m003", "m004", "m012", "m013", "m022", "m032"],  # module 1 read
        ["m002", "m003", "m012", "m022"],                           # module 2 read
    ]):
        module = modules[index]
        at = now - timedelta(days=2 - index, hours=3)
        progress.complete_many(ids(names), [module.id], "reading", at=at)
        db.session.execute(
            Progress.__table__.update()
            .where(Progress.module_id == module.id, Progress.user_id.in_(ids(names)))
            .values(first_opened_at=at - timedelta(minutes=module.estimated_minutes),
                    last_seen_at=at, seconds_spent=module.estimated_minutes * 60))
    in_progress = ids(["m005", "m014", "m023", "m033"])
    progress.ensure_rows(in_progress, [modules[0].id])
    db.session.execute(
        Progress.__table__.update()
        .where(Progress.module_id == modules[0].id, Progress.user_id.in_(in_progress),
               Progress.completed_at.is_(None))
        .values(first_opened_at=now - timedelta(hours=5), last_seen_at=now - timedelta(hours=4),
                seconds_spent=180))
    progress.rebuild_rollups(modules[0].course_id)  # the progress above was written directly


def _offline_lesson(users: dict, modules: list) -> None:
    """m001 recorded a lesson of 第一学习小组 on module 3 (completing it via offline)."""
    leader = users.get("m001")
    group = db.session.scalar(select(OrgUnit).where(OrgUnit.name == "第一学习小组"))
    if leader is None or group is None:
        return
    attendees = [users[n].id for n in ("m001", "m002", "m003", "m004", "m005", "m006", "m007")
                 if n in users]
    offline.record_lesson(group, offline.LessonInput(
        held_on=utcnow().date() - timedelta(days=1), place="学生活动中心 203 室",
        topic="读回信、谈体会——第一学习小组线下学习",
        notes="组长领学，每人发言三分钟，围绕“青年一代能够扛起责任”展开讨论。",
        module_ids=[modules[2].id], attendee_ids=attendees), leader)
