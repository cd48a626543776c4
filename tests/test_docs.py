"""Docstrings help() can serve, and a curated surface for JupyterLab that the command line does not pay for.

* every function in ``swanalysis.api.__all__`` has numpydoc Parameters, Returns and Examples sections
  (found by their underlined headers), documents exactly the parameters it takes, and every result
  class has its Attributes;
* every public function and method in swanalysis/ has at least a one-line docstring;
* ``import swanalysis`` imports neither pandas nor the api.

The Examples themselves run as doctests: pytest collects swanalysis/ with --doctest-modules
(pyproject.toml), so a wrong example fails ``make test``.
"""

from __future__ import annotations

import ast
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

from swanalysis import api
from swanalysis.results import Result

PACKAGE = Path(__file__).resolve().parents[1] / "swanalysis"


def _sections(doc: str) -> dict[str, str]:
    """Section name -> body, from numpydoc's underlined headers (numpydoc itself needs Sphinx)."""
    lines = inspect.cleandoc(doc).splitlines()
    heads = [i for i in range(len(lines) - 1) if lines[i].strip() and re.fullmatch(r"-{3,}", lines[i + 1].strip())]
    out = {}
    for k, i in enumerate(heads):
        end = heads[k + 1] if k + 1 < len(heads) else len(lines)
        out[lines[i].strip()] = "\n".join(lines[i + 2:end]).strip("\n")
    return out


def _documented_params(section: str) -> set[str]:
    names = set()
    for line in section.splitlines():
        m = re.match(r"^(\*{0,2}[A-Za-z_][\w, *]*?)\s*(:|$)", line)
        if m and line == line.lstrip():
            names |= {n.strip().lstrip("*") for n in m.group(1).split(",")}
    return names


@pytest.mark.parametrize("name", api.FUNCTIONS)
def test_api_function_docstring(name):
    obj = getattr(api, name)
    doc = inspect.getdoc(obj) or ""
    sec = _sections(doc)
    missing = [s for s in ("Parameters", "Returns", "Examples") if not sec.get(s)]
    assert not missing, f"{name}: no {', '.join(missing)} section"
    documented = _documented_params(sec["Parameters"])
    real = {p for p in inspect.signature(obj).parameters}
    assert documented <= real, f"{name}: documents {sorted(documented - real)}, which it does not take"
    assert real <= documented, f"{name}: does not document {sorted(real - documented)}"
    assert ">>>" in doc


@pytest.mark.parametrize("name", api.RESULTS)
def test_api_result_class_docstring(name):
    cls = getattr(api, name)
    sec = _sections(inspect.getdoc(cls) or "")
    assert sec.get("Attributes"), f"{name}: no Attributes section"
    for method in ("sentences", "_repr_html_", "__repr__"):
        assert callable(getattr(cls, method, None)), f"{name} has no {method}()"
    fields = getattr(cls, "__dataclass_fields__", {})
    assert callable(getattr(cls, "table", None)) or "table" in fields, f"{name} has no table"
    assert cls.__repr__ is Result.__repr__, f"{name} writes its own repr"


def test_api_names_are_all_listed_once():
    assert len(set(api.__all__)) == len(api.__all__) == len(api.FUNCTIONS) + len(api.RESULTS)
    assert all(hasattr(api, n) for n in api.__all__)


def _undocumented() -> list[str]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))

        def visit(body, prefix):
            for node in body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
                    if not ast.get_docstring(node):
                        out.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {prefix}{node.name}")
                elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                    visit(node.body, prefix + node.name + ".")

        visit(tree.body, "")
    return out


def test_every_public_function_has_a_docstring():
    missing = _undocumented()
    assert not missing, f"{len(missing)} public functions without a docstring:\n" + "\n".join(missing)


def test_import_swanalysis_stays_light():
    code = "import sys, swanalysis; print(sorted(m for m in ('pandas', 'numpy', 'matplotlib', 'swanalysis.api') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
