"""Authoring courses, modules and attachments (admins), and reading the catalogue."""
