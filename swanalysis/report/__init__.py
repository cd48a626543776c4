"""Report layer: parameters, the report notebooks' sections, rendering, batch runs.

Only the command line (``swanalysis.cli`` and ``swanalysis.commands``) imports this package; the
analyses never do.
"""


# here, not in runner.py: the command line calls it first thing, before anything heavy is imported
def skip_unused_imports() -> None:
    """In a process that swanalysis owns (the command line, a batch worker), never import
    ``rfc3987_syntax``.

    nbformat imports jsonschema, and jsonschema imports ``rfc3987_syntax`` when it is installed
    (jupyter-events, part of JupyterLab, pulls it in) only to register a checker for the "iri"
    string format. Importing it builds a grammar: more than a second of CPU per process, paid by
    every batch worker and every ``swanalysis report``. Nothing here validates IRIs (nbformat
    checks a notebook's structure, and its schema has no "iri" formats), so the import is
    marked as unavailable before jsonschema is first imported; jsonschema then leaves that one
    format unchecked. A process that already imported jsonschema is left as it is.
    """
    import sys

    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)
