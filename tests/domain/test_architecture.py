"""The layers keep their promises (docs/architecture.md §1, §2 and §5), checked on the syntax tree:

- the domain imports no framework and no other onestop layer;
- services never read Flask's request-bound globals (request, g, session, current_app, current_user),
  never import web, CLI, demo, jobs or the extensions (they are given a session), never commit;
- web never writes: no session.add/add_all/delete/merge, no insert()/update()/delete() statements,
  no raw INSERT/UPDATE/DELETE — only services write; the view commits once;
- time is an argument: only web, CLI, jobs and the app factory read the clock.
- models import no services, web, CLI, demo, integrations or jobs; jobs import no web.

Names are resolved through each module's imports (``import datetime as dt``, ``from flask import g``,
relative imports), so an alias does not hide a violation.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ONESTOP = ROOT / "onestop"
DOMAIN = ONESTOP / "domain"

FRAMEWORKS = {"flask", "sqlalchemy", "werkzeug", "jinja2", "apscheduler", "wtforms", "alembic"}
CLOCK = {"datetime.datetime.now", "datetime.datetime.utcnow", "datetime.datetime.today",
         "datetime.date.today", "time.time", "time.time_ns", "time.monotonic", "time.perf_counter",
         "time.localtime"}
REQUEST_BOUND = {"flask.request", "flask.g", "flask.session", "flask.current_app", "flask_login.current_user"}
NOT_FOR_SERVICES = ("onestop.web", "onestop.cli", "onestop.demo", "onestop.extensions", "jobs")
SESSION_WRITES = {"add", "add_all", "delete", "merge", "bulk_save_objects", "bulk_insert_mappings",
                  "bulk_update_mappings"}
STATEMENT_WRITES = {"insert", "update", "delete"}
RAW_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|TRUNCATE|MERGE)\b", re.IGNORECASE)
# Where the clock may be read (docs/architecture.md §2 "time is an argument").
CLOCK_READERS = ("onestop.web", "onestop.cli", "jobs")
FACTORY = "onestop"

# The packages each rule covers; a package that does not exist yet is simply empty.
NO_CLOCK = ("domain", "services", "models", "integrations", "database", "demo")


@dataclass
class Module:
    path: Path
    name: str  # dotted
    tree: ast.Module
    aliases: dict[str, str] = field(default_factory=dict)  # local name → qualified name
    imports: list[tuple[str, int]] = field(default_factory=list)  # qualified names imported, line

    @classmethod
    def load(cls, path: Path, root: Path = ROOT) -> Module:
        rel = path.relative_to(root).with_suffix("").parts
        name = ".".join(rel[:-1] if rel[-1] == "__init__" else rel)
        package = name if rel[-1] == "__init__" else name.rpartition(".")[0]
        mod = cls(path, name, ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        for node in ast.walk(mod.tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    mod.imports.append((a.name, node.lineno))
                    top = a.name.split(".")[0]
                    mod.aliases[a.asname or top] = a.name if a.asname else top
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(package, node.module, node.level)
                mod.imports.append((base, node.lineno))
                for a in node.names:
                    mod.imports.append((f"{base}.{a.name}", node.lineno))
                    mod.aliases[a.asname or a.name] = f"{base}.{a.name}"
        return mod

    def qualified(self, node: ast.expr) -> str | None:
        """`dt.datetime.now` → "datetime.datetime.now" when `import datetime as dt`."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        parts.append(self.aliases.get(node.id, node.id))
        return ".".join(reversed(parts)).replace("flask.globals.", "flask.")

    def references(self) -> Iterator[tuple[str, int]]:
        """Every dotted name used (outermost attribute chains and bare names), resolved."""
        inner: set[int] = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Attribute):
                inner.add(id(node.value))
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Attribute | ast.Name) and id(node) not in inner:
                q = self.qualified(node)
                if q:
                    yield q, node.lineno

    def within(self, *packages: str) -> bool:
        return any(self.name == p or self.name.startswith(p + ".") for p in packages)


def _absolute(package: str, module: str | None, level: int) -> str:
    if level == 0:
        return module or ""
    base = package.split(".")
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _under(name: str, prefixes: tuple[str, ...] | set[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _chain(node: ast.expr) -> list[str]:
    """Attribute and call names along `a.b(...).c.d(...)`, innermost first."""
    names: list[str] = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            if isinstance(node, ast.Name):
                names.append(node.id)
            return list(reversed(names))


# ---- the rules: each returns "module:line what" strings ---------------------------------------------

def framework_imports(mod: Module) -> list[str]:
    return [f"{mod.name}:{line} imports {q}" for q, line in mod.imports
            if q.split(".")[0] in FRAMEWORKS or q.startswith("flask_")]


def foreign_layer_imports(mod: Module, own: str) -> list[str]:
    return [f"{mod.name}:{line} imports {q}" for q, line in mod.imports
            if _under(q, ("onestop", "jobs")) and not _under(q, (own,)) and q not in {"onestop", "jobs"}]


def clock_reads(mod: Module) -> list[str]:
    return [f"{mod.name}:{line} reads the clock ({q})" for q, line in mod.references() if _under(q, CLOCK)]


def request_reads(mod: Module) -> list[str]:
    names = {(q, line) for q, line in [*mod.imports, *mod.references()] if _under(q, REQUEST_BOUND)}
    return [f"{mod.name}:{line} reads {q}" for q, line in sorted(names)]


def layer_imports(mod: Module, forbidden: tuple[str, ...]) -> list[str]:
    return [f"{mod.name}:{line} imports {q}" for q, line in mod.imports if _under(q, forbidden)]


def commits(mod: Module) -> list[str]:
    found = []
    for n in ast.walk(mod.tree):
        if (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                and n.func.attr in {"commit", "rollback"}):
            receiver = _chain(n.func.value)
            if receiver and receiver[-1].lower().endswith("session"):
                found.append(f"{mod.name}:{n.lineno} calls {'.'.join(receiver)}.{n.func.attr}()")
    return found


def writes(mod: Module) -> list[str]:
    found = [f"{mod.name}:{line} uses {q}" for q, line in {*mod.imports, *mod.references()}
             if q.startswith("sqlalchemy.") and q.rsplit(".", 1)[1] in STATEMENT_WRITES]
    for n in ast.walk(mod.tree):
        if not isinstance(n, ast.Call):
            continue
        if isinstance(n.func, ast.Attribute):
            receiver = _chain(n.func.value)
            last = receiver[-1].lower() if receiver else ""
            if n.func.attr in SESSION_WRITES and last.endswith("session"):
                found.append(f"{mod.name}:{n.lineno} calls {'.'.join(receiver)}.{n.func.attr}()")
            elif n.func.attr in STATEMENT_WRITES and {"__table__", "query"} & set(receiver):
                found.append(f"{mod.name}:{n.lineno} calls {'.'.join(receiver)}.{n.func.attr}()")
        callee = _chain(n.func)[-1:] or [""]
        first = n.args[0] if n.args else None
        if (callee[0] in {"text", "exec_driver_sql", "execute"} and isinstance(first, ast.Constant)
                and isinstance(first.value, str) and RAW_WRITE.match(first.value)):
            found.append(f"{mod.name}:{n.lineno} runs raw SQL {first.value.split()[0].upper()}")
    return sorted(found, key=_line)


def _line(violation: str) -> int:
    return int(violation.split(":", 1)[1].split()[0])


# ---- the project --------------------------------------------------------------------------------------

def _modules(*packages: str) -> list[Module]:
    paths: list[Path] = []
    for p in packages:
        base = ROOT.joinpath(*p.split("."))
        paths += sorted(base.rglob("*.py")) if base.is_dir() else []
    return [Module.load(p) for p in paths]


def test_the_layers_exist() -> None:
    assert (DOMAIN / "calendar.py").is_file()
    for pkg in ("dossiers", "reporting", "public", "admin", "notify"):
        assert (ONESTOP / "services" / pkg / "__init__.py").is_file(), pkg
    for pkg in ("demo", "cli", "database", "integrations", "web"):
        assert (ONESTOP / pkg / "__init__.py").is_file(), pkg


def test_domain_imports_no_framework_and_no_other_layer() -> None:
    problems = [v for m in _modules("onestop.domain")
                for v in framework_imports(m) + foreign_layer_imports(m, "onestop.domain")]
    assert problems == []


def test_services_read_nothing_request_bound_and_import_no_outer_layer() -> None:
    problems = [v for m in _modules("onestop.services")
                for v in request_reads(m) + layer_imports(m, NOT_FOR_SERVICES)]
    assert problems == []


@pytest.mark.parametrize("package,outer", [
    # Models hold data and invariants; the flows that use them live above.
    ("onestop.models", ("onestop.services", "onestop.web", "onestop.cli", "onestop.demo",
                        "onestop.integrations", "jobs")),
    # The scheduler reaches the app through services, never through views.
    ("jobs", ("onestop.web",)),
])
def test_lower_layers_import_no_outer_layer(package: str, outer: tuple[str, ...]) -> None:
    assert [v for m in _modules(package) for v in layer_imports(m, outer)] == []


def test_services_never_commit() -> None:
    assert [v for m in _modules("onestop.services") for v in commits(m)] == []


def test_web_never_writes() -> None:
    assert [v for m in _modules("onestop.web") for v in writes(m)] == []


@pytest.mark.parametrize("package", NO_CLOCK)
def test_time_is_an_argument(package: str) -> None:
    problems = [v for m in _modules(f"onestop.{package}") for v in clock_reads(m)]
    assert problems == []


def test_every_package_is_covered_by_a_rule() -> None:
    """A new top-level package must be placed: among the clock readers or under the clock rule."""
    packages = {p.name for p in ONESTOP.iterdir() if (p / "__init__.py").is_file()}
    placed = set(NO_CLOCK) | {"web", "cli", "translations"}
    assert packages - placed == set(), "add the new package to a rule in tests/domain/test_architecture.py"


# ---- the checker itself: each rule fires on a deliberately broken module ------------------------------

BROKEN = {
    "onestop/domain/bad.py": (
        "import flask_login\nfrom sqlalchemy import select\nfrom ..models import Dossier\n"
        "from onestop.services.policy import can\nimport datetime as dt\nfrom time import monotonic\n"
        "x = dt.datetime.now()\ny = dt.date.today()\nz = monotonic()\n"
    ),
    "onestop/services/reporting/bad.py": (
        "import flask\nfrom flask import g, current_app as app\nfrom flask_login import current_user\n"
        "from ...extensions import db\nfrom onestop.web.auth import utcnow\n"
        "def f(session):\n    session.commit()\n    return flask.request.args, flask.session\n"
    ),
    "onestop/web/public/bad.py": (
        "from sqlalchemy import update\nimport sqlalchemy as sa\n"
        "from sqlalchemy.dialects.postgresql import insert\n"
        "def view(db, s):\n    db.session.add(1)\n    db.session.merge(1)\n    s.session.delete(1)\n"
        "    sa.delete(1)\n    Model.__table__.insert()\n    Model.query.filter_by(a=1).update({})\n"
        "    db.session.execute(sa.text('UPDATE dossiers SET x = 1'))\n"
        "    conn.exec_driver_sql('delete from outbox')\n"
        "    seen = set(); seen.add(1); ctx = {}; ctx.update(a=1); db.session.commit()\n"
    ),
}


@pytest.fixture
def broken(tmp_path: Path) -> dict[str, Module]:
    mods = {}
    for rel, src in BROKEN.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(src, encoding="utf-8")
        mods[rel.split("/")[1]] = Module.load(path, tmp_path)
    return mods


def test_the_checker_catches_each_kind_of_violation(broken: dict[str, Module]) -> None:
    domain, services, web = broken["domain"], broken["services"], broken["web"]
    assert len(framework_imports(domain)) == 3  # flask_login, sqlalchemy, sqlalchemy.select
    assert {v.split(" imports ")[1] for v in foreign_layer_imports(domain, "onestop.domain")} == {
        "onestop.models", "onestop.models.Dossier", "onestop.services.policy", "onestop.services.policy.can"}
    assert len(clock_reads(domain)) == 3
    assert {v.rsplit(" ", 1)[1] for v in request_reads(services)} == {
        "flask.g", "flask.current_app", "flask_login.current_user", "flask.request.args", "flask.session"}
    assert {v.split(" imports ")[1] for v in layer_imports(services, NOT_FOR_SERVICES)} == {
        "onestop.extensions", "onestop.extensions.db", "onestop.web.auth", "onestop.web.auth.utcnow"}
    assert commits(services) == ["onestop.services.reporting.bad:7 calls session.commit()"]
    # Lines 1–12 each write (imports and uses of insert/update/delete, session writes, table and
    # query writes, raw SQL); line 13 (a set's add, a dict's update, the view's commit) does not.
    assert [_line(v) for v in writes(web)] == [1, 3, 5, 6, 7, 8, 9, 10, 11, 12]
    assert clock_reads(web) == [] and request_reads(domain) == []
