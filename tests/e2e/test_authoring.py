"""An admin's authoring in the browser (issue 18, item 8): the module editor's toolbar writes
Markdown at the cursor, "insert image or file" uploads an attachment and inserts its reference,
and the preview beside the text (under it on a phone) follows, rendered by the server.

Nothing is saved: the demo module's text stays as it was for the other flows. The upload adds
an attachment named after the viewport to the last demo module, which no other flow reads.
"""

import re
import struct
import zlib

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import check_page, login, shot

COURSE = "绽放战疫青春·坚定制度自信"
MODULE = "新时代青年的使命"


def png(width: int, height: int) -> bytes:
    """A plain red PNG of the given size, made here (no image library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = b"".join(b"\x00" + b"\xdc\x35\x45" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                            0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.mark.usefixtures("live_server")
def test_admin_formats_a_module_and_sees_the_preview(page, tmp_path):
    size = page.viewport_name
    login(page, "admin")
    page.goto("/admin/courses/")
    page.get_by_role("link", name=COURSE).click()
    page.get_by_role("link", name=MODULE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(MODULE)

    text = page.get_by_role("textbox", name="正文（Markdown）")
    preview = page.get_by_role("region", name="正文（Markdown）的预览")
    toolbar = page.get_by_role("group", name="正文（Markdown）的格式")
    expect(preview.locator("h2").first).to_be_visible()  # the stored text, previewed on load
    check_page(page, "module-editor")

    # Beside the text on a desktop, under it on a phone.
    box, shown = text.bounding_box(), preview.bounding_box()
    if size == "desktop":
        assert shown["x"] >= box["x"] + box["width"] and abs(shown["y"] - box["y"]) < 40
    else:
        assert shown["y"] >= box["y"] + box["height"]

    text.click()
    text.press("Control+End")
    text.press_sequentially("\n\n浏览器测试：")
    toolbar.get_by_role("button", name="加粗").click()
    page.keyboard.type(f"重点{size}")
    expect(preview.locator("strong", has_text=f"重点{size}")).to_be_visible()

    toolbar.get_by_role("button", name="表格").click()
    page.keyboard.type("单位")  # replaces the first heading cell, which the button selects
    expect(preview.locator("table th").first).to_have_text("单位")
    typed = f"浏览器测试：**重点{size}**\n\n| 单位 | 列 2 |"
    expect(text).to_have_value(re.compile(re.escape(typed)))

    text.press("Control+End")  # below the table: an image inside it would split it
    poster = tmp_path / f"海报-{size}.png"
    poster.write_bytes(png(1600, 400))
    with page.expect_file_chooser() as chooser:
        toolbar.get_by_role("button", name="插入图片或文件").click()
    chooser.value.set_files(str(poster))
    expect(page.locator("[data-md-status]")).to_have_text(f"已上传并插入 海报-{size}.png。")
    image = preview.get_by_role("img", name=f"海报-{size}.png")
    expect(image).to_be_visible()
    # A 1600 px poster scales to the preview's width.
    assert image.bounding_box()["width"] <= preview.bounding_box()["width"]
    shot(page, "module-editor-typed")
    check_page(page, "module-editor-typed")
