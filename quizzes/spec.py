"""How a stored question's answer data and a member's response look: the contract between the
bank (which stores questions), attempts (which store responses) and grading (which scores them).

Both are JSON-ready dicts. Texts meant for display are stored twice where members see them:
the source and `*_html` rendered once by learning.markup. Option and pair ids are stable strings
("o1", "o2" ...; "p1" ...) so a frozen attempt can shuffle and refer to them.

Question `data` by type (quizzes.formats.questions names the types):
- single / multiple: {"options": [{"id", "text", "text_html", "fraction", "feedback",
  "feedback_html"}]}; fractions as in Moodle (1.0 = 100%, negative allowed for multiple).
- truefalse: {"correct": bool, "true_feedback", "true_feedback_html", "false_feedback",
  "false_feedback_html"}
- shortanswer: {"answers": [{"text", "fraction", "feedback", "feedback_html"}],
  "case_sensitive": false}
- numerical: {"answers": [{"value": float | None, "tolerance": float, "fraction", "feedback",
  "feedback_html"}]}  (value None = any other answer)
- matching: {"pairs": [{"id", "question", "question_html", "answer"}], "distractors": [str]}
- essay: {"grader_info": str}
- any type may carry "blank_at": int, the position of the blank in a fill-in-the-blank stem
  (GIFT's answers in mid-sentence), so export and the attempt page can put it back in place.
- description: {}

Response by type:
- single: {"option": "o2"}
- multiple: {"options": ["o1", "o3"]}
- truefalse: {"value": true}
- shortanswer: {"text": "..."}
- numerical: {"text": "3.14"} (as typed; full-width digits allowed)
- matching: {"pairs": {"p1": "answer text", ...}}
- essay: {"text": "..."} (graded by hand)
"""

OPTION_ID = "o{}"
PAIR_ID = "p{}"
