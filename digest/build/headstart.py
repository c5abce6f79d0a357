"""The search index's head start: an edited brief's shard indexed while the build loads.

After an edit of a brief or two (a body, tags, a title), a separate `digest build` spends most
of a second loading its cache and planning the site before it comes to the search index, and
indexing the brief's shard again (its segment, see digest.search.segment) then takes longer
than the rest of the build. So as soon as the build's quick check has seen which brief files
changed, and that nothing else did, those briefs are parsed, their search documents written
with what the last build knew of the tags, and their shards' runs started. The pipeline takes such a run over only if the
shard's documents are exactly the ones it would have written (see search.start_index);
otherwise the run is stopped and the shard indexed as usual. A head start can waste work, but
never changes the result.
"""

from __future__ import annotations

import logging
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from digest.build.cache import record_key, write_file
from digest.content.config import Config
from digest.content.files import Inputs
from digest.core.layout import CACHE_DIR
from digest.site.shards import shard_of

if TYPE_CHECKING:
    from digest.core.model import ParsedBrief
    from digest.search.documents import Vocabulary
    from digest.search.runs import IndexJob

log = logging.getLogger(__name__)
MAX_EDITED = 8  # briefs edited since the last build, past which no head start is tried


@dataclass(frozen=True)
class Known:
    """What the last build of an output folder, with its index complete, knew of the index."""

    inputs: Inputs  # as its quick check saw them
    folder: str  # its search folder (documents, segments and the runs' output)
    count: int  # shards
    version: str  # of the code
    words: Vocabulary  # what its search documents took of the site besides their briefs


def _path(root: Path, out_dir: Path) -> Path:
    return root / CACHE_DIR / f"search-{record_key(out_dir)}.pickle"


def remember(root: Path, out_dir: Path, known: Known | None) -> None:
    """Keep what the next build needs for a head start (or, with None, forget it)."""
    path = _path(root, out_dir)
    if known is None:
        path.unlink(missing_ok=True)
        return
    write_file(path, lambda handle: pickle.dump(known, handle, protocol=pickle.HIGHEST_PROTOCOL))


def start(config: Config, out_dir: Path, inputs: Inputs, version: str, limit: int) -> dict[int, IndexJob]:
    """Start the runs of the shards of the briefs edited since the last build, when that is
    all that changed: shard -> its run (a search.IndexJob), for the pipeline to take over or stop.
    Anything unexpected means no head start, never an error."""
    try:
        return _start(config, out_dir, inputs, version, limit)
    except Exception as exc:  # noqa: BLE001 - only a head start is lost
        log.debug("no head start for the search index: %s", exc)
        return {}


def _start(config: Config, out_dir: Path, inputs: Inputs, version: str, limit: int) -> dict[int, IndexJob]:
    try:
        with _path(config.root, out_dir).open("rb") as handle:
            known = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError):
        return {}
    if not isinstance(known, Known) or known.version != version or known.inputs.others != inputs.others:
        return {}
    if known.inputs.briefs.keys() != inputs.briefs.keys():
        return {}  # briefs added or removed: shards may change
    edited = [rel for rel, stat in inputs.briefs.items() if known.inputs.briefs[rel] != stat]
    if not edited or len(edited) > MAX_EDITED:
        return {}

    from digest.content.brief import parse_brief
    from digest.content.load import decode
    from digest.content.taxonomy import load_taxonomy
    from digest.core.dates import longdate
    from digest.search import documents
    from digest.search import runs as search
    from digest.search.index import index_language

    taxonomy = load_taxonomy(config.root, config.taxonomy)
    parsed = []
    for rel in edited:
        data = (config.root / rel).read_bytes()
        parsed.append(parse_brief(decode(data, rel), rel, Path(rel).stem, config, taxonomy))
    by_shard: dict[int, list[ParsedBrief]] = {}
    for result in parsed:
        brief = result.brief
        if brief.draft or any(slug not in known.words.tags for slug in brief.tags):
            return {}  # (a draft is not indexed; a new tag's page and label are the site's to decide)
        by_shard.setdefault(shard_of(brief.slug, known.count), []).append(result)
    if len(by_shard) > limit:
        return {}
    body_keys = {r.brief.slug: r.body_key for r in parsed}
    folder = Path(known.folder)
    command, language = search.command(config.language, version), index_language(config.language)
    jobs: dict[int, IndexJob] = {}
    try:
        for shard, results in sorted(by_shard.items()):
            shard_docs = folder / "docs" / str(shard)
            manifest = documents.read_manifest(shard_docs)
            if manifest is None or any(r.brief.slug not in manifest for r in results):
                continue  # (a brief new to the index, or under another slug: the pipeline's to do)
            wanted = dict(manifest)
            made = {}
            for r in results:
                wanted[r.brief.slug] = documents.document_keys(known.words, version, [r.brief], body_keys)[r.brief.slug]
                made[r.brief.slug] = documents.document(known.words, r.brief, r.body_html, longdate(r.brief.published))
            if wanted == manifest:
                continue  # the documents are as they were
            documents.sync_documents(shard_docs, wanted, made.__getitem__)
            job = search.IndexJob(
                shard, shard_docs, Path(tempfile.mkdtemp(prefix=f"index-{shard}.", dir=search.scratch(folder)))
            )
            jobs[shard] = job
            # (at the build's priority: it loads in one process meanwhile, and then waits for this
            # run, which joins the index too when its shard is all that changed in its part)
            join = search.join_request([job], by_shard, folder, known.count, language, out_dir)
            search.launch(command, job, nice=0, extra=join)
    except BaseException:
        stop(jobs)
        raise
    return jobs


def stop(jobs: dict[int, IndexJob]) -> None:
    """Stop the runs the pipeline did not take over."""
    for job in jobs.values():
        job.stop()
    jobs.clear()
