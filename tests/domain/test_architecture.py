"""The domain layer stays pure: no framework imports, no clock (docs/architecture.md §1–§2)."""

from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "onestop" / "domain"
FORBIDDEN = {"flask", "sqlalchemy", "werkzeug", "jinja2", "apscheduler", "wtforms"}
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
               ("time", "time"), ("time", "monotonic"), ("time", "perf_counter")}


def _forbidden(module: str) -> bool:
    top = module.split(".")[0]
    return top in FORBIDDEN or top.startswith("flask_")


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if _forbidden(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and _forbidden(node.module):
            found.append(f"from {node.module} import …")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
            if (name, node.func.attr) in CLOCK_CALLS:
                found.append(f"{name}.{node.func.attr}() at line {node.lineno}")
    return [f"{path.name}: {v}" for v in found]


def test_domain_package_exists() -> None:
    assert (DOMAIN / "calendar.py").is_file()


def test_domain_imports_no_framework_and_reads_no_clock() -> None:
    problems = [v for path in sorted(DOMAIN.rglob("*.py")) for v in _violations(path)]
    assert problems == []


def test_the_checker_catches_violations(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import flask_login\nfrom sqlalchemy import select\nimport datetime\n"
        "x = datetime.datetime.now()\ny = datetime.date.today()\nimport time\nz = time.time()\n",
        encoding="utf-8",
    )
    assert len(_violations(bad)) == 5
