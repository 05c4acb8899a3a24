"""How much slower hostile Markdown renders than ordinary text of the same length.

    .venv/bin/python bench/markup_pathological.py

Prints, for each pathological input, the render time and its ratio to an ordinary Chinese
document of the same length rendered in the same run. Python-Markdown's link parser and
bleach's URL pattern were quadratic on some of these (see learning/markup.py); a ratio in the
hundreds means a regression after a library upgrade.
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from learning.markup import render_markdown, sanitize_html

CASES = {
    "[ x20000": "[" * 20_000,
    "![ x10000": "![" * 10_000,
    "[a]( x5000": "[a](" * 5_000,
    "( x20000": "(" * 20_000,
    "* x20000": "*" * 20_000,
    "<b> x5000": "<b>" * 5_000,
    "- x5000": "- " * 5_000 + "x",
    "<x a=' x2000": "<x a='" * 2_000,
}
PARAGRAPH = "青年一代有理想、有本领、有担当，国家就有前途，民族就有希望。**学习**要联系实际。\n\n"


def timed(function, source: str, repeat: int = 3) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function(source)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    print(f"{'input':<16}{'function':<16}{'seconds':>10}{'baseline':>10}{'ratio':>8}")
    for name, source in CASES.items():
        ordinary = (PARAGRAPH * (len(source) // len(PARAGRAPH) + 1))[: len(source)]
        for function in (render_markdown, sanitize_html):
            seconds, baseline = timed(function, source), timed(function, ordinary)
            print(f"{name:<16}{function.__name__:<16}{seconds:>10.3f}{baseline:>10.3f}"
                  f"{seconds / baseline:>8.1f}")


if __name__ == "__main__":
    main()
