"""Every model of the learning core, importable from one place (migrations, shell, tests)."""

from learning.accounts.models import ApiToken, LoginEvent, User
from learning.audit.models import AuditEntry
from learning.orgs.models import Membership, OrgUnit
from learning.staging import StagedFile

__all__ = ["ApiToken", "AuditEntry", "LoginEvent", "Membership", "OrgUnit", "StagedFile", "User"]
