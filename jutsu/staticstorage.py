"""Static-file storage: fingerprinted names, gzip + brotli copies, far-future caching.

``collectstatic`` (run by ``manage.py serve`` and therefore ``make demo``) copies every asset to
``STATIC_ROOT`` under a content-hashed name (``charts.3f9a0c1b2d4e.js``) and writes ``.gz`` and ``.br``
copies beside it; servestatic then serves the hashed names with ``Cache-Control: max-age=315360000,
immutable`` and picks the compressed copy the browser accepts.

Two differences from servestatic's ``CompressedManifestStaticFilesStorage``:

* **No manifest yet → source names.** Before the first ``collectstatic`` (tests, a development
  checkout) templates get the plain names, which servestatic serves from the source folders (short
  cache), instead of failing with "Missing staticfiles manifest entry".
* **Compression only for new content.** A hashed name fixes the content, so a hashed file whose
  compressed copies already exist is not compressed again: brotli's best quality needs ~10 s for
  ``plotly.min.js``, paid once per Plotly version rather than on every start.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import brotli
from django.conf import settings
from servestatic.compress import Compressor
from servestatic.storage import CompressedManifestStaticFilesStorage

COMPRESSED_SUFFIXES = (".gz", ".br")


class _Compressor(Compressor):
    """servestatic's compressor at the brotli quality ``STATIC_BROTLI_QUALITY`` (default 11, the best)."""

    @staticmethod
    def compress_brotli(data: bytes) -> bytes:
        return brotli.compress(data, quality=getattr(settings, "STATIC_BROTLI_QUALITY", 11))


class JutsuStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """servestatic's compressed manifest storage, tolerant of a missing manifest (see the module doc)."""

    def stored_name(self, name: str) -> str:
        """The hashed name from the manifest; the name itself while ``collectstatic`` has never run."""
        if not self.hashed_files:
            return name
        return super().stored_name(name)

    def create_compressor(self, **kwargs) -> Compressor:
        return _Compressor(**kwargs)

    def compress_files(self, paths: set[str]) -> Iterator[tuple[str, str]]:
        """Compress the files that may have changed: all but hashed files with both compressed copies."""
        hashed = set(self.hashed_files.values())
        fresh = {path for path in paths if not (path in hashed and self._compressed_copies_exist(path))}
        yield from super().compress_files(fresh)

    def _compressed_copies_exist(self, path: str) -> bool:
        full = self.path(path)
        return all(os.path.exists(full + suffix) for suffix in COMPRESSED_SUFFIXES)
