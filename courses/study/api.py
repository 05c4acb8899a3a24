"""API: Assignments with study periods, 「我的学习」, the module page and reading progress."""

from learning.api import api_blueprint

blp = api_blueprint("api_study", __name__, "Assignments, my study and progress")
