"""Serve front-end assets that ship inside Python packages (no CDN, no npm).

Only the files listed in ``VENDORED`` are exposed — e.g. ``plotly.min.js`` from the plotly wheel,
not its whole ``package_data`` folder.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

# static path → (package, path inside the package)
VENDORED = {
    "vendor/plotly.min.js": ("plotly", "package_data/plotly.min.js"),
}


def _package_file(package: str, relative: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    return path if path.is_file() else None


class _SingleFileStorage(FileSystemStorage):
    def __init__(self, source: Path) -> None:
        super().__init__(location=str(source.parent))
        self.prefix = None


class VendoredAssetsFinder(BaseFinder):
    """A staticfiles finder exposing the ``VENDORED`` files under their static paths."""

    def find(self, path, find_all=False, **kwargs):
        entry = VENDORED.get(path)
        if entry is None:
            return [] if find_all else None
        found = _package_file(*entry)
        if found is None:
            return [] if find_all else None
        return [str(found)] if find_all else str(found)

    def list(self, ignore_patterns):
        for static_path, entry in VENDORED.items():
            source = _package_file(*entry)
            if source is None:
                continue
            storage = _SingleFileStorage(source)
            storage.prefix = str(Path(static_path).parent)
            yield source.name, storage
