"""API: Authoring courses, modules and attachments (admins), and reading the catalogue."""

from learning.api import api_blueprint

blp = api_blueprint("api_catalog", __name__, "Courses and modules")
