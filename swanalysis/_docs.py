"""Docstring text shared by several functions, written once and put in place at import.

numpydoc wants every function's Parameters, Raises and Examples whole, so that ``help()`` serves
each on its own; where several functions take the same argument or start their example the same
way, the text lives in one dict and ``${name}`` placeholders in the docstrings are filled from it
(:class:`string.Template`, so ``%`` and braces in the text need no escaping)::

    _DOC = {"episodes": _docs.lines("episodes : pandas.DataFrame", "    The episodes table.")}

    @_docs.fill(_DOC)
    def retention_at(episodes, ...):
        \"\"\"...

        Parameters
        ----------
        ${episodes}
        \"\"\"
"""

from __future__ import annotations

from string import Template


def lines(*text: str) -> str:
    """Lines of a snippet placed at a docstring's indentation (the first line takes the
    placeholder's; give the others relative to it)."""
    return "\n    ".join(text)


def fill(snippets: dict):
    """Decorator: replace the ``${name}`` placeholders of the function's docstring by
    ``snippets[name]`` (a missing name raises KeyError at import, so no placeholder survives)."""
    def decorate(func):
        func.__doc__ = Template(func.__doc__).substitute(snippets)
        return func
    return decorate
