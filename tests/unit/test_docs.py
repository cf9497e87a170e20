# SPDX-License-Identifier: Apache-2.0
"""The docs name what is there: README links every page, and docs/extending.md's
files and modules exist (its touch list is what a new resource edits: routers did)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from quantum.testing import markdown

REPO = Path(__file__).resolve().parents[2]
EXTENDING = (REPO / "docs" / "extending.md").read_text()
TOUCH_LIST = "For a new resource: what routers touched"

ROOTS = ("quantum/", "etc/", "tests/", "bin/", "docs/", "bench/")
ROOT_PATTERN = "|".join(map(re.escape, ROOTS))
PATH = re.compile(rf"^(?:{ROOT_PATTERN})[\w./<>-]*$")


def code_spans(text: str) -> list[str]:
    """The text of every inline code span (fenced blocks left out)."""
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    return re.findall(r"`([^`\n]+)`", text)


def paths_in(text: str) -> list[str]:
    """The repository paths named in code spans (``quantum/plugins/sql.py``)."""
    found = []
    for span in code_spans(text):
        for word in span.split():
            word = word.rstrip(",.:;)")
            if PATH.match(word):
                found.append(word)
    return found


def existing_part(path: str) -> Path:
    """The path, or for a pattern (``00NN_<what>.py``, ``<kind>/``) the directory
    that holds it."""
    parts = path.rstrip("/").split("/")
    kept = []
    for part in parts:
        if "<" in part or "NN" in part:
            break
        kept.append(part)
    return REPO.joinpath(*kept)


def test_every_page_under_docs_is_linked_from_the_readme() -> None:
    readme = (REPO / "README.md").read_text()
    pages = sorted(p.name for p in (REPO / "docs").glob("*.md"))
    assert "extending.md" in pages
    assert [p for p in pages if f"docs/{p}" not in readme] == []


def test_the_architecture_page_links_the_extending_page() -> None:
    assert "docs/extending.md" in (REPO / "docs" / "architecture.md").read_text()


def new_paths(text: str) -> set[str]:
    """Paths the page marks as files a change creates: ``path`` (new)."""
    return set(re.findall(r"`([^`\s]+)` \(new\)", text))


def test_every_path_the_extending_page_names_exists() -> None:
    paths = paths_in(EXTENDING)
    assert "quantum/api/v2/catalog.py" in paths  # NOTE: the reader found them
    new = new_paths(EXTENDING)
    missing = [
        p
        for p in paths
        if not existing_part(p).exists()
        and not (p in new and existing_part(p).parent.is_dir())
    ]
    assert missing == []


def test_a_misnamed_path_is_caught() -> None:
    assert not existing_part("quantum/api/v2/catalogue.py").exists()
    assert existing_part("quantum/db/migrations/versions/00NN_<what>.py").is_dir()


def test_every_module_the_extending_page_names_imports() -> None:
    modules = sorted(
        {
            word
            for span in code_spans(EXTENDING)
            for word in re.findall(r"\bquantum(?:\.\w+)+", span)
        }
        # NOTE: the configuration file, the plugins' entry-point groups
        - {"quantum.conf", "quantum.core_plugins", "quantum.service_plugins"}
    )
    assert "quantum.api.v2.openapi" in modules
    for name in modules:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError:
            # NOTE: ``module.attribute``: the module must have it.
            module, _, attribute = name.rpartition(".")
            assert hasattr(importlib.import_module(module), attribute), name


def test_the_files_a_new_resource_touches_exist_or_are_marked_new() -> None:
    listed = markdown.section(EXTENDING, TOUCH_LIST)
    entries = [line for line in listed.splitlines() if re.match(r"^\d+\. ", line)]
    assert len(entries) >= 10
    new = new_paths(listed)
    for entry in entries:
        (path, *_) = paths_in(entry)
        if path in new:
            assert not (REPO / path).exists(), entry
            found = existing_part(path)
            assert found.is_dir() or found.parent.is_dir(), entry
        else:
            assert (REPO / path).exists(), entry
