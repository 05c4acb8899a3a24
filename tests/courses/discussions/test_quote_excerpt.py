"""Replies quote a short excerpt of the post they answer, the same on the page and in the API
(issue 18, item 7): one length, services.QUOTE_CHARS, through HTTP on both engines."""

import html
import re

from courses.discussions.services import QUOTE_CHARS
from tests.courses.discussions.test_api import as_user, new_thread, reply

LONG = "第一段 **重点** " + "学习体会" * 100 + "\n\n第二段"


def test_the_quote_is_a_short_excerpt_and_pages_and_api_agree(client, world):
    headers = as_user(client, "member")
    thread = new_thread(client, headers, world.module_id, title="长帖", body=LONG).get_json()
    parent_id = client.get(f"/api/v1/threads/{thread['id']}").get_json()["posts"][0]["id"]
    headers = as_user(client, "peer")
    answered = reply(client, headers, thread["id"], "同意", parent_id=parent_id)
    assert answered.status_code == 201, answered.get_json()
    excerpt = answered.get_json()["parent"]["excerpt"]
    assert len(excerpt) == QUOTE_CHARS and excerpt.startswith("第一段 重点 学习体会")
    assert excerpt.endswith("…") and "**" not in excerpt and "第二段" not in excerpt

    page = client.get(f"/threads/{thread['id']}").get_data(as_text=True)
    [quote] = re.findall(r'<blockquote[^>]*post-quote">(.*?)</blockquote>', page, re.S)
    assert html.unescape(quote).split(":", 1)[1].strip() == excerpt
