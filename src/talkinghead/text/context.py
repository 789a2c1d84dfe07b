"""The text around a regex match that the normalisers' context rules look at.

A rule that reads the words before or after a number ("in 1999", "13000 people") looks at a
bounded window, so normalising a long text stays linear in its length.
"""

from __future__ import annotations

import re

# Characters of context on each side: a few words, enough for every rule.
CONTEXT_CHARS = 80


def before(m: re.Match[str]) -> str:
    """Up to :data:`CONTEXT_CHARS` characters before the match. When the window is cut short
    of the text's start it begins with "x", so a rule's "^" still means the text's start."""
    lo = max(0, m.start() - CONTEXT_CHARS)
    return ("x" if lo else "") + m.string[lo:m.start()]


def after(m: re.Match[str]) -> str:
    """Up to :data:`CONTEXT_CHARS` characters after the match."""
    return m.string[m.end():m.end() + CONTEXT_CHARS]
