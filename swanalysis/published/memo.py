"""Results derived from a published panel, kept for as long as that panel object lives.

Analyses take the panel read-only, so what they derive from it (the area index, the rows to
benchmark with, funnel points, statistical neighbours year by year) depends only on it. A warm
report kernel serves every authority from one panel object, so each of these is computed once
per kernel instead of once per report. The memo is dropped when the panel is garbage collected,
and ignored if the panel's length has changed (a caller broke the read-only rule).
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, Hashable

_MEMOS: dict[int, tuple] = {}


def _forget(ref: weakref.ref, memos: dict = _MEMOS) -> None:
    # the dict is bound here: at interpreter exit the module's globals may already be gone
    # when the last panels are collected
    for k, v in list(memos.items()):
        if v[0] is ref:
            del memos[k]


def panel_memo(panel, name: str) -> dict:
    """The dict holding ``name``'s results for ``panel`` (a fresh one for a new or changed panel)."""
    hit = _MEMOS.get(id(panel))
    if hit is None or hit[0]() is not panel or hit[1] != len(panel):
        hit = (weakref.ref(panel, _forget), len(panel), {})
        _MEMOS[id(panel)] = hit
    return hit[2].setdefault(name, {})


def memoised(panel, name: str, key: Hashable, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per panel, ``name`` and ``key``; later calls return the same object."""
    memo = panel_memo(panel, name)
    if key not in memo:
        memo[key] = compute()
    return memo[key]
