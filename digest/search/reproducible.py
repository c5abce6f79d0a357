"""The index files made reproducible: the same bytes for the same documents, build after build
(Pagefind's own output differs from run to run in the order of a filter's values)."""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
from typing import Any

import cbor2

log = logging.getLogger(__name__)


_SIGNATURE = b"pagefind_dcd"


def _unpack(data: bytes) -> Any:
    raw = gzip.decompress(data)
    if not raw.startswith(_SIGNATURE):
        raise ValueError("not a Pagefind file")
    return cbor2.loads(raw[len(_SIGNATURE) :])


def _pack(value: Any) -> bytes:
    return gzip.compress(_SIGNATURE + cbor2.dumps(value, canonical=True), mtime=0)


def reproducible(files: dict[str, bytes], prefix: str) -> dict[str, bytes]:
    """The same index files for the same documents, build after build.

    Pagefind writes the values of each filter in hash-map order, which changes from run to run,
    and names files after their bytes, so the filter files, the metadata file naming them and
    `pagefind-entry.json` would differ between two builds of one site. Their values are sorted
    here and the files renamed after the sorted bytes. If the format is not the one expected
    (another Pagefind version), the files are left as Pagefind wrote them: still correct."""
    try:
        entry_name = prefix + "pagefind-entry.json"
        entry = json.loads(files[entry_name])
        out = dict(files)
        for language, info in entry["languages"].items():
            meta_name = f"{prefix}pagefind.{info['hash']}.pf_meta"
            meta = _unpack(files[meta_name])
            filters = []
            for name, old_hash in meta[3]:
                old_path = f"{prefix}filter/{old_hash}.pf_filter"
                filter_name, values = _unpack(files[old_path])
                data = _pack([filter_name, sorted(values, key=lambda v: v[0])])
                new_hash = f"{language}_{hashlib.sha256(data).hexdigest()[:7]}"
                del out[old_path]
                out[f"{prefix}filter/{new_hash}.pf_filter"] = data
                filters.append([name, new_hash])
            meta[3] = sorted(filters)
            data = _pack(meta)
            new_hash = f"{language}_{hashlib.sha256(data).hexdigest()[:10]}"
            del out[meta_name]
            out[f"{prefix}pagefind.{new_hash}.pf_meta"] = data
            info["hash"] = new_hash
        out[entry_name] = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return dict(sorted(out.items()))
    except (KeyError, ValueError, TypeError, IndexError, OSError, EOFError, cbor2.CBORError) as exc:
        log.warning("search index left as Pagefind wrote it (%s)", exc)
        return files
