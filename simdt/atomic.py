"""Folders written all at once: built under a temporary name beside the target, then renamed into place,
so a reader (or a resumed sweep) sees either the whole folder or none of it.

Output folders are never destroyed: simdt replaces a folder only when it is a previous simdt result of the same
kind (it holds that kind's marker file), and never writes onto the working directory or one of its parents."""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

MARKER = ".simdt"  # written first into sweep and plan folders, which fill up over a long (resumable) run


class OutputFolderError(Exception):
    """An output folder simdt refuses to write: it would remove files simdt did not write."""


def check_target(target: str | Path, marker: str) -> None:
    """Raise ``OutputFolderError`` unless ``target`` is absent, empty, or a simdt result holding ``marker``."""
    path = Path(target).resolve()
    cwd = Path.cwd().resolve()
    if path == cwd or path in cwd.parents:
        raise OutputFolderError(f"--out {target}: is the current folder or one of its parents; name a new folder")
    if not path.exists() and not path.is_symlink():
        return
    if not path.is_dir() or path.is_symlink():
        raise OutputFolderError(f"--out {target}: exists and is not a folder; name a new folder")
    if any(path.iterdir()) and not (path / marker).is_file():
        raise OutputFolderError(f"--out {target}: a non-empty folder that is not a simdt result (no {marker}); "
                                "simdt replaces only its own results: name a new folder or empty this one")


def claim_folder(target: str | Path) -> Path:
    """Create (or reuse) a sweep or plan folder that results fill over time, after ``check_target``."""
    target = Path(target)
    check_target(target, MARKER)
    target.mkdir(parents=True, exist_ok=True)
    (target / MARKER).touch()
    return target


@contextmanager
def atomic_folder(target: str | Path, marker: str):
    """Yield a temporary folder; on success it replaces ``target`` (absent, empty, or a previous result holding
    ``marker``: checked before and after the work), on any error it is removed and ``target`` is untouched."""
    target = Path(target)
    check_target(target, marker)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield tmp
        check_target(target, marker)  # the folder may have changed while the run was going
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
            os.replace(target, old / "previous")
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
