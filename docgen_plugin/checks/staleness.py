"""DG301: a written section whose object changed since the section was written.

The begin marker of a section keeps the facts fingerprint it was written from; the draft
cache keeps those facts by fingerprint, so the finding can say what changed
("parameter `eps` added; default of `dropout` 0.1 -> 0.2") and `docgen draft --update` can
hand the same list to the model.
"""

from __future__ import annotations

from collections.abc import Sequence

from docgen_plugin.checks.codeblocks import lookup_object
from docgen_plugin.checks.finding import Finding
from docgen_plugin.checks.rules import register
from docgen_plugin.facts.model import Facts, ObjectFacts, Signature
from docgen_plugin.facts.snapshots import FactsStore
from docgen_plugin.markers import MarkerBlock, MarkerError, parse_markers
from docgen_plugin.sections.context import context_fingerprint, context_objects

STALE_SECTION = register(
    "DG301",
    "stale-section",
    "Section written for older code: its object's facts changed since",
    """
## What it does
Checks every section docgen wrote into a page (between `docgen:begin` and `docgen:end`
markers) against the code as it is now: the `facts=` hash in the marker is the fingerprint of
the object (with its config class and `forward`) when the section was written. When it
differs, the finding says what changed, e.g. "parameter `eps` added; default of `dropout`
0.1 -> 0.2".

## Why is this bad?
The section was true for the code it was written from. After a parameter, a default or a
config field changed, it may now tell readers something the code no longer does.

## Example
A section written when `TinyNet(dropout=0.1)`, after the default became `0.2`:
```markdown
<!-- docgen:begin object=pkg.TinyNet section=overview facts=1f0c... -->
`dropout` defaults to 0.1.
<!-- docgen:end -->
```

## Use instead
Run `docgen draft --write PAGE --update` to have the section edited for the change (tables
are re-rendered, prose is edited, not thrown away), review it, and commit the page.

## Known problems
Saying *what* changed needs the old facts, kept in the docs project's docgen cache
(`.cache/docgen/facts`). Without that cache (a fresh CI checkout) the finding still fires but
cannot list the changes.
""",
)

MALFORMED_MARKER = register(
    "DG302",
    "malformed-marker",
    "docgen markers that do not pair up or lack object/section",
    """
## What it does
Checks that every `<!-- docgen:begin ... -->` has a matching `<!-- docgen:end -->`, that
blocks do not nest, and that each begin marker names `object=` and `section=`.

## Why is this bad?
docgen cannot tell which text it owns: it neither updates nor checks the page's sections.

## Example
```markdown
<!-- docgen:begin object=pkg.TinyNet section=usage -->
Some text, and no end marker.
```

## Use instead
```markdown
<!-- docgen:begin object=pkg.TinyNet section=usage -->
Some text.
<!-- docgen:end -->
```
""",
)


# --- diffs of facts ---------------------------------------------------------------------------


def _signature_changes(old: Signature | None, new: Signature | None, where: str) -> list[str]:
    if old is None and new is None:
        return []
    if old is None:
        return [f"`{new.name}` added"] if new is not None and where else []
    if new is None:
        return [f"`{old.name}` removed"] if where else []
    changes: list[str] = []
    olds = {p.name: p for p in old.own_params}
    news = {p.name: p for p in new.own_params}
    for name, param in news.items():
        before = olds.get(name)
        if before is None:
            changes.append(f"{where}parameter `{name}` added")
            continue
        if before.default != param.default:
            if param.default is None:
                changes.append(f"{where}parameter `{name}` is now required")
            elif before.default is None:
                changes.append(f"{where}parameter `{name}` now defaults to {param.default}")
            else:
                changes.append(
                    f"{where}default of `{name}` {before.default} -> {param.default}"
                )
        if before.annotation != param.annotation:
            changes.append(
                f"{where}type of `{name}` {before.annotation or 'none'} -> "
                f"{param.annotation or 'none'}"
            )
        if before.kind != param.kind:
            changes.append(f"{where}`{name}` is now {param.kind}")
    changes += [f"{where}parameter `{name}` removed" for name in olds if name not in news]
    if old.returns != new.returns:
        changes.append(f"{where}return type {old.returns or 'none'} -> {new.returns or 'none'}")
    return changes


def diff_object(old: ObjectFacts, new: ObjectFacts, prefix: str = "") -> list[str]:
    """What changed about one object, in words: "default of `dropout` 0.1 -> 0.2"."""
    changes: list[str] = []
    old_call, new_call = old.call_signature, new.call_signature
    changes += _signature_changes(old_call, new_call, prefix)
    names = dict.fromkeys(s.name for s in (*old.signatures, *new.signatures))
    for name in names:
        before, after = old.signature(name), new.signature(name)
        if before is old_call or after is new_call:
            continue
        changes += _signature_changes(before, after, f"{prefix}`{name}`: ")
    old_fields = {f.name: f for f in old.fields}
    new_fields = {f.name: f for f in new.fields}
    for name, item in new_fields.items():
        before = old_fields.get(name)
        if before is None:
            changes.append(f"{prefix}field `{name}` added")
        elif before.default != item.default:
            changes.append(f"{prefix}default of field `{name}` {before.default} -> {item.default}")
        elif before.annotation != item.annotation:
            changes.append(f"{prefix}type of field `{name}` {before.annotation} -> "
                           f"{item.annotation}")
    changes += [f"{prefix}field `{name}` removed" for name in old_fields if name not in new_fields]
    if old.bases != new.bases:
        changes.append(f"{prefix}bases {', '.join(old.bases) or 'none'} -> "
                       f"{', '.join(new.bases) or 'none'}")
    changes += _behaviour_changes(old, new, prefix)
    old_doc = old.docstring.text.strip() if old.docstring else ""
    new_doc = new.docstring.text.strip() if new.docstring else ""
    if old_doc != new_doc:
        changes.append(f"{prefix}docstring " + (
            "added" if not old_doc else "removed" if not new_doc else "changed"
        ))
    return changes


def _behaviour_changes(old: ObjectFacts, new: ObjectFacts, prefix: str) -> list[str]:
    """What changed in what the code raises, returns and builds."""
    changes: list[str] = []
    old_raises = {r.exception.rsplit(".", 1)[-1] for r in old.raises}
    new_raises = {r.exception.rsplit(".", 1)[-1] for r in new.raises}
    changes += [f"{prefix}now raises `{e}`" for e in sorted(new_raises - old_raises)]
    changes += [f"{prefix}no longer raises `{e}`" for e in sorted(old_raises - new_raises)]
    if ([(r.kind, r.elements) for r in old.returns]
            != [(r.kind, r.elements) for r in new.returns]):
        changes.append(f"{prefix}what it returns changed")
    old_parts = {m.name: m.type for m in old.submodules}
    new_parts = {m.name: m.type for m in new.submodules}
    for name, kind in new_parts.items():
        if name not in old_parts:
            changes.append(f"{prefix}submodule `{name}` added")
        elif old_parts[name] != kind:
            changes.append(f"{prefix}submodule `{name}` {old_parts[name]} -> {kind}")
    changes += [f"{prefix}submodule `{n}` removed" for n in old_parts if n not in new_parts]
    return changes


def diff_facts(old: Sequence[ObjectFacts], new: Sequence[ObjectFacts]) -> list[str]:
    """What changed between two context snapshots (an object, its config, its forward)."""
    if not new:
        return []
    main = new[0].path
    before = {o.path: o for o in old}
    changes: list[str] = []
    for obj in new:
        prefix = "" if obj.path == main else f"`{obj.name}`: "
        if obj.path in before:
            changes += diff_object(before[obj.path], obj, prefix)
        elif obj.path != main:
            changes.append(f"now documented with `{obj.path}`")
    now = {o.path for o in new}
    changes += [f"no longer documented with `{path}`" for path in before if path not in now]
    return list(dict.fromkeys(changes))


def changes_since(
    block: MarkerBlock, obj: ObjectFacts, facts: Facts, store: FactsStore | None
) -> list[str] | None:
    """What changed since a block was written; None when the old facts are not kept."""
    if block.facts is None or store is None:
        return None
    old = store.get_facts(block.facts)
    if old is None:
        return None
    return diff_facts(old, context_objects(obj, facts))


# --- the check ----------------------------------------------------------------------------------


def check_markers(
    page_path: str, text: str, facts: Facts, *, store: FactsStore | None = None
) -> list[Finding]:
    """DG301 for each marked section written from facts that changed since (DG302: markers
    that do not pair up). `store` (the draft cache) lets findings say what changed."""
    try:
        blocks = parse_markers(text, page_path)
    except MarkerError as error:
        message = str(error).split(": ", 1)[-1] if error.path else str(error)
        return [Finding("DG302", message, page_path, error.line)]
    roots = {o.path.split(".")[0] for o in facts.objects}
    findings: list[Finding] = []
    for block in blocks:
        obj = lookup_object(facts, block.object)
        if obj is None:
            if block.object.split(".")[0] in roots:  # only objects of the packages we read
                findings.append(Finding(
                    "DG301",
                    f"section `{block.section}` documents `{block.object}`, which no longer "
                    "exists in the code",
                    page_path, block.begin_line, block.object, block.section,
                ))
            continue
        if block.facts is None or block.is_empty:
            continue
        if context_fingerprint(obj, facts) == block.facts:
            continue
        changes = changes_since(block, obj, facts, store)
        if changes:
            what = "; ".join(changes)
        elif changes is None:
            what = f"what changed is unknown (no facts kept for {block.facts})"
        else:
            what = "its facts changed"
        findings.append(Finding(
            "DG301",
            f"section `{block.section}` of `{obj.path}` is stale: {what}; run "
            f"`docgen draft --write {page_path} --update`",
            page_path, block.begin_line, obj.path, block.section,
        ))
    return findings
