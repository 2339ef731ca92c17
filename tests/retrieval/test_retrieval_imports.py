"""xfer_tasks.retrieval takes embeddings in and gives metrics out: it imports nothing upward
(no xfer_tasks.data, no xfer_tasks.catalog), checked on the source with ``ast``."""

from __future__ import annotations

import ast
from pathlib import Path

import xfer_tasks.retrieval

FORBIDDEN = ("xfer_tasks.data", "xfer_tasks.catalog")
PACKAGE = Path(xfer_tasks.retrieval.__file__).parent


def imported_modules(path: Path) -> list[str]:
    """Every module an ``import`` / ``from ... import`` in ``path`` names (relative ones resolved
    against xfer_tasks.retrieval; ``from x import y`` also yields ``x.y``, which may be a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = "xfer_tasks.retrieval".rsplit(".", node.level - 1)[0]
                base = f"{parent}.{base}" if base else parent
            names.append(base)
            names += [f"{base}.{alias.name}" for alias in node.names]
    return names


def _violations(path: Path) -> list[str]:
    return [
        name
        for name in imported_modules(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    ]


def test_retrieval_imports_nothing_from_data_or_catalog():
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) >= 5
    bad = {str(path.relative_to(PACKAGE)): _violations(path) for path in files}
    assert {path: names for path, names in bad.items() if names} == {}


def test_the_check_sees_every_import_form(tmp_path):
    path = tmp_path / "example.py"
    path.write_text(
        "import xfer_tasks.data\n"
        "from xfer_tasks import catalog\n"
        "from ..data import tatoeba\n"
        "def f():\n    from xfer_tasks.catalog import BUCC\n"
        "import numpy\nfrom .search import knn\n",
        encoding="utf-8",
    )
    assert _violations(path) == [
        "xfer_tasks.data",
        "xfer_tasks.catalog",
        "xfer_tasks.data",
        "xfer_tasks.data.tatoeba",
        "xfer_tasks.catalog",
        "xfer_tasks.catalog.BUCC",
    ]
