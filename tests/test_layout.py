"""The shape of the code (docs/architecture.md), checked on the source: a drift fails here.

* the kernel (``lms/``) imports no feature, and names none outside ``FEATURES``;
* a feature uses another feature only through its ``api`` module;
* no import cycle between modules;
* every feature has its ``init_app`` and its ``REQUIRES`` in ``FEATURES`` order;
* signal receivers connected by ``init_app`` (or the factory), never by a decorator at import;
* one home for: Vietnam's today and now (``lms/time.py``), the user errors' root (``lms/errors.py``);
* blueprints: name = package, templates under ``<package>/templates/<package>/``, static files at
  ``/<package>/static``.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from lms.config import FEATURES

ROOT = Path(__file__).resolve().parent.parent
KERNEL = "lms"
NOT_CODE = {"tests", "migrations", "benchmarks", "scripts", "docs", ".venv", ".git"}


def _packages() -> set[str]:
    return {p.parent.name for p in ROOT.glob("*/__init__.py") if p.parent.name not in NOT_CODE}


def _modules() -> dict[str, Path]:
    """Every production module by dotted name (kernel and feature packages)."""
    out = {}
    for package in _packages():
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(name: str, path: Path) -> list[str]:
    """Modules imported anywhere in the file (inside functions too), relative imports resolved;
    ``from X import y`` counts as ``X.y`` when ``X.y`` is a module, else as ``X``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    modules = _modules_cache()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.append(candidate if candidate in modules else base)
    return found


_CACHE: dict[str, Path] = {}


def _modules_cache() -> dict[str, Path]:
    if not _CACHE:
        _CACHE.update(_modules())
    return _CACHE


def _top(module: str) -> str:
    return module.partition(".")[0]


def test_the_features_are_the_configured_packages():
    assert set(FEATURES) == _packages() - {KERNEL}, "a top-level package that is not in FEATURES (or the reverse)"


def test_the_kernel_imports_no_feature():
    bad = [
        f"{name} imports {imported}"
        for name, path in _modules_cache().items()
        if _top(name) == KERNEL
        for imported in _imports(name, path)
        if _top(imported) in FEATURES
    ]
    assert bad == []


def _string_constants(tree: ast.AST):
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node


def test_the_kernel_names_the_features_in_one_place():
    """``FEATURES`` in lms/config.py: no other list of feature modules (``importlib`` strings) in the kernel."""
    bad = []
    for name, path in _modules_cache().items():
        if _top(name) != KERNEL:
            continue
        for node in _string_constants(ast.parse(path.read_text(encoding="utf-8"))):
            head, dot, _rest = node.value.partition(".")
            if head in FEATURES and (dot or node.value == head) and name != "lms.config":
                bad.append(f"{name}:{node.lineno} {node.value!r}")
    assert bad == []


def test_features_use_each_other_through_api_only():
    bad = [
        f"{name} imports {imported}"
        for name, path in _modules_cache().items()
        if _top(name) in FEATURES
        for imported in _imports(name, path)
        if _top(imported) in FEATURES and _top(imported) != _top(name) and imported != f"{_top(imported)}.api"
    ]
    assert bad == []


def test_no_import_cycle():
    modules = _modules_cache()
    graph = {name: {i for i in _imports(name, path) if i in modules and i != name} for name, path in modules.items()}
    # a package's __init__ that only hands names on is no cycle with its modules: importing a module
    # imports its package first, so only the edges out of __init__ bodies count (there are none)
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert cycles == []


def test_features_declare_init_app_and_come_after_what_they_require():
    for position, name in enumerate(FEATURES):
        package = importlib.import_module(name)
        assert callable(getattr(package, "init_app", None)), f"{name}.init_app"
        assert set(package.REQUIRES) <= set(FEATURES[:position]), f"{name} requires {package.REQUIRES}"


def test_a_feature_read_by_others_has_an_api_and_imports_nothing_at_package_import():
    read = {
        _top(imported)
        for name, path in _modules_cache().items()
        if _top(name) in FEATURES
        for imported in _imports(name, path)
        if _top(imported) in FEATURES and _top(imported) != _top(name)
    }
    for name in read:
        assert (ROOT / name / "api.py").is_file(), f"{name} is read by other features: it needs api.py"
    for name in FEATURES:  # its __init__ imports lazily, inside init_app: importing the api stays light
        tree = ast.parse((ROOT / name / "__init__.py").read_text(encoding="utf-8"))
        top_level = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
        assert all(_top(getattr(n, "module", "") or "") not in FEATURES for n in top_level), name


def _connects_at_import(decorator: ast.expr) -> bool:
    """``@signal.connect``, ``@signal.connect_via(...)``, ``@event.listens_for(...)``."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Attribute) and target.attr in {"connect", "connect_via", "listens_for"}


def test_receivers_are_connected_by_init_app_not_at_import():
    """A receiver connected by a decorator runs as soon as its module is imported by anyone (an app
    with fewer FEATURES, a test, a benchmark): features connect in ``init_app``, the kernel in the
    app factory. Only the engine's SQLite pragmas (``lms/database.py``) hold for every engine."""
    found = [
        f"{path.relative_to(ROOT)}:{node.name}"
        for path in _modules_cache().values()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and any(_connects_at_import(d) for d in node.decorator_list)
    ]
    assert found == ["lms/database.py:_sqlite_pragmas"]


@pytest.mark.parametrize(
    ("pattern", "home"),
    [
        ("def local_today(", "lms/time.py"),
        ("datetime.now(", "lms/time.py"),
        ("date.today(", "lms/time.py"),
        ("ZoneInfo(", "lms/time.py"),
        ("class LabelledEnum(", "lms/enums.py"),
        ("def str_enum(", "lms/enums.py"),
        ("def queue_message(", "lms/mail/outbox.py"),
        ("get_or_404(", "lms/auth/permissions.py"),  # views use load_or_404(Model, id, check=rule)
        ("is_province_wide", "lms/auth/models.py lms/auth/rules.py"),  # elsewhere: the PROVINCE_WIDE rule
    ],
)
def test_one_home(pattern, home):
    found = sorted(
        str(path.relative_to(ROOT)) for path in _modules_cache().values() if pattern in path.read_text(encoding="utf-8")
    )
    assert found == home.split()


def test_user_errors_have_one_root():
    """Every ``*Error`` class of the kernel and the features derives from ``lms.errors.UserError``,
    except those that are not the user's to correct (listed here, with why)."""
    not_user_errors = {
        "lms.config.ConfigError",  # the server's environment
        "lms.backup.BackupError",  # the operator's command
        "lms.storage.StorageError",  # the storage service (bucket, credentials, service down): operations
        "courses.loader.CourseContentError",  # a content folder (CLI, for the content authors)
        "lms.spreadsheet.SpreadsheetError",  # a file reader's ValueError: its callers show it
        "practice.replicas.base.SpecError",  # a scenario file's header (CLI, for the content authors)
        "practice.loader.PracticeContentError",
        "quizzes.gift._GiftError",  # parser internals, reported as ParseError rows
        "quizzes.tabular._RowError",
    }
    from lms.errors import UserError

    bad = []
    for name, path in _modules_cache().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name.endswith("Error") and node.bases:
                cls = getattr(importlib.import_module(name), node.name)
                if issubclass(cls, BaseException) and not issubclass(cls, UserError):
                    if f"{name}.{node.name}" not in not_user_errors:
                        bad.append(f"{name}.{node.name}")
    assert bad == []


def test_blueprints_follow_the_package_convention(app):
    """Blueprint name = package name (the kernel's: lms.auth -> auth); its templates in
    ``<package>/templates/<name>/``; its static files at ``/<name>/static``. The app's own
    ``lms/templates/`` holds the layout only (base, error page, macros)."""
    for name, blueprint in app.blueprints.items():
        package = Path(blueprint.root_path).relative_to(ROOT)
        name = name.split(".")[0]  # a nested blueprint (auth.sso) lives in its parent's package
        assert name == package.name, f"blueprint {name} of package {package}"
        if blueprint.has_static_folder:
            assert app.url_for(f"{name}.static", filename="x") == f"http://localhost/{name}/static/x"
        templates = ROOT / package / "templates"
        assert {p.name for p in templates.iterdir()} == {name}, f"{templates} holds only {name}/"
    layout = {p.name for p in (ROOT / "lms" / "templates").iterdir()}
    assert layout == {"base.html", "error.html", "macros.html"}


def test_the_formatter_formats_everything():
    """``ruff format`` decides the layout of every line: no fmt-skip or fmt-off comment (a table
    that reads badly formatted can be built from a string instead, as ``lms/text.py``'s alphabet)."""
    folders = [ROOT / p for p in _packages()] + [ROOT / "tests", ROOT / "benchmarks", ROOT / "scripts"]
    markers = ("# fmt: " + "skip", "# fmt: " + "off")  # spelled in two parts: this file does not count itself
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in folders
        for path in folder.rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if any(marker in line for marker in markers)
    ]
    assert found == []
