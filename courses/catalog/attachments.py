"""Attachments on disk: content sniffing, size limit, storage under UPLOAD_DIR, removal.

Files live at `UPLOAD_DIR/attachments/<stored_name>`, a random name, never the uploader's file
name. The type is decided from the first bytes of the content; the name's extension is ignored.
Disk and database are kept in step with the transaction: a file written for a request that
rolls back is removed, and a deleted attachment's file is removed only once the delete commits.
"""

import hashlib
import secrets
from pathlib import Path

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session

from courses.catalog.services import refresh_body
from courses.models import Attachment, Course, Module
from courses.video.media import is_media, probe_duration
from learning.audit.services import record
from learning.extensions import db
from learning.uploads import file_name_error

CHUNK = 1024 * 1024

# What the types are called in messages (the content type is what is stored and served).
ALLOWED_TYPES = {
    "image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WebP",
    "application/pdf": "PDF", "audio/mpeg": "MP3", "audio/mp4": "M4A", "video/mp4": "MP4",
    "video/webm": "WebM", "audio/ogg": "Ogg", "video/ogg": "Ogg", "audio/wav": "WAV",
    "text/vtt": "WebVTT",
}  # fmt: skip
IMAGE_TYPES = frozenset(t for t in ALLOWED_TYPES if t.startswith("image/"))


class AttachmentError(ValueError):
    """An upload was refused; the message names the file and says why."""


def sniff(head: bytes) -> str | None:
    """The content type of a file from its first bytes, if it is one we accept."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp":
        return "audio/mp4" if head[8:11] in (b"M4A", b"M4B") else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: WebM, or another Matroska file we refuse
        return "video/webm" if b"webm" in head[:64] else None
    if head.startswith(b"OggS"):
        return "video/ogg" if b"\x80theora" in head[:128] else "audio/ogg"
    if head.startswith(b"ID3"):
        return "audio/mpeg"
    if head.removeprefix(b"\xef\xbb\xbf")[:7] in (b"WEBVTT", b"WEBVTT ", b"WEBVTT\n",
                                                  b"WEBVTT\r", b"WEBVTT\t"):
        return "text/vtt"  # captions for a video (courses.video.media)
    # A bare MPEG audio frame: 11 sync bits, MPEG-1/2/2.5, layer III.
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06 == 0x02:
        return "audio/mpeg"
    return None


def max_bytes() -> int:
    """The size limit of one attachment, from ATTACHMENT_MAX_MB."""
    return int(float(current_app.config.get("ATTACHMENT_MAX_MB", 200)) * 1024 * 1024)


def storage_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / "attachments"
    path.mkdir(parents=True, exist_ok=True)
    return path


def attachment_path(attachment: Attachment) -> Path:
    """Where an attachment's bytes are on disk."""
    return Path(current_app.config["UPLOAD_DIR"]) / "attachments" / attachment.stored_name


def _display_name(filename: str | None) -> str:
    # Kept only for display and the download name: no directories, no control characters.
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name or "file"


def _write(stream, name: str) -> tuple[Path, str, int, str, str]:
    """Copy an upload to a new random file: (path, stored_name, size, content type, sha256)."""
    limit = max_bytes()
    stored_name = secrets.token_hex(16)
    path = storage_dir() / stored_name
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with open(path, "xb") as out:
            while chunk := stream.read(CHUNK):
                if len(head) < 512:
                    head += chunk[: 512 - len(head)]
                size += len(chunk)
                if size > limit:
                    raise AttachmentError(_(
                        "%(name)s is larger than %(mb)s MB, the limit for attachments.",
                        name=name, mb=current_app.config.get("ATTACHMENT_MAX_MB", 200)))
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise AttachmentError(_("%(name)s is empty.", name=name))
        content_type = sniff(head)
        if content_type is None:
            raise AttachmentError(_(
                "%(name)s is not a file type we accept (PNG, JPEG, GIF, WebP, PDF, MP3, M4A, "
                "MP4, WebM, Ogg, WAV, WebVTT); the type is read from the file's content, not its "
                "name.",
                name=name))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, stored_name, size, content_type, digest.hexdigest()


def save_upload(upload, *, course: Course, module: Module | None, actor,
                images_only: bool = False) -> Attachment:
    """Store an uploaded file as an attachment of `module`, or as `course`'s cover image."""
    name = _display_name(upload.filename)
    if (message := file_name_error(name)) is not None:  # before anything is written
        raise AttachmentError(message)
    path, stored_name, size, content_type, sha256 = _write(upload.stream, name)
    if images_only and content_type not in IMAGE_TYPES:
        path.unlink(missing_ok=True)
        raise AttachmentError(_("%(name)s is not an image (PNG, JPEG, GIF or WebP).", name=name))
    _remove_on_rollback(path)
    attachment = Attachment(
        course_id=course.id, module_id=module.id if module else None,
        purpose="module" if module else "cover", original_name=name, stored_name=stored_name,
        content_type=content_type, size_bytes=size, sha256=sha256,
        duration_seconds=probe_duration(path) if is_media(content_type) else None,
        uploaded_by_id=getattr(actor, "id", None))
    db.session.add(attachment)
    db.session.flush()
    if module is not None:  # a reference to this file's name in the body becomes a player
        refresh_body(module)
    where = module.title if module else course.title
    record("attachment.upload", {"file": name, "size": size, "place": where},
           target=attachment, actor=actor,
           details={"course_id": course.id, "module_id": attachment.module_id,
                    "purpose": attachment.purpose, "sha256": sha256})
    return attachment


def file_url(attachment: Attachment) -> str:
    """The address an attachment is served at (catalog.file), for links and images."""
    return url_for("catalog.file", attachment_id=attachment.id, name=attachment.original_name)


def markdown_reference(attachment: Attachment) -> str:
    """The Markdown that shows `attachment` in a module body: an image, else a link to it."""
    # Brackets in a file name would end the link text early; parentheses would end the URL.
    text = "".join("\\" + ch if ch in "[]\\" else ch for ch in attachment.original_name)
    url = file_url(attachment).replace("(", "%28").replace(")", "%29")
    prefix = "!" if attachment.content_type in IMAGE_TYPES else ""
    return f"{prefix}[{text}]({url})"


def replace_cover(upload, *, course: Course, actor) -> Attachment:
    """Store a new cover image for `course`, removing the previous one."""
    old = db.session.scalars(db.select(Attachment).where(
        Attachment.course_id == course.id, Attachment.purpose == "cover")).all()
    attachment = save_upload(upload, course=course, module=None, actor=actor, images_only=True)
    for previous in old:
        delete_attachment(previous, actor=actor)
    return attachment


def delete_attachment(attachment: Attachment, *, actor) -> None:
    """Delete an attachment; its file goes once the transaction commits."""
    _remove_after_commit(attachment_path(attachment))
    record("attachment.delete", {"file": attachment.original_name}, target=attachment,
           actor=actor,
           details={"course_id": attachment.course_id, "module_id": attachment.module_id})
    module = db.session.get(Module, attachment.module_id) if attachment.module_id else None
    db.session.delete(attachment)
    db.session.flush()
    if module is not None:
        refresh_body(module)


# --- keeping disk and database in step -------------------------------------------------------

_AFTER_COMMIT = "catalog_remove_after_commit"
_ON_ROLLBACK = "catalog_remove_on_rollback"


def _remove_after_commit(path: Path) -> None:
    db.session().info.setdefault(_AFTER_COMMIT, []).append(path)


def _remove_on_rollback(path: Path) -> None:
    db.session().info.setdefault(_ON_ROLLBACK, []).append(path)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    for path in session.info.pop(_AFTER_COMMIT, []):
        Path(path).unlink(missing_ok=True)
    session.info.pop(_ON_ROLLBACK, None)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    if session.in_transaction():
        return  # only when the outermost transaction rolled back
    session.info.pop(_AFTER_COMMIT, None)
    for path in session.info.pop(_ON_ROLLBACK, []):
        Path(path).unlink(missing_ok=True)
