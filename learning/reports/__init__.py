"""Completion reporting for leaders (issue 6): 学习率 by unit with ranking, drill-down, 未学名单.

`learning.reports.figures` computes the figures from the database (GROUP BY, a constant number of
queries). Reports only read: nothing here writes, and nothing in courses or quizzes imports it.
"""
