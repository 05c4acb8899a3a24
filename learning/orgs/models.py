"""The organisation tree and memberships."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning.dbtypes import UTCDateTime, utcnow
from learning.extensions import db

UNIT_KINDS = ("committee", "general_branch", "branch", "group")
ROLES = ("member", "leader")


class OrgUnit(db.Model):
    """A node of the organisation tree (团委 > 团总支 > 团支部 > 学习小组), of any depth.

    `path` is a materialised path of ids ("/1/5/12/"): "every unit at or below X" is the single
    query `path LIKE X.path || '%'`, and a move rewrites the subtree's paths in one UPDATE.
    """

    __tablename__ = "org_units"
    __table_args__ = (
        UniqueConstraint("parent_id", "name"),
        CheckConstraint(
            "kind IN ('committee', 'general_branch', 'branch', 'group')", name="kind"
        ),
        Index("ix_org_units_path", "path", postgresql_ops={"path": "text_pattern_ops"}),
        # (parent_id, name) is not unique among roots (NULLs differ), so roots get their own.
        Index("uq_org_units_root_name", "name", unique=True,
              sqlite_where=text("parent_id IS NULL"), postgresql_where=text("parent_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("org_units.id", ondelete="RESTRICT"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    path: Mapped[str] = mapped_column(String(512), default="")
    depth: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped["OrgUnit | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["OrgUnit"]] = relationship(
        back_populates="parent", order_by="(OrgUnit.position, OrgUnit.name)"
    )
    memberships: Mapped[list["Membership"]] = relationship(back_populates="unit")

    def is_at_or_below(self, other: "OrgUnit") -> bool:
        """True when this unit is `other` or one of its descendants."""
        return self.path.startswith(other.path)

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part][:-1]

    def __repr__(self) -> str:
        return f"<OrgUnit {self.path} {self.name}>"


class Membership(db.Model):
    """Ties a user to a unit with a role: member (studies there) or leader (leads the subtree)."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "unit_id"),
        CheckConstraint("role IN ('member', 'leader')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("org_units.id", ondelete="RESTRICT"), index=True
    )
    role: Mapped[str] = mapped_column(String(10), default="member")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped["User"] = relationship(back_populates="memberships")  # noqa: F821
    unit: Mapped[OrgUnit] = relationship(back_populates="memberships")
