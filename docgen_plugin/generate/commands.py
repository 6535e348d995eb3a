"""The bodies of `docgen draft` and `docgen model`; `cli.py` only parses and dispatches.

    docgen draft pkg.Model [--section usage ...] [--format md|json] [--explain]
                 [--write PAGE [--update] [--force]] [--refresh]
    docgen model info [--format text|json]
    docgen model prepare
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TextIO

from docgen_plugin.checks.codeblocks import lookup_object
from docgen_plugin.errors import SettingsError
from docgen_plugin.facts.model import Facts, ObjectFacts
from docgen_plugin.generate.cache import DraftCache
from docgen_plugin.generate.drafting import Draft, DraftRequest, draft_sections, find_object
from docgen_plugin.markers import (
    MarkerBlock,
    apply_drafts,
    check_writable_page,
    parse_markers,
    read_page,
    write_page,
)
from docgen_plugin.sections.catalogue import Catalogue, build_catalogue, catalogue_from_settings
from docgen_plugin.sections.context import context_fingerprint
from docgen_plugin.settings import Settings

logger = logging.getLogger(__name__)


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="`default`, a local Hugging Face model folder, or an "
                        "OpenAI-compatible server (openai://HOST:PORT/v1) (overrides `model` in "
                        "[tool.docgen]).")
    parser.add_argument("--adapter", help="A PEFT LoRA adapter folder.")


def add_draft_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `docgen draft`."""
    parser.add_argument(
        "objects", nargs="*", metavar="OBJECT",
        help="pkg.module.Name, a unique name, or a module (its public classes and functions).",
    )
    parser.add_argument(
        "--source", action="append", metavar="PATH",
        help="Package or folder to read (repeatable; default: `packages` from [tool.docgen], "
        "else the current folder).",
    )
    parser.add_argument(
        "--section", action="append", metavar="KIND",
        help="Section kind or heading, e.g. usage or 'Use Case' (repeatable; default: every "
        "section the catalogue has for the object).",
    )
    parser.add_argument("--format", choices=("md", "json"), default="md")
    parser.add_argument("--explain", action="store_true",
                        help="Show why drafts were rejected and what the model wrote.")
    parser.add_argument("--write", type=Path, metavar="PAGE",
                        help="Write the drafts into PAGE between docgen markers; empty marker "
                        "pairs in PAGE are drafted too.")
    parser.add_argument("--update", action="store_true",
                        help="With --write: edit stale sections for what changed in the code.")
    parser.add_argument("--force", action="store_true",
                        help="With --write: overwrite text a human edited or marked reviewed, "
                        "and write a read-only page (its mode stays).")
    parser.add_argument("--refresh", action="store_true", help="Ignore cached drafts.")
    parser.add_argument("--run-examples", action="store_true",
                        help="Run each usage example (it imports your code) in a subprocess "
                        "and show one that runs.")
    _add_model_options(parser)


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """The sub-commands of `docgen model`."""
    sub = parser.add_subparsers(dest="model_command", required=True)
    info = sub.add_parser("info", help="Which model drafts, where its files are, its hashes.")
    info.add_argument("--format", choices=("text", "json"), default="text")
    _add_model_options(info)
    prepare = sub.add_parser("prepare", help="Convert and verify the model now (e.g. in CI "
                             "set-up), so the first draft does not wait for it.")
    _add_model_options(prepare)


# --- docgen draft -------------------------------------------------------------------------------


def _targets(facts: Facts, names: Sequence[str]) -> list[ObjectFacts]:
    """Objects named on the command line; a module name stands for its public API."""
    found: list[ObjectFacts] = []
    for name in names:
        members = [
            o for o in facts.objects
            if o.path.startswith(name + ".") and o.kind in ("class", "function")
            and o.is_public and o.module == name
        ]
        if facts.get(name) is None and members:
            found += members
        else:
            found.append(find_object(facts, name))
    return list(dict.fromkeys(found))


def _requests(
    args: argparse.Namespace,
    settings: Settings,
    facts: Facts,
    catalogue: Catalogue,
    blocks: Sequence[MarkerBlock],
    cache: DraftCache,
) -> list[DraftRequest]:
    from docgen_plugin.checks.staleness import changes_since

    requests: dict[tuple[str, str], DraftRequest] = {}
    chosen = catalogue_from_settings(settings)
    for obj in _targets(facts, args.objects):
        specs = (
            [catalogue.spec(s) for s in args.section] if args.section else chosen.sections_for(obj)
        )
        for spec in specs:
            requests[(obj.path, spec.kind)] = DraftRequest(obj.path, spec.kind)
    for block in blocks:
        obj = lookup_object(facts, block.object)
        if obj is None:  # gone from the code, or another package's: DG301 reports it
            logger.warning("%s:%d: no object `%s` in the loaded code; block left as it is",
                           args.write, block.begin_line, block.object)
            continue
        kind = catalogue.spec(block.section).kind
        name = block.object  # as the page spells it, so the draft finds its block
        if block.is_empty:
            requests[(obj.path, kind)] = DraftRequest(name, kind)
        elif args.update and block.facts != context_fingerprint(obj, facts):
            if block.is_edited:  # a human's text: edit it for the change, do not replace it
                changes = changes_since(block, obj, facts, cache) or []
                requests[(obj.path, kind)] = DraftRequest(
                    name, kind, previous=block.content, changes=tuple(changes)
                )
            else:
                requests[(obj.path, kind)] = DraftRequest(name, kind)
    return list(requests.values())


def _show_md(drafts: Sequence[Draft], catalogue: Catalogue, out: TextIO) -> None:
    current = None
    for draft in drafts:
        if draft.object != current:
            current = draft.object
            out.write(f"## `{draft.object}`\n\n")
        out.write(f"### {catalogue.spec(draft.section).title}\n\n{draft.text.strip()}\n\n")


def _explain(drafts: Sequence[Draft], out: TextIO) -> None:
    for draft in drafts:
        origin = "cached" if draft.cached else "new"
        out.write(f"{draft.object} {draft.section}: {draft.status} ({origin})\n")
        for reason in draft.reasons:
            out.write(f"  - {reason}\n")
        for number, attempt in enumerate(draft.attempts, start=1):
            shown = " ".join(attempt.text.split())[:200]
            out.write(f"  attempt {number}: {shown!r}\n")


def run_draft(args: argparse.Namespace, settings: Settings) -> int:
    """`docgen draft`: drafts on stdout, or written into a page between markers."""
    from docgen_plugin.facts.loader import load_facts

    settings = settings.merged(model=args.model, adapter=args.adapter,
                               run_examples=getattr(args, "run_examples", False) or None)
    if (args.update or args.force) and args.write is None:
        raise SettingsError("--update and --force need --write PAGE")
    if not args.objects and args.write is None:
        raise SettingsError("name an object to draft (e.g. `docgen draft pkg.Model`), or give "
                            "--write PAGE with docgen markers in it")
    if args.write is not None:  # a page that cannot be written fails before any drafting
        note = check_writable_page(args.write, force=args.force)
        if note:
            print(f"docgen: {note}", file=sys.stderr)
    page = read_page(args.write) if args.write else ""
    facts = load_facts(args.source or [], settings)
    catalogue = build_catalogue(settings.section_synonyms)
    cache = DraftCache(settings.cache_path)
    blocks = parse_markers(page, str(args.write)) if args.write else []
    requests = _requests(args, settings, facts, catalogue, blocks, cache)
    if not requests:
        print("docgen: nothing to draft", file=sys.stderr)
        return 0
    drafts = draft_sections(facts, requests, settings, explain=args.explain,
                            refresh=args.refresh)
    if args.explain:
        _explain(drafts, sys.stderr)
    if args.write is not None:
        def canonical(name: str) -> str:
            found = lookup_object(facts, name)
            return found.path if found is not None else name

        text, outcomes = apply_drafts(page, drafts, force=args.force, update=args.update,
                                      canonical=canonical)
        if text != page:
            write_page(args.write, text)
        status = {(canonical(d.object), d.section): d.status for d in drafts}
        for outcome in outcomes:
            note = " (edited by hand; --force overwrites)" if outcome.action == "kept-edited" else ""
            how = status.get((canonical(outcome.object), outcome.section), "")
            print(f"{args.write}: {outcome.object} {outcome.section}: {outcome.action} "
                  f"[{how}]{note}", file=sys.stderr)
        return 0
    if args.format == "json":
        json.dump([asdict(d) for d in drafts], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _show_md(drafts, catalogue, sys.stdout)
    return 0


# --- docgen model -------------------------------------------------------------------------------


def run_model(args: argparse.Namespace, settings: Settings) -> int:
    """`docgen model info` and `docgen model prepare`."""
    from docgen_plugin.generate.model_status import describe, model_info, prepare_model
    from docgen_plugin.generate.server import is_server_url

    settings = settings.merged(model=args.model, adapter=args.adapter,
                               run_examples=getattr(args, "run_examples", False) or None)
    if is_server_url(settings.model):
        return _run_server_model(args, settings)
    if args.model_command == "info":
        info = model_info(settings)
        if args.format == "json":
            json.dump(info, sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            for line in describe(info):
                print(line)
        return 0
    if args.model_command == "prepare":
        resolved = prepare_model(settings)
        adapter = f" + adapter {resolved.adapter}" if resolved.adapter else ""
        print(f"docgen: {resolved.name}{adapter} is ready at {resolved.path} "
              f"(model hash {resolved.model_hash})")
        return 0
    raise SettingsError(f"unknown `docgen model` command {args.model_command!r}")


def _run_server_model(args: argparse.Namespace, settings: Settings) -> int:
    """`docgen model info|prepare` when `model` is a server: ask it what it serves."""
    from docgen_plugin.generate.server import server_info

    info = server_info(settings)  # prepare: the same check, that the server answers
    if args.model_command == "info":
        if args.format == "json":
            json.dump(info, sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            for key, value in info.items():
                shown = ", ".join(value) if isinstance(value, list) else value
                print(f"{key.replace('_', ' ')}: {shown if shown is not None else '-'}")
        return 0
    if args.model_command == "prepare":
        print(f"docgen: {info['url']} is up; drafts come from {info['server_model']}")
        return 0
    raise SettingsError(f"unknown `docgen model` command {args.model_command!r}")
