"""The pull (or merge) request a commit came from, read from its message.

GitHub merge commits say ``Merge pull request #12 from org/branch``; squash merges end
their subject with ``(#12)``; GitLab merge commits carry ``See merge request group/repo!12``
in their body. The number is returned as it is written there: ``#12`` or ``!12``.
"""

from __future__ import annotations

import re

_GITHUB_MERGE = re.compile(r"^Merge pull request #(\d+)\b")
_SQUASH = re.compile(r"\(#(\d+)\)\s*$")
_GITLAB = re.compile(r"^See merge request \S*!(\d+)\s*$", re.MULTILINE)


def pull_request(message: str) -> str | None:
    subject = message.split("\n", 1)[0].strip()
    if match := _GITHUB_MERGE.match(subject) or _SQUASH.search(subject):
        return f"#{match[1]}"
    if match := _GITLAB.search(message):
        return f"!{match[1]}"
    return None
