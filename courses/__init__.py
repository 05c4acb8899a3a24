"""Courses (专题), modules (学习单元), attachments, assignments, reading progress, offline lessons.

Imports flow one way: `courses` uses the `learning` core; it never imports `quizzes`.
"""
