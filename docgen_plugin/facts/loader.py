"""`load_facts`: paths -> Facts, using the cache and both cores where that pays."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from docgen_plugin.facts.cache import FactsCache, content_hash, encode
from docgen_plugin.facts.config_files import read_config_files
from docgen_plugin.facts.discover import SourceFile, discover, unreadable_diagnostic
from docgen_plugin.facts.extract import extract_module
from docgen_plugin.facts.link import link
from docgen_plugin.facts.model import Facts, ModuleFacts
from docgen_plugin.settings import Settings

# Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 40


def _extract(job: tuple[str, str, str, str, bool]) -> tuple[ModuleFacts, str | None]:
    """Facts of one file and, when they will be cached, their JSON (encoded here, in the
    worker: serialising every module in the main process took a sixth of a cold run)."""
    path, module, display, style, cached = job
    facts = extract_module(Path(path), module, display, style)
    return facts, encode(facts) if cached else None


def load_facts(
    paths: Sequence[str | Path], settings: Settings, use_cache: bool = True
) -> Facts:
    """Facts of every package and config file under `paths` (see `discover`)."""
    targets = [str(p) for p in paths] or list(settings.packages) or ["."]
    found, config_sources, unreadable = discover(targets, settings.root_path, settings.exclude)
    modules: dict[str, ModuleFacts] = {}
    todo: list[tuple[SourceFile, str]] = []
    sources: list[SourceFile] = []
    with _gc_paused():
        cache = FactsCache(settings.cache_path if use_cache else None, settings.docstring_style)
        for source in found:
            try:
                data = source.path.read_bytes()
            except OSError as error:  # reported, and the rest of the tree is still read
                unreadable.append(unreadable_diagnostic(source.path, source.display, error))
                continue
            sources.append(source)
            digest = content_hash(data)
            cached = cache.get(source.display, digest)
            if cached is not None and cached.module == source.module:
                modules[source.display] = cached
            else:
                todo.append((source, digest))
    extracted = _extract_all(todo, settings.docstring_style, cache.enabled)
    with _gc_paused():
        for (source, digest), (facts, encoded) in zip(todo, extracted):
            modules[source.display] = facts
            if encoded is not None:
                cache.put_encoded(source.display, digest, encoded)
        cache.save(keep={s.display for s in sources})
        linked = link([modules[s.display] for s in sources])
        config_files, config_diagnostics = read_config_files(config_sources, linked, settings)
        return Facts(
            objects=linked.objects,
            config_files=tuple(config_files),
            diagnostics=(*unreadable, *linked.diagnostics, *config_diagnostics),
            config_reads=linked.config_reads,
            reexports=linked.reexports,
        )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while facts are revived and linked: that makes ~10^6
    objects, none in a cycle, and the collections their allocation set off walked all of them
    again and again (half the time of a warm load). Not around extraction: griffe makes cycles.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _extract_all(
    todo: list[tuple[SourceFile, str]], style: str, cached: bool
) -> list[tuple[ModuleFacts, str | None]]:
    jobs = [(str(s.path), s.module, s.display, style, cached) for s, _ in todo]
    workers = min(os.cpu_count() or 1, 4)
    if len(jobs) < PARALLEL_THRESHOLD or workers < 2:
        return [_extract(job) for job in jobs]
    # Small chunks: files differ a lot in size, and one big last chunk leaves a core idle.
    chunksize = max(1, min(16, len(jobs) // (workers * 8)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_extract, jobs, chunksize=chunksize))
