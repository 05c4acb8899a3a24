"""Assignments with study periods, 「我的学习」, the module page and reading progress."""
