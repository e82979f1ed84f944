"""Output files: checked before the work starts, written at one edge."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from h2lane.errors import OutputPathError


def check_output_file(path: str | Path | None, option: str) -> Path | None:
    """Fail now, in one sentence, if ``path`` could not be written later."""
    if path is None:
        return None
    p = Path(path)
    if str(path).strip() == "":
        raise OutputPathError(f"{option} needs a file name")
    if p.is_dir():
        raise OutputPathError(f"{option} {p} is a directory, not a file")
    _check_parent(p, option)
    if p.exists() and not os.access(p, os.W_OK):
        raise OutputPathError(f"{option} {p}: permission denied")
    return p


def _check_parent(p: Path, option: str) -> None:
    """The directory ``p`` goes into exists and is writable."""
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists():
        raise OutputPathError(f"{option} {p}: the directory {parent} does not exist")
    if not parent.is_dir():
        raise OutputPathError(f"{option} {p}: {parent} is not a directory")
    if not os.access(parent, os.W_OK):
        raise OutputPathError(f"{option} {p}: permission denied")


def check_output_dir(path: str | Path | None, option: str, *, create: bool = True) -> Path | None:
    """A directory to write into: created (with parents) if missing and ``create``; else its parent
    must exist."""
    if path is None:
        return None
    p = Path(path)
    if str(path).strip() == "":
        raise OutputPathError(f"{option} needs a directory name")
    if p.exists() and not p.is_dir():
        raise OutputPathError(f"{option} {p} is a file, not a directory")
    if not p.exists():
        if not create:  # written (and created) later: its parent must be there
            _check_parent(p, option)
            return p
        try:
            p.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputPathError(
                f"{option} {p}: cannot create it ({exc.strerror or exc})"
            ) from None
    if not os.access(p, os.W_OK):
        raise OutputPathError(f"{option} {p}: permission denied")
    return p


@contextmanager
def writing(path: Path, option: str) -> Iterator[None]:
    """File-system errors while writing ``path`` become one sentence naming ``option``."""
    try:
        yield
    except OSError as exc:
        raise OutputPathError(
            f"{option} {path}: cannot be written ({exc.strerror or exc})"
        ) from None


def write_text(path: Path, text: str, option: str) -> Path:
    """Write UTF-8 text; file-system errors become one-sentence input errors."""
    with writing(path, option):
        path.write_text(text, encoding="utf-8")
    return path
