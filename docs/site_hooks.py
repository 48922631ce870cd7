"""MkDocs hooks: the site also serves the repository files its pages link to, at their repository paths.

The README is the site's home page; a page of ``docs/`` that links ``../benchmarks/results/x.md`` or
``../README.md`` gets the same file on the site, so links work alike on the site and in the repository.
"""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
#: A Markdown link or image target that is a relative path (no scheme, no bare anchor).
RELATIVE_LINK = re.compile(r"(\]\()(?![a-z]+:|#)([^)#\s]+)")
#: Repository files that are pages of the site though no page links them.
ALWAYS = ("README.md", "CHANGELOG.md")


def _site_path(repository_path: str) -> str:
    """Where a repository file lies on the site: the pages of docs/ at its root, every other file where it is."""
    return repository_path.removeprefix("docs/")


def _linked_files() -> list[str]:
    """Repository paths outside docs/ that the README, docs/ or those files link, transitively."""
    pending = [*sorted(DOCS.glob("*.md")), *(ROOT / name for name in ALWAYS)]
    found: set[str] = set(ALWAYS)
    while pending:
        page = pending.pop()
        for _, target in RELATIVE_LINK.findall(page.read_text()):
            path = (page.parent / target).resolve()
            if not path.is_file() or not path.is_relative_to(ROOT) or path.is_relative_to(DOCS):
                continue
            relative = path.relative_to(ROOT).as_posix()
            if relative not in found:
                found.add(relative)
                if path.suffix == ".md":
                    pending.append(path)
    return sorted(found)


def on_files(files: Files, config: Any) -> Files:
    """Add the repository files the pages link to."""
    for path in _linked_files():
        files.append(
            File(path, src_dir=str(ROOT), dest_dir=config["site_dir"], use_directory_urls=config["use_directory_urls"])
        )
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    """Rewrite a page's relative links from repository paths to site paths."""
    source = Path(page.file.abs_src_path).resolve().relative_to(ROOT).as_posix()
    here = posixpath.dirname(_site_path(source))

    def rewrite(match: re.Match[str]) -> str:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(source), match.group(2)))
        if target.startswith(".."):
            return match.group(0)
        return match.group(1) + os.path.relpath(_site_path(target), here or ".").replace(os.sep, "/")

    return RELATIVE_LINK.sub(rewrite, markdown)
