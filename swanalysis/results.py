"""One convention for result objects: a one-line ``repr`` with counts, a compact HTML summary for
JupyterLab, ``.table()`` and ``.sentences()``.

A result class (usually a ``@dataclass(repr=False)``, so that the dataclass does not write its own
``__repr__`` over this one) inherits :class:`Result` and says what it is in two methods:

* ``_title()``: what the result is about, e.g. ``"Wokingham 2022"`` (``""`` for nothing);
* ``_counts()``: a few counts in words, e.g. ``["5 measures", "10 neighbours", "148 ranked"]``;

and gives its main table (``table()``, a DataFrame) and its findings in words (``sentences()``,
a list of strings). Where a result already had a ``table`` attribute holding that DataFrame
(:class:`swanalysis.benchmark.BenchmarkResult`, whose ``res.table`` the report reads), the
attribute stays and serves the same purpose. Notes and suppressed groups are fields of the result (``notes``,
``suppressed``), never hidden in ``DataFrame.attrs``: the HTML summary lists them.

This module imports nothing heavy: ``import swanalysis`` stays fast.
"""

from __future__ import annotations

import html

#: rows of ``table()`` shown in the HTML summary
HTML_ROWS = 8


def plural(n: int, word: str, many: str | None = None) -> str:
    """``plural(1, "group")`` -> ``"1 group"``; ``plural(3, "group")`` -> ``"3 groups"``.

    Parameters
    ----------
    n : int
        The count.
    word : str
        The singular noun.
    many : str, optional
        The plural when it is not ``word + "s"``.

    Returns
    -------
    str
        The count and the noun, e.g. ``"1,234 workers"``.

    Examples
    --------
    >>> plural(1, "neighbour"), plural(10, "neighbour"), plural(2, "authority", "authorities")
    ('1 neighbour', '10 neighbours', '2 authorities')
    """
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


class Result:
    """Mixin giving a result object its one-line ``repr`` and its JupyterLab summary.

    Subclasses override :meth:`_title`, :meth:`_counts` and :meth:`sentences`, and give a
    ``table()`` method (or a ``table`` DataFrame attribute).
    The HTML summary shows the title, the counts, the sentences, the notes and suppressed groups
    (fields ``notes`` and ``suppressed`` when the result has them) and the first rows of
    ``table()``.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(repr=False)
    ... class Tally(Result):
    ...     things: list
    ...     def _title(self): return "demo"
    ...     def _counts(self): return [plural(len(self.things), "thing")]
    >>> Tally([1, 2, 3])
    <Tally demo: 3 things>
    """

    def _title(self) -> str:
        return ""

    def _counts(self) -> list[str]:
        return []

    # ``table()`` is each subclass's own: the mixin defines none, so that a dataclass may keep a
    # ``table`` field (a default here would become that field's default)

    def sentences(self) -> list[str]:
        """The result's findings in plain English, one string per sentence."""
        return []

    def _caption(self) -> str:
        title, counts = self._title(), ", ".join(self._counts())
        return " ".join(p for p in (title and f"{title}:" if counts else title, counts) if p)

    def __repr__(self) -> str:
        caption = self._caption()
        return f"<{type(self).__name__}{' ' + caption if caption else ''}>"

    def _repr_html_(self) -> str:
        esc = html.escape
        name = type(self).__name__
        title, counts = self._title(), self._counts()
        rows = [f"<tr><th scope='row'>{esc(c.split(' ', 1)[1]) if ' ' in c else ''}</th>"
                f"<td>{esc(c.split(' ', 1)[0])}</td></tr>" for c in counts]
        parts = [f"<div class='swanalysis-result'><strong>{esc(name)}</strong> {esc(title)}"]
        if rows:
            parts.append(f"<table><caption>Counts</caption><tbody>{''.join(rows)}</tbody></table>")
        for heading, items in (("Findings", self._safe(self.sentences)),
                               ("Notes", list(getattr(self, "notes", None) or [])),
                               ("Suppressed (small groups)", list(getattr(self, "suppressed", None) or []))):
            if items:
                lis = "".join(f"<li>{esc(str(s))}</li>" for s in items)
                parts.append(f"<p>{heading}</p><ul>{lis}</ul>")
        table = getattr(self, "table", None)
        table = self._safe(table) if callable(table) else table
        if table is not None and hasattr(table, "to_html") and len(table):
            more = f" (first {HTML_ROWS} of {len(table):,} rows)" if len(table) > HTML_ROWS else ""
            parts.append(f"<p>table(){more}</p>" + table.head(HTML_ROWS).to_html(border=0))
        parts.append("</div>")
        return "".join(parts)

    @staticmethod
    def _safe(method):
        # the notebook summary must never fail: a result that cannot say more shows less
        try:
            return method()
        except Exception as exc:  # noqa: BLE001 - shown, not swallowed
            return [f"({type(exc).__name__}: {exc})"] if method.__name__ == "sentences" else None
