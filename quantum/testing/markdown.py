# SPDX-License-Identifier: Apache-2.0
"""Reading the commands a Markdown document prints, for tests that run them."""

from __future__ import annotations

import re


def section(document: str, title: str) -> str:
    """The text of the section ``## title``, up to the next ``##`` heading."""
    start = document.index(f"\n## {title}\n")
    end = document.find("\n## ", start + 1)
    return document[start : end if end != -1 else None]


def blocks(text: str, language: str) -> list[str]:
    """The fenced code blocks of ``language`` in ``text``, in order."""
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)
