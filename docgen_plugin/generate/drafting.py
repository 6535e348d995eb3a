"""Drafting: all of a build's section requests in, verified drafts out, in one batch.

    requests -> cache lookup -> (only if something is missing) one Generator, one batched
    call -> verify -> one batched retry of the failures, errors named -> deterministic
    fallback with a visible TODO

Each result is written to the cache as it arrives, so an interrupted run keeps what it
finished. Deterministic sections (tables) never reach the model. When every draft is cached,
neither torch nor transformers is imported.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from docgen_plugin.checks.codeblocks import lookup_object
from docgen_plugin.errors import SourceError
from docgen_plugin.facts.model import Facts, ObjectFacts
from docgen_plugin.generate.cache import CacheEntry, DraftCache, cache_key
from docgen_plugin.generate.generator import Decoding, clean_prose
from docgen_plugin.generate.prompt_fit import BudgetFitter
from docgen_plugin.generate.prompts import (
    Example,
    build_messages,
    context_fingerprint,
    context_objects,
    messages_hash,
)
from docgen_plugin.generate.sentences import has_own_prose, restates_summary, verify_prose
from docgen_plugin.generate.verify import verify_draft
from docgen_plugin.sections.catalogue import Catalogue, SectionSpec, build_catalogue
from docgen_plugin.sections.deterministic import render_table
from docgen_plugin.sections.render import compose, escape_html, fallback_text, todo
from docgen_plugin.sections.usage import Usage, usage_candidates, usage_sites
from docgen_plugin.settings import Settings

logger = logging.getLogger(__name__)

DraftStatus = Literal["accepted", "retried", "fallback", "deterministic"]
MAX_ERRORS_IN_PROMPT = 4  # a small model follows a short list better than a long one


@dataclass(frozen=True)
class DraftRequest:
    """One section of one object to draft; `previous`/`changes` make it an update."""

    object: str
    section: str
    previous: str | None = None  # --update: the section's current text, to be edited
    changes: tuple[str, ...] = ()  # --update: what changed in the code since


@dataclass(frozen=True)
class Attempt:
    """One model output and why it was rejected (kept with `explain=True`)."""

    text: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Draft:
    """A section's text, ready for a page, and how it came to be."""

    object: str  # as the request named it (a page may use a re-exported name)
    section: str
    text: str  # Markdown
    status: DraftStatus
    reasons: tuple[str, ...] = ()  # why drafts were rejected (retried/fallback)
    facts: str = ""  # context fingerprint the text was written from
    cache_key: str | None = None
    cached: bool = False
    attempts: tuple[Attempt, ...] = field(default=(), compare=False)
    path: str = ""  # the object's canonical path


class TextGenerator(Protocol):
    """What drafting needs of `generate.generator.Generator`."""

    def generate(
        self,
        prompts: Sequence[list[dict[str, str]]],
        max_new_tokens: int | Sequence[int],
        on_result: Callable[..., Any] | None = None,
    ) -> list[str]: ...


GeneratorFactory = Callable[[Settings], TextGenerator]


@dataclass
class _Job:
    index: int
    obj: ObjectFacts
    spec: SectionSpec
    request: DraftRequest
    fingerprint: str
    messages: list[dict[str, str]]
    key: str
    max_new_tokens: int
    table: str | None
    attempts: list[Attempt] = field(default_factory=list)


# --- lookups --------------------------------------------------------------------------------


def find_object(facts: Facts, name: str) -> ObjectFacts:
    """An object by path or unique name; `SourceError` naming the closest ones otherwise."""
    found = lookup_object(facts, name)
    if found is not None:
        return found
    paths = [o.path for o in facts.objects]
    close = difflib.get_close_matches(name, paths, n=3, cutoff=0.5)
    if not close:
        tail = name.rsplit(".", 1)[-1]
        close = [p for p in paths if p.rsplit(".", 1)[-1].lower() == tail.lower()][:3]
    hint = f"; did you mean {', '.join(f'`{c}`' for c in close)}?" if close else ""
    raise SourceError(f"no object `{name}` in the loaded code{hint}", name)


def tidy(text: str, spec: SectionSpec) -> str:
    """Model output as section text: loops and a cut-off sentence trimmed (prose sections),
    no heading echo, no wrapping ```markdown fence."""
    # clean_prose drops code blocks, which are the point of a usage section
    cleaned = text.strip() if spec.code else clean_prose(text)
    wrapped = re.fullmatch(r"```(?:markdown|md)?\n(.*)\n```", cleaned, re.DOTALL)
    if wrapped:
        cleaned = wrapped.group(1).strip()
    lines = cleaned.splitlines()
    while lines and (lines[0].lstrip().startswith("#") or not lines[0].strip()):
        lines.pop(0)  # the model echoing "## Usage": the page has the heading already
    return "\n".join(lines).strip()


def prose_part(text: str) -> str:
    """A section's text without its deterministic tables (they are re-rendered, not edited)."""
    kept = [
        line for line in text.splitlines()
        if not line.lstrip().startswith("|") and not line.startswith(("**Returns:**",
                                                                      "**Return annotation:**"))
        and not line.startswith("Fields of `")
    ]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def _still_true(entry: CacheEntry, obj: ObjectFacts, spec: SectionSpec, facts: Facts) -> bool:
    """A cached model draft is checked again (milliseconds): the verifier may have become
    stricter, or an object it names may have gone from the code since."""
    if entry.status not in ("accepted", "retried"):
        return True
    prose = prose_part(entry.text) if spec.table else entry.text
    if spec.code:
        return verify_draft(prose, obj, facts, section=spec).ok
    check = verify_prose(prose, obj, facts, section=spec)
    # every sentence it kept still holds, and together they still add to the first line
    return check.ok and not check.dropped and not restates_summary(check.text, obj)


def check_draft(text: str, obj: ObjectFacts, facts: Facts, spec: SectionSpec
                ) -> tuple[str | None, tuple[str, ...]]:
    """(text to keep or None, reasons): the supported sentences of a prose draft (a code
    draft passes or fails whole). A draft that only restates the docstring's first line
    is not kept: the deterministic text says that honestly."""
    if spec.code:
        outcome = verify_draft(text, obj, facts, section=spec)
        return (outcome.text if outcome.ok else None), tuple(map(str, outcome.reasons))
    check = verify_prose(text, obj, facts, section=spec)
    dropped = tuple(f"dropped {d.sentence[:100]!r}: {'; '.join(d.reasons)}" for d in check.dropped)
    if not check.ok:
        return None, check.reasons or ("the draft is empty",)
    if restates_summary(check.text, obj):
        return None, (*dropped, "what is left only restates the docstring's first line")
    return check.text, dropped


def runnable_usage(obj: ObjectFacts, candidates: Sequence[Usage], fingerprint: str,
                   settings: Settings) -> str:
    """The first usage example that runs, said so; else the best one, marked as not run."""
    from pathlib import Path

    from docgen_plugin.generate.examples import ExampleRuns, source_root

    runs = ExampleRuns(settings.cache_path)
    file = Path(obj.file) if Path(obj.file).is_absolute() else settings.root_path / obj.file
    root = source_root(file.resolve(), obj.module)
    errors = []
    for candidate in candidates:
        if candidate.unknown:
            continue  # `...` in it: nothing to run
        result = runs.run(candidate.code, fingerprint, root)
        if result.ok:
            return f"{candidate.markdown()}\n\ndocgen ran this example: it runs as shown."
        errors.append(result.error)
    why = f": `{errors[0]}`" if errors else " (it has values to fill in)"
    return f"{candidates[0].markdown()}\n\n{todo('this example did not run when docgen tried it' + why)}"


def _update_fallback(request: DraftRequest, spec: SectionSpec, obj: ObjectFacts) -> str:
    """An update that failed verification keeps the human's text and lists the changes."""
    previous = prose_part(request.previous or "")
    changes = "; ".join(request.changes) if request.changes else "its facts changed"
    note = todo(f"the code changed ({escape_html(changes)}); review this section.")
    return f"{previous}\n\n{note}" if previous else fallback_text(spec, obj)


# --- the pipeline -----------------------------------------------------------------------------


def _without_docstring(request: DraftRequest, spec: SectionSpec, obj: ObjectFacts,
                       facts: Facts, table: str | None, fingerprint: str) -> Draft:
    """The fallback, without asking the model: with no docstring of its own, the object's
    prose could rest only on its names, and every sentence would be a guess."""
    if request.previous is not None:
        text = _update_fallback(request, spec, obj)
    else:
        text = fallback_text(spec, obj, facts)
    reason = (f"`{obj.name}` has no docstring: a draft could rest only on its names, "
              "so none was asked for")
    return Draft(request.object, spec.kind, compose(text, table), "fallback", (reason,),
                 fingerprint, path=obj.path)


def default_generator(settings: Settings) -> TextGenerator:
    from docgen_plugin.generate.server import ServerGenerator, is_server_url

    if is_server_url(settings.model):
        return ServerGenerator.from_settings(settings)  # a server drafts: nothing loads here
    from docgen_plugin.generate.generator import Generator

    return Generator.from_settings(settings)  # torch and transformers load here


def model_identity(settings: Settings) -> tuple[str, str | None, dict[str, Any]]:
    """The model's and adapter's hashes, and what decides the numbers it computes with."""
    from docgen_plugin.generate.server import is_server_url, model_hash

    if is_server_url(settings.model):
        # `openai://host:port/v1#<served model or adapter>`: the server's weights are not ours
        # to hash; its adapter is part of the served name
        return model_hash(settings), None, {}
    from docgen_plugin.generate.hardware import numerics_key
    from docgen_plugin.generate.model_resolve import resolve_model

    resolved = resolve_model(settings)
    return resolved.model_hash, resolved.adapter_hash, numerics_key()


def draft_sections(
    facts: Facts,
    requests: Sequence[DraftRequest],
    settings: Settings,
    explain: bool = False,
    *,
    examples: Sequence[Example] = (),
    refresh: bool = False,
    generator: TextGenerator | GeneratorFactory | None = None,
    catalogue: Catalogue | None = None,
) -> list[Draft]:
    """Drafts for every request, in request order: cached, generated (one batch), or fallback.

    `generator` is a ready generator or a factory called only when something is missing;
    `refresh` ignores cached drafts (they are still overwritten with the new ones).
    """
    catalogue = catalogue or build_catalogue(settings.section_synonyms)
    decoding = getattr(generator, "decoding", None) or Decoding()
    cache = DraftCache(settings.cache_path)
    drafts: list[Draft | None] = [None] * len(requests)
    jobs: list[_Job] = []
    hashes: tuple[str, str | None, dict[str, Any]] | None = None
    resolved = [(find_object(facts, r.object), catalogue.spec(r.section)) for r in requests]
    fit = BudgetFitter(settings)
    # calls of the objects in the project's tests, examples and pages (only when needed)
    sites = usage_sites(facts, settings.root_path, [o for o, s in resolved if s.table == "usage"])
    for index, (request, (obj, spec)) in enumerate(zip(requests, resolved)):
        fingerprint = context_fingerprint(obj, facts)
        cache.put_facts(fingerprint, context_objects(obj, facts))  # for DG301 and --update
        if settings.run_examples and spec.table == "usage":
            table = runnable_usage(obj, usage_candidates(obj, facts, sites), fingerprint,
                                   settings)
        else:
            table = render_table(spec, obj, facts, sites)
        if spec.deterministic:
            drafts[index] = Draft(request.object, spec.kind, table or "", "deterministic",
                                  facts=fingerprint, path=obj.path)
            continue
        if not spec.code and not has_own_prose(obj, facts):
            drafts[index] = _without_docstring(request, spec, obj, facts, table, fingerprint)
            continue
        previous = prose_part(request.previous) if request.previous is not None else None
        messages = fit(build_messages(
            obj, spec, facts, examples=examples, previous=previous, changes=request.changes
        ))
        if hashes is None:
            hashes = model_identity(settings)
        budget = min(spec.max_new_tokens, settings.max_new_tokens)
        key = cache_key(
            facts=fingerprint,
            section=spec.kind,
            prompt=messages_hash(messages),
            model_hash=hashes[0],
            adapter_hash=hashes[1],
            generation={"max_new_tokens": budget, **decoding.as_dict(), **hashes[2]},
            mode="update" if previous is not None else "draft",
        )
        entry = None if refresh else cache.get(key)
        if entry is not None and not _still_true(entry, obj, spec, facts):
            logger.info("docgen: cached %s/%s no longer verifies; drafting it again",
                        obj.path, spec.kind)
            entry = None
        if entry is not None:
            drafts[index] = Draft(
                request.object, spec.kind, entry.text, entry.status,  # type: ignore[arg-type]
                entry.reasons, fingerprint, key, cached=True, path=obj.path,
            )
            continue
        jobs.append(_Job(index, obj, spec, request, fingerprint, messages, key, budget, table))

    if jobs:
        logger.info("docgen: drafting %d section(s) (%d cached)", len(jobs),
                    sum(d is not None for d in drafts))
        ready = _make(generator, settings)
        for job, draft in _generate(ready, jobs, facts, cache, explain, examples, fit):
            drafts[job.index] = draft
    return [d for d in drafts if d is not None]


def _make(generator: TextGenerator | GeneratorFactory | None, settings: Settings) -> TextGenerator:
    if generator is None:
        return default_generator(settings)
    if hasattr(generator, "generate"):
        return generator  # type: ignore[return-value]
    return generator(settings)  # type: ignore[operator]


def _run_batch(
    generator: TextGenerator,
    prompts: list[list[dict[str, str]]],
    budgets: list[int],
    handle: Callable[[int, str], None],
) -> None:
    """One batched call; results are handled as they arrive (or at the end, if not streamed)."""
    done: set[int] = set()

    def on_result(index: int, text: str) -> None:
        done.add(index)
        handle(index, text)

    outputs = generator.generate(prompts, budgets, on_result=on_result)
    for index, text in enumerate(outputs):
        if index not in done:
            handle(index, text)


def _generate(
    generator: TextGenerator,
    jobs: list[_Job],
    facts: Facts,
    cache: DraftCache,
    explain: bool,
    examples: Sequence[Example],
    fit: BudgetFitter,
) -> list[tuple[_Job, Draft]]:
    finished: list[tuple[_Job, Draft]] = []
    failed: list[tuple[_Job, tuple[str, ...]]] = []

    def finish(job: _Job, text: str, status: DraftStatus, reasons: tuple[str, ...]) -> None:
        body = compose(text, job.table)
        draft = Draft(job.request.object, job.spec.kind, body, status, reasons, job.fingerprint,
                      job.key, attempts=tuple(job.attempts) if explain else (), path=job.obj.path)
        # Written now, not at the end: Ctrl-C keeps every finished draft.
        cache.put(CacheEntry(job.key, draft.object, draft.section, draft.text, draft.status,
                             draft.reasons, draft.facts))
        finished.append((job, draft))

    def first(index: int, raw: str) -> None:
        job = jobs[index]
        kept, reasons = check_draft(tidy(raw, job.spec), job.obj, facts, job.spec)
        job.attempts.append(Attempt(raw, reasons))
        if kept is not None:
            finish(job, kept, "accepted", reasons)  # reasons: the sentences it dropped
        else:
            failed.append((job, reasons))

    _run_batch(generator, [j.messages for j in jobs], [j.max_new_tokens for j in jobs], first)
    if not failed:
        return finished

    retry = [job for job, _ in failed]
    first_reasons = {job.index: reasons for job, reasons in failed}
    prompts = [
        fit(build_messages(
            job.obj, job.spec, facts, examples=examples,
            errors=first_reasons[job.index][:MAX_ERRORS_IN_PROMPT],
            previous=prose_part(job.request.previous) if job.request.previous else None,
            changes=job.request.changes,
        ))
        for job in retry
    ]

    def second(index: int, raw: str) -> None:
        job = retry[index]
        kept, second_reasons = check_draft(tidy(raw, job.spec), job.obj, facts, job.spec)
        job.attempts.append(Attempt(raw, second_reasons))
        reasons = tuple(f"first draft: {r}" for r in first_reasons[job.index])
        if kept is not None:
            finish(job, kept, "retried", (*reasons, *(f"retry: {r}" for r in second_reasons)))
            return
        reasons += tuple(f"retry: {r}" for r in second_reasons)
        logger.info("docgen: %s/%s: no draft passed verification (%s); using the fallback",
                    job.obj.path, job.spec.kind, "; ".join(reasons))
        if job.request.previous is not None:
            text = _update_fallback(job.request, job.spec, job.obj)
        else:
            text = fallback_text(job.spec, job.obj, facts)
        finish(job, text, "fallback", reasons)

    _run_batch(generator, prompts, [j.max_new_tokens for j in retry], second)
    return finished
