"""Audio and video attachments as players: their duration, poster, captions, the module's video.

Conventions for authors: `![text](clip.mp4)` in a module body names an attachment of the module
by file name and becomes a player at save time; an image attachment with the same base name
(clip.jpg) is its poster, a WebVTT attachment with the same base name (clip.vtt, or clip.zh.vtt)
its captions. The module's video, the one the watched rules measure, is its first video
attachment with a known duration (else its first such audio attachment).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import av
from sqlalchemy import select

from courses.models import Attachment
from learning.extensions import db
from learning.markup import MediaSource

CAPTION_TYPE = "text/vtt"


def is_media(content_type: str) -> bool:
    """Whether an attachment of this type plays in a player."""
    return content_type.startswith(("video/", "audio/"))


def probe_duration(path: Path) -> float | None:
    """Seconds of an audio or video file, read by FFmpeg's libraries (PyAV); None if unknown."""
    try:
        with av.open(str(path)) as container:
            if container.duration:
                return container.duration / av.time_base
            seconds = [float(s.duration * s.time_base) for s in container.streams
                       if s.duration and s.time_base]
            return max(seconds) if seconds else None
    except (av.FFmpegError, OSError, ValueError):
        return None


def _stem(name: str) -> str:
    # "clip.zh.vtt" captions "clip.mp4": the base name is what precedes the first dot.
    return PurePosixPath(name).name.split(".", 1)[0].casefold()


def file_url(attachment: Attachment) -> str:
    """The attachment's address, the same as catalog.file gives, without a request context."""
    from urllib.parse import quote

    return f"/files/{attachment.id}/{quote(attachment.original_name)}"


def media_sources(attachments: list[Attachment]) -> dict[str, MediaSource]:
    """File name -> player of a module's audio and video attachments, or image of its image
    attachments, for render_markdown."""
    posters, captions = {}, {}
    for attachment in attachments:
        stem = _stem(attachment.original_name)
        if attachment.content_type.startswith("image/"):
            posters.setdefault(stem, file_url(attachment))
        elif attachment.content_type == CAPTION_TYPE:
            captions.setdefault(stem, []).append((file_url(attachment),
                                                  attachment.original_name))
    sources = {}
    for attachment in attachments:
        if attachment.content_type.startswith("image/"):
            # `![](poster.png)` shows the module's own image (learning.markup wraps it in a link).
            sources[attachment.original_name] = MediaSource(kind="image", url=file_url(attachment),
                                                            content_type=attachment.content_type)
        elif is_media(attachment.content_type):
            stem = _stem(attachment.original_name)
            sources[attachment.original_name] = MediaSource(
                kind="video" if attachment.content_type.startswith("video/") else "audio",
                url=file_url(attachment), content_type=attachment.content_type,
                poster=posters.get(stem), captions=tuple(captions.get(stem, ())))
    return sources


def module_attachments(module_id: int | None) -> list[Attachment]:
    """A module's own attachments in upload order."""
    if module_id is None:
        return []
    return list(db.session.scalars(select(Attachment).where(
        Attachment.module_id == module_id, Attachment.purpose == "module")
        .order_by(Attachment.id)))


def module_media(module_id: int | None) -> dict[str, MediaSource]:
    """media_sources of a module, read from the database."""
    return media_sources(module_attachments(module_id))


def lesson_video(attachments: list[Attachment]) -> Attachment | None:
    """The attachment the watched rules measure: the first video with a known duration, else
    the first audio with one."""
    timed = [a for a in attachments if is_media(a.content_type) and a.duration_seconds]
    videos = [a for a in timed if a.content_type.startswith("video/")]
    return (videos or timed or [None])[0]
