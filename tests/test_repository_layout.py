"""The repository explains itself with what a fresh clone holds, and its layers stay apart.

- Every repository path a comment, docstring, description or page names exists, and every
  `docs/<page>.md#<section>` it points to is a heading of that page: documentation that points
  nowhere is how definitions drift away from the code.
- Comments cite the project's own pages (`docs/<page>.md`), never the contract files a clone does
  not have, by bare name or by a path outside the repository.
- The layers keep their direction: `connectors`, `expectations`, `reports` and `common` never
  import `orchestration`; the product never imports the dev tooling of `devtools/`, except the
  CLI's demo mode.

Plain file reads, no fixture: a second or two.
"""

from __future__ import annotations

import ast
import functools
import os
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOP_FOLDERS = ("common", "connectors", "dbt_project", "devtools", "docs", "expectations",
               "orchestration", "reports", "tests")
# Folders that are generated, installed or local data, not the repository's text.
SKIPPED_DIRS = {".git", ".venv", "venv", "data", "target", "logs", "dbt_packages", "__pycache__",
                ".pytest_cache", ".ruff_cache", "node_modules"}
SCANNED_SUFFIXES = {".py", ".sql", ".yml", ".yaml", ".md", ".toml", ".j2", ".cfg", ".ini"}
SCANNED_NAMES = {"Makefile"}
# The contract's pages, which live outside the repository; `docs/` holds their counterpart.
CONTRACT_PAGES = ("indicators", "spreadsheets", "outputs", "crm-api", "operations", "domain",
                  "whole-association")
# Spelled in two parts so that this file does not name what it forbids.
OUTSIDE_PATHS = ("../" + "shared", "/work/" + "shared")

PATH_TOKEN = re.compile(
    r"(?<![\w./@-])((?:" + "|".join(TOP_FOLDERS) + r")/[\w./*?+-]*)(#[\w-]+)?")
MARKDOWN_LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
BARE_CITATION = re.compile(
    r"(?<![\w./-])(?:" + "|".join(re.escape(page) for page in CONTRACT_PAGES) + r")\.md\b")
PLACEHOLDER_AFTER = ("<", "{", "…", "$")


def _files() -> Iterator[Path]:
    """Every file of the repository's own text, the skipped folders never entered."""
    for folder, subfolders, names in os.walk(ROOT):
        subfolders[:] = sorted(d for d in subfolders
                               if d not in SKIPPED_DIRS and not d.endswith(".egg-info"))
        yield from (Path(folder) / name for name in sorted(names))


def _text_files() -> Iterator[Path]:
    for path in _files():
        if path.suffix in SCANNED_SUFFIXES or path.name in SCANNED_NAMES:
            yield path


@functools.cache
def _read(path: Path) -> tuple[str, ...]:
    try:
        return tuple(path.read_text(encoding="utf-8").splitlines())
    except UnicodeDecodeError:
        return ()


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    yield from enumerate(_read(path), start=1)


def _where(path: Path, line_no: int) -> str:
    return f"{path.relative_to(ROOT)}:{line_no}"


def slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower-cased, everything but letters, digits,
    spaces, `-` and `_` dropped, each space a `-` (so `a — b` gives `a--b`)."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


@functools.cache
def anchors(page: Path) -> frozenset[str]:
    """Every heading anchor of a Markdown page, with GitHub's `-1`, `-2` for repeated ones."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    fenced = False
    for _, line in _lines(page):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        match = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if fenced or not match:
            continue
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return frozenset(found)


def _missing_target(target: Path, anchor: str | None) -> str | None:
    """Why `target` (with its optional `#anchor`) does not resolve, or None when it does."""
    if not target.exists():
        return "no such path"
    if anchor and target.suffix == ".md" and anchor not in anchors(target):
        return f"no heading with anchor #{anchor} in {target.relative_to(ROOT)}"
    return None


def _path_tokens(line: str) -> Iterator[tuple[str, str | None]]:
    for match in PATH_TOKEN.finditer(line):
        token, anchor = match.group(1), match.group(2)
        after = line[match.end():match.end() + 1]
        if after in PLACEHOLDER_AFTER or token.endswith(PLACEHOLDER_AFTER):
            continue  # `reports/<quarter>/…`: a pattern, not a path
        if anchor is None:
            token = token.rstrip(".,:;")
        if not (token.endswith("/") or re.search(r"\.[A-Za-z0-9]+$", token)):
            continue  # a module or folder named without the trailing `/`: not checked
        yield token, anchor[1:] if anchor else None


def _named_path_problems() -> list[str]:
    problems = []
    for path in _text_files():
        for line_no, line in _lines(path):
            for token, anchor in _path_tokens(line):
                if any(ch in token for ch in "*?"):
                    if not any(ROOT.glob(token)):
                        problems.append(f"{_where(path, line_no)}: {token} matches no file")
                    continue
                why = _missing_target(ROOT / token, anchor)
                if why:
                    shown = f"{token}#{anchor}" if anchor else token
                    problems.append(f"{_where(path, line_no)}: {shown}: {why}")
    return problems


def _markdown_link_problems() -> list[str]:
    problems = []
    for page in _text_files():
        if page.suffix != ".md":
            continue
        fenced = False
        for line_no, line in _lines(page):
            if line.lstrip().startswith("```"):
                fenced = not fenced
            if fenced:
                continue
            for link in MARKDOWN_LINK.findall(line):
                if re.match(r"[a-z][a-z0-9+.-]*:", link):
                    continue  # http:, https:, mailto:
                target, _, anchor = link.partition("#")
                resolved = (page.parent / target).resolve() if target else page
                if not resolved.is_relative_to(ROOT):
                    problems.append(f"{_where(page, line_no)}: {link}: outside the repository")
                    continue
                why = _missing_target(resolved, anchor or None)
                if why:
                    problems.append(f"{_where(page, line_no)}: {link}: {why}")
    return problems


def test_slug_follows_github():
    assert slug("9. Targets and achievement") == "9-targets-and-achievement"
    assert slug("`objectifs` — targets") == "objectifs--targets"
    assert slug("2. The indicator mart: `marts.indicator_values`") == \
        "2-the-indicator-mart-martsindicator_values"
    assert slug("Hours of accompaniment (`HRS`)") == "hours-of-accompaniment-hrs"


def test_the_checks_catch_what_they_look_for():
    """A path, an anchor and a citation that do not resolve are each reported. (The samples are
    assembled here, so that this file's own text passes the scan.)"""
    docs, reports, page = "docs" + "/", "reports" + "/", "indicators" + ".md"
    line = (f"see {docs}{page}#no-such-section, {reports}no_such_module.py and "
            f"{reports}<quarter>/v1/ (a pattern); then {docs}{page}#9-targets-and-achievement.")
    tokens = list(_path_tokens(line))
    assert tokens == [(docs + page, "no-such-section"), (reports + "no_such_module.py", None),
                      (docs + page, "9-targets-and-achievement")]
    verdicts = [_missing_target(ROOT / token, anchor) for token, anchor in tokens]
    assert verdicts[0] and "no heading" in verdicts[0]
    assert verdicts[1] == "no such path"
    assert verdicts[2] is None
    assert BARE_CITATION.findall(f"as {page} § 6 says") == [page]
    assert BARE_CITATION.findall(f"as {docs}{page} says, or ({page})") == [page]


def test_every_named_path_exists():
    problems = _named_path_problems()
    assert not problems, "paths named but absent:\n" + "\n".join(problems)


def test_every_markdown_link_resolves():
    problems = _markdown_link_problems()
    assert not problems, "Markdown links that point nowhere:\n" + "\n".join(problems)


def test_no_reference_outside_the_repository():
    problems = []
    for path in _files():
        if path.suffix in {".pyc", ".duckdb", ".xlsx", ".pdf", ".png"}:
            continue
        for line_no, line in _lines(path):
            problems += [f"{_where(path, line_no)}: {outside}"
                         for outside in OUTSIDE_PATHS if outside in line]
    assert not problems, "references to files a clone does not have:\n" + "\n".join(problems)


def test_contract_pages_are_cited_through_docs():
    """A contract page by bare name (`<page>.md § 6`) is a file a clone lacks;
    `docs/<page>.md#<section>` is the repository's own. Inside `docs/`, pages link to each other
    relatively."""
    problems = []
    for path in _text_files():
        if path.parent == ROOT / "docs":
            continue
        for line_no, line in _lines(path):
            problems += [f"{_where(path, line_no)}: {m.group(0)} (write docs/{m.group(0)})"
                         for m in BARE_CITATION.finditer(line)]
    assert not problems, "contract pages cited by bare name:\n" + "\n".join(problems)


# -- layers -------------------------------------------------------------------------------------
def _imports(path: Path) -> Iterator[tuple[int, str, list[ast.AST]]]:
    """(line, imported module, enclosing nodes) of every import in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))

    def walk(node: ast.AST, parents: list[ast.AST]) -> Iterator[tuple[int, str, list[ast.AST]]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield child.lineno, alias.name, parents
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                yield child.lineno, child.module, parents
            yield from walk(child, [*parents, child])

    yield from walk(tree, [])


def _python_files(*folders: str) -> Iterator[Path]:
    for folder in folders:
        yield from (p for p in _files() if p.suffix == ".py" and p.is_relative_to(ROOT / folder))


def _top(module: str) -> str:
    return module.split(".", 1)[0]


def test_lower_layers_never_import_orchestration():
    problems = [f"{_where(path, line)}: imports {module}"
                for path in _python_files("common", "connectors", "expectations", "reports")
                for line, module, _ in _imports(path) if _top(module) == "orchestration"]
    assert not problems, "orchestration imported below it:\n" + "\n".join(problems)


def _demo_branch(parents: list[ast.AST]) -> bool:
    """Inside `cmd_demo`, or under an `if` on the demo setting, of `orchestration/cli.py`."""
    for node in parents:
        if isinstance(node, ast.FunctionDef) and node.name == "cmd_demo":
            return True
        if isinstance(node, ast.If) and "demo" in ast.unparse(node.test):
            return True
    return False


def test_the_product_never_imports_devtools():
    cli = ROOT / "orchestration" / "cli.py"
    problems = []
    for path in _python_files("common", "connectors", "expectations", "reports", "orchestration"):
        for line, module, parents in _imports(path):
            if _top(module) != "devtools":
                continue
            if path == cli and _demo_branch(parents):
                continue
            problems.append(f"{_where(path, line)}: imports {module}")
    assert not problems, "dev tooling imported by the product:\n" + "\n".join(problems)


def test_the_layer_checks_see_imports():
    """The import walk finds nested imports, and the demo exception is only the demo's."""
    cli = ROOT / "orchestration" / "cli.py"
    found = [(module, _demo_branch(parents)) for _, module, parents in _imports(cli)
             if _top(module) == "devtools"]
    assert found and all(in_demo for _, in_demo in found)
    assert any(_top(module) == "orchestration" for _, module, _ in _imports(cli))
