# SPDX-License-Identifier: Apache-2.0
"""A progress bar on stderr for bulk commands (``net-create --count``, deleting
many): stdout keeps only the result, so ``-f json`` output stays parseable."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

T = TypeVar("T")


def track(items: Iterable[T], total: int, what: str, stream: IO[str]) -> Iterator[T]:
    """``items``, advancing a bar once each; nothing shown for a single item."""
    if total < 2:
        yield from items
        return
    console = Console(file=stream, width=80)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
    ) as bar:
        task = bar.add_task(what, total=total)
        for item in items:
            yield item
            bar.advance(task)
