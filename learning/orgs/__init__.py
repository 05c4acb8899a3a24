"""The organisation tree (OrgUnit) and who belongs to or leads each unit (Membership)."""
