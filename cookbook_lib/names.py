"""Suggestions for mistyped names: one "did you mean" for knobs, methods, choices and flags."""
from __future__ import annotations

import difflib


def did_you_mean(word, options) -> str:
    """" Did you mean 'x'?" for the option closest to `word`, or '' when none is close.

    A case-only difference ('SimCLR' for 'simclr') is always found; otherwise difflib's
    closest match, compared as typed and then lower-cased."""
    options = [str(o) for o in options]
    word = str(word)
    same_case = [o for o in options if o.lower() == word.lower()]
    if same_case:
        return f" Did you mean {same_case[0]!r}?"
    close = difflib.get_close_matches(word, options, n=1)
    if not close:
        lowered = {o.lower(): o for o in options}
        close = [lowered[c] for c in difflib.get_close_matches(word.lower(), list(lowered), n=1)]
    return f" Did you mean {close[0]!r}?" if close else ""
