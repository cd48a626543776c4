"""The package's layers, read from its import statements (``ast``, nothing is imported).

- analyses (every flat module but the entry points, plus ``plots/``) never import the worker-data
  wing or the report layer;
- the published-statistics wing and the worker-data wing never import each other;
- only ``cli`` and ``commands/`` import the report layer (and the report layer itself);
- no import circle among the package's modules (imports inside functions count too).

The checker is tested on a small planted tree first, so the test on the real package can fail.
"""

from __future__ import annotations

import ast
from pathlib import Path

import swanalysis

PACKAGE = Path(swanalysis.__file__).parent

#: flat modules that are not analyses: entry points, settings, the curated JupyterLab surface and
#: the synthetic-council generator (which writes raw worker returns, so it uses workerdata)
NOT_ANALYSES = {"__init__", "__main__", "_docs", "cli", "config", "errors", "results", "api", "synth"}


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package modules it imports (``from . import x`` resolved to ``pkg.x``)."""
    top = root.name

    def name_of(path: Path) -> str:
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    modules = {name_of(p): p for p in root.rglob("*.py")}
    graph = {}
    for mod, path in modules.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.split(".")[0] == top}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.split(".")[0] != top:
                    continue
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    deps.add(sub if sub in modules else target)
        graph[mod] = {d for d in deps if d != mod and d in modules}
    return graph


def _wing(mod: str) -> str:
    """``published``, ``workerdata``, ``report``, ``commands``, ``cli``, ``analysis`` or ``other``."""
    parts = mod.split(".")
    if len(parts) == 1:
        return "other"
    if parts[1] in ("published", "workerdata", "report", "commands"):
        return parts[1]
    if parts[1] == "plots":
        return "analysis"
    if len(parts) == 2:
        return "cli" if parts[1] == "cli" else ("other" if parts[1] in NOT_ANALYSES else "analysis")
    return "other"


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    out = []
    for mod, deps in sorted(graph.items()):
        for dep in sorted(deps):
            a, b = _wing(mod), _wing(dep)
            if a == "analysis" and b in ("workerdata", "report"):
                out.append(f"analysis {mod} imports {dep}")
            elif {a, b} == {"published", "workerdata"}:
                out.append(f"{mod} imports {dep}: the published and worker-data wings are apart")
            elif b == "report" and a not in ("report", "cli", "commands"):
                out.append(f"{mod} imports {dep}: only cli and commands import the report layer")
    return out


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def _plant(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / "swanalysis" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "swanalysis"


def test_checker_finds_planted_violations(tmp_path):
    pkg = _plant(tmp_path, {
        "__init__.py": "",
        "cli.py": "from .report import runner\n",
        "errors.py": "",
        "benchmark.py": "def f():\n    from .report.sections import start\n",   # lazy: still counts
        "tenure.py": "from swanalysis.workerdata import codes\n",
        "national.py": "from . import costs\n",
        "costs.py": "import swanalysis.national\n",                              # a circle
        "plots/__init__.py": "",
        "plots/tenure.py": "from ..report import page\n",
        "published/__init__.py": "",
        "published/panel.py": "from ..workerdata.codes import decode\n",
        "workerdata/__init__.py": "",
        "workerdata/codes.py": "from ..errors import *\n",
        "report/__init__.py": "",
        "report/runner.py": "from . import sections\nfrom .. import benchmark\n",
        "report/sections.py": "from ..published import panel\n",
        "report/page.py": "",
        "commands/__init__.py": "",
        "commands/report.py": "from ..report.runner import x\n",
    })
    graph = import_graph(pkg)
    assert graph["swanalysis.national"] == {"swanalysis.costs"}
    assert graph["swanalysis.report.runner"] == {"swanalysis.report.sections", "swanalysis.benchmark"}
    assert layer_violations(graph) == [
        "analysis swanalysis.benchmark imports swanalysis.report.sections",
        "analysis swanalysis.plots.tenure imports swanalysis.report.page",
        "swanalysis.published.panel imports swanalysis.workerdata.codes: the published and "
        "worker-data wings are apart",
        "analysis swanalysis.tenure imports swanalysis.workerdata.codes",
    ]
    assert import_cycles(graph) == [["swanalysis.costs", "swanalysis.national"]]
    # and a clean tree passes
    for rel in ("benchmark.py", "tenure.py", "costs.py", "plots/tenure.py", "published/panel.py"):
        (pkg / rel).write_text("")
    graph = import_graph(pkg)
    assert layer_violations(graph) == [] and import_cycles(graph) == []


def test_the_package_keeps_its_layers():
    graph = import_graph(PACKAGE)
    # the wings and analyses the rule talks about are really there
    for mod in ("swanalysis.published.panel", "swanalysis.workerdata.ingest",
                "swanalysis.report.sections", "swanalysis.report.page", "swanalysis.measures",
                "swanalysis.benchmark", "swanalysis.plots.benchmark"):
        assert mod in graph, mod
    assert "swanalysis.report" in graph["swanalysis.cli"]  # the command line reaches the report layer
    assert layer_violations(graph) == []


def test_no_import_circle():
    assert import_cycles(import_graph(PACKAGE)) == []
