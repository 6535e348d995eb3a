"""Sections rendered from behaviour facts: error handling, what `forward` returns, what a
model is built from. Each line says what the source says, with the source's own words
(conditions and messages as code), so the sections are true by construction.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from docgen_plugin.facts.model import Facts, ObjectFacts, Raise, Return, Submodule
from docgen_plugin.sections.render import (
    cell_code,
    cell_text,
    markdown_table,
    param_rows,
    short_name,
    todo,
)

# The methods whose behaviour a class's sections describe, as a reader names them.
_CALLS = {"__init__": "constructing it", "forward": "calling it (`forward`)",
          "__call__": "calling it"}


def code(text: str) -> str:
    """Source as an inline code span (backticks inside handled)."""
    return cell_code(text).replace("\\|", "|")


def guards_text(guards: tuple[str, ...]) -> str:
    """`if a and b`, loops and handlers in words: "if `a`, in `for x in xs`, ..."."""
    parts = []
    conditions = [g for g in guards if not g.startswith(("for ", "while ", "except"))]
    for guard in guards:
        if guard.startswith(("for ", "while ")):
            parts.append(f"in the loop {code(guard)}")
        elif guard.startswith("except"):
            caught = guard.removeprefix("except").strip()
            parts.append(f"when it catches {code(caught)}" if caught else "when it catches an error")
    if conditions:
        parts.insert(0, "if " + " and ".join(code(c) for c in conditions))
    return ", ".join(parts)


# --- walking up the classes ------------------------------------------------------------------


def _defines(obj: ObjectFacts, method: str) -> bool:
    return method in obj.attributes


def lineage(obj: ObjectFacts, facts: Facts | None, method: str
            ) -> Iterator[tuple[ObjectFacts, bool]]:
    """`obj`, then each loaded base whose `method` runs too: the base's own when `obj` does
    not define it, or calls it through `super().method(...)`. (class, inherited?) pairs."""
    current, inherited, seen = obj, False, set()
    while current is not None and current.path not in seen:
        seen.add(current.path)
        if _defines(current, method) or current.kind != "class":
            yield current, inherited
            if method not in current.super_calls:
                return
        base = next((facts.get(b) for b in current.bases if facts is not None and facts.get(b)),
                    None)
        current, inherited = base, True  # type: ignore[assignment]


def _owner_behaviour(obj: ObjectFacts, facts: Facts | None, kind: str) -> list:
    """A class keeps the raises and returns of its `__init__`/`forward`/`__call__`; their
    method objects read them from there."""
    owner = facts.get(obj.module) if facts is not None and obj.kind == "method" else None
    if owner is None or obj.name not in _CALLS:
        return []
    return [item for item in getattr(owner, kind) if item.method == obj.name]


# --- error handling ---------------------------------------------------------------------------


def _set_by_then(names: tuple[str, ...]) -> str:
    """A condition on parameters the body reassigned before it."""
    listed = ", ".join(f"`{n}`" for n in names)
    return f"with {listed} as the code has set {'it' if len(names) == 1 else 'them'} by then"


def _set_notes(rebound: tuple[str, ...], computed: tuple[str, ...], what: str) -> str:
    """` (...)` after a condition on names the body set before `what` (a return, a build):
    a parameter reassigned (`return_intermediates = True` when another flag is passed) or a
    local (`return_loss = exists(indices)`) is not only what the caller passed."""
    notes = [_set_by_then(rebound)] if rebound else []
    if computed:
        notes.append(_set_in_body(computed, what))
    return f" ({'; '.join(notes)})" if notes else ""


def _set_in_body(names: tuple[str, ...], what: str) -> str:
    """"`a`, `b` are set in the body before the check": locals a condition names."""
    listed = ", ".join(f"`{n}`" for n in names)
    return f"{listed} {'is' if len(names) == 1 else 'are'} set in the body before the {what}"


def _check_line(item: Raise, facts: Facts | None) -> str:
    """A validation call: what the called function raises, where the facts know it."""
    checker = facts.get(item.exception) if facts is not None else None
    raised = sorted({short_name(r.exception) for r in checker.raises if r.kind in ("raise", "assert")}
                    ) if checker is not None else []
    what = (", ".join(f"`{n}`" for n in raised) if raised
            else f"what `{short_name(item.exception)}` raises")
    line = f"- {what} when the check {code(item.message or item.exception)} fails"
    when = guards_text(item.guards)
    return line + (f", {when}" if when else "")


def _raise_line(item: Raise, facts: Facts | None = None) -> str:
    if item.kind == "check":
        return _check_line(item, facts)
    name = short_name(item.exception)
    what = {"raise": f"`{name}`", "warn": f"warns `{name}`",
            "assert": f"`{name}` (an `assert`)"}[item.kind]
    when = guards_text(item.guards) or "always"
    line = f"- {what} {when}" if when != "always" else f"- {what}, unconditionally"
    computed = ", ".join(f"`{n}`" for n in item.computed)
    verb = "is" if len(item.computed) == 1 else "are"
    if item.via:  # its condition names that function's arguments or locals, not the caller's
        line += (f" (in `{item.via}`, where {computed} {verb} set before the check)" if computed
                 else f" (in `{item.via}`, on the arguments it is called with)")
    elif computed:
        line += f" ({_set_in_body(item.computed, 'check')})"
    if item.rebound:
        line += f" ({_set_by_then(item.rebound)}, not only as passed)"
    if item.message:
        line += f": {code(item.message)}"
    return line


def raises_of(obj: ObjectFacts, facts: Facts | None
              ) -> list[tuple[str, ObjectFacts, bool, list[Raise]]]:
    """(method, class, inherited?, raises) groups in the order a reader meets them."""
    if obj.kind != "class":
        found = list(obj.raises) or [r for r in _owner_behaviour(obj, facts, "raises")]
        return [("", obj, False, found)] if found else []
    groups = []
    for method in _CALLS:
        for owner, inherited in lineage(obj, facts, method):
            found = [r for r in owner.raises if r.method == method]
            found += _called_raises(obj, owner, method, facts)
            if found:
                groups.append((method, owner, inherited, found))
    return groups


def _mro(obj: ObjectFacts, facts: Facts | None) -> list[ObjectFacts]:
    """The class and its loaded bases, depth first in the order written."""
    order, stack = [], [obj]
    while stack:
        current = stack.pop(0)
        if current in order:
            continue
        order.append(current)
        stack = [b for b in (facts.get(x) if facts else None for x in current.bases) if b] + stack
    return order


def _called_raises(obj: ObjectFacts, owner: ObjectFacts, method: str, facts: Facts | None
                   ) -> list[Raise]:
    """What the methods `owner.method` calls on `self` raise, as `obj` defines them (a
    subclass's override runs, not the base's)."""
    found = []
    for call in owner.self_calls:
        caller, _, callee = call.partition(">")
        if caller != method:
            continue
        definer = next((c for c in _mro(obj, facts) if callee in c.attributes), None)
        if definer is not None:
            found += [replace(r, via=callee) for r in definer.raises if r.method == callee]
    return found


def render_errors(obj: ObjectFacts, facts: Facts | None = None) -> str:
    """What the code raises, warns about and asserts, and when: nothing else."""
    groups = raises_of(obj, facts)
    if not groups:
        calls = " or when called" if obj.kind == "class" and (
            obj.signature("forward") or obj.signature("__call__")) else ""
        where = f"when it is constructed{calls}" if obj.kind == "class" else "itself"
        return (f"`{obj.name}` raises no exception of its own {where}; errors can still come "
                "from the functions and layers it calls.")
    out = []
    for method, owner, inherited, found in groups:
        if obj.kind == "class":
            lead = f"When {_CALLS[method]}"
            if inherited:
                lead += f", through `{owner.name}.{method}`"
            out.append(f"{lead}:")
            out.append("")
        out += [_raise_line(r, facts) for r in found]
        out.append("")
    return "\n".join(out).strip()


# --- what forward returns --------------------------------------------------------------------


def _submodule(obj: ObjectFacts, facts: Facts | None, attribute: str) -> Submodule | None:
    for owner, _ in lineage(obj, facts, "__init__"):
        for part in owner.submodules:
            if part.name == attribute:
                return part
    return None


def _return_text(item: Return, obj: ObjectFacts, facts: Facts | None) -> str:
    if item.kind == "none":
        return "`None`"
    if item.kind == "tuple":
        count = "" if any(e.startswith("*") for e in item.elements) else f" of {len(item.elements)}"
        return f"a tuple{count}: {code('(' + ', '.join(item.elements) + ')')}"
    if item.kind == "dict":
        return "a dict with the keys " + ", ".join(code(k) for k in item.elements)
    if item.kind == "call" and item.type:
        if item.type.startswith("self."):
            part = _submodule(obj, facts, item.type.removeprefix("self."))
            made = f" (`{short_name(part.type)}`)" if part is not None else ""
            return f"the output of `{item.type}`{made}: {code(item.text)}"
        name = short_name(item.type)
        if name[:1].isupper():
            fields = ", ".join(code(k) for k in item.elements)
            return f"a `{name}`" + (f" with {fields}" if fields else "") + f": {code(item.text)}"
    return code(item.text)


def render_returns(obj: ObjectFacts, facts: Facts | None = None) -> str:
    """The return statements of `forward` (a class) or of the function, in words."""
    method = "forward" if obj.kind == "class" else ""
    returns: list[Return] = []
    if obj.kind == "class":
        for name in ("forward", "__call__"):
            for owner, _ in lineage(obj, facts, name):
                own = [r for r in owner.returns if r.method == name]
                if own:
                    returns, method = own, name
                    break
            if returns:
                break
    else:
        returns = list(obj.returns) or list(_owner_behaviour(obj, facts, "returns"))
    if not returns:
        return ""
    texts = list(dict.fromkeys((_return_text(r, obj, facts), r.guards, r.rebound, r.computed)
                               for r in returns))
    if len(returns) == 1 and returns[0].kind == "name" and not returns[0].guards:
        return ""  # "returns `out`" names a variable and says nothing
    where = f"`{method}`" if method else f"`{obj.name}`"
    if len(texts) == 1 and not texts[0][1]:
        return f"{where} returns {texts[0][0]}."
    lines = [f"{where} returns:", ""]
    for text, guards, rebound, computed in texts:
        when = guards_text(guards)
        when += _set_notes(rebound, computed, "return")
        lines.append(f"- {when + ': ' if when else 'otherwise: ' if len(texts) > 1 else ''}{text}")
    return "\n".join(lines)


def method_docs(obj: ObjectFacts, facts: Facts | None, method: str) -> ObjectFacts | None:
    """The facts (docstring) of the method a class runs: its own or a loaded base's."""
    if facts is None:
        return None
    for owner, _ in lineage(obj, facts, method):
        found = facts.get(f"{owner.path}.{method}")
        if found is not None:
            return found
    return None


def render_inputs(obj: ObjectFacts, facts: Facts | None = None) -> str:
    """What `forward` (a model) or the function takes, as a table, and what it returns."""
    if obj.kind == "class":
        signature = obj.signature("forward") or obj.signature("__call__")
        described = method_docs(obj, facts, signature.name) if signature else None
        definer = next((o for o, _ in lineage(obj, facts, signature.name)), obj) if signature else obj
        owner = f"{definer.name}.{signature.name}" if signature else obj.name
    else:
        signature, described, owner = obj.call_signature, obj, obj.name
    if signature is None:
        return todo(f"`{obj.name}` has no `forward` the code states; describe its inputs.")
    rows = param_rows(signature, described or obj, owner)
    parts = [markdown_table(("Input", "Type", "Default", "Description"), rows) if rows
             else "No inputs."]
    returned = render_returns(obj, facts)
    if signature.returns:  # what the annotation claims; the return statements follow
        parts.append(f"**Return annotation:** {cell_code(signature.returns)}")
    elif not returned:
        parts.append(f"**Returns:** {todo(f'the return type of `{owner}` is not annotated.')}")
    parts += [text for text in (returned, docstring_returns(described)) if text]
    return "\n\n".join(parts)


def docstring_returns(described: ObjectFacts | None) -> str:
    """What the docstring's Returns section says, quoted as the docstring's."""
    doc = described.docstring if described is not None else None
    if doc is None:
        return ""
    section = next((s for s in doc.sections if s.kind == "returns" and s.text.strip()), None)
    if section is not None:
        return f"The docstring says it returns: {cell_text(section.text)}"
    if doc.summary.lower().startswith("return"):  # "Returns the embeddings of ..."
        return f"The docstring says: {cell_text(doc.summary)}"
    return ""


# --- built from ------------------------------------------------------------------------------


def _part_row(part: Submodule, facts: Facts | None) -> tuple[str, ...]:
    found = facts.get(part.type) if facts is not None else None
    kind = code(found.path if found is not None else part.type)
    if found is not None and found.kind == "function":  # `Sequential(...)`, a helper: no class
        kind = f"what the function {kind} returns"
    # a list of calls whose arguments differ: the class, not a call it does not make
    built = code(short_name(part.type) if part.container and not part.args
                 else f"{short_name(part.type)}({part.args})")
    if part.container:
        count = f"{code(part.count)} of them " if part.count else ""
        built += f", {count}in a `{short_name(part.container)}`"
    note = guards_text(part.guards) + _set_notes(part.rebound, part.computed, "build")
    return (code(part.name), kind, built + (f", only {note}" if note else ""))


def render_built_from(obj: ObjectFacts, facts: Facts | None = None) -> str:
    """The attributes `__init__` builds from classes, its bases' included, as a table."""
    rows: list[tuple[str, ...]] = []
    seen: set[str] = set()
    sources = []
    for owner, inherited in lineage(obj, facts, "__init__"):
        parts = [p for p in owner.submodules if p.name not in seen]
        seen.update(p.name for p in parts)
        rows += [_part_row(p, facts) for p in parts]
        if parts and inherited:
            sources.append(f"`{owner.name}`")
    if not rows:
        return (f"`{obj.name}.__init__` assigns no call of a class to an attribute (`self.x = "
                "SomeClass(...)`); submodules it builds otherwise are not listed.")
    header = "| Attribute | Class | Built as |\n|---|---|---|\n"
    table = header + "\n".join("| " + " | ".join(row) + " |" for row in rows)
    lead = f"What `{obj.name}.__init__` builds"
    lead += f", with what {', '.join(sources)} builds in turn" if sources else ""
    return f"{lead}:\n\n{table}"


# --- limitations -------------------------------------------------------------------------------

_NOTE_TITLES = ("note", "notes", "warning", "warnings", "caution", "attention", "important",
                "limitation", "limitations", "danger", "todo")
_RST_NOTE = re.compile(r"^\.\. (note|warning|caution|important|attention|danger)::[ \t]*(.*?)"
                       r"(?=^\S|\Z)", re.MULTILINE | re.DOTALL)


def docstring_notes(obj: ObjectFacts) -> list[tuple[str, str]]:
    """(title, text) of the notes and warnings a docstring gives (Google/NumPy sections and
    reST directives)."""
    doc = obj.docstring
    if doc is None:
        return []
    notes = [(s.title or s.kind, s.text.strip()) for s in doc.sections
             if s.kind == "admonition" and (s.title or "").strip().lower() in _NOTE_TITLES
             and s.text.strip()]
    for match in _RST_NOTE.finditer(doc.text):
        body = " ".join(match.group(2).split())
        if body:
            notes.append((match.group(1).title(), body))
    return notes


def render_limitations(obj: ObjectFacts, facts: Facts | None = None) -> str:
    """What the code states it cannot do: its docstring's notes and warnings, the paths that
    raise `NotImplementedError`, and the inputs its `forward` refuses."""
    lines = [f"- {title.title()} (from the docstring): {cell_text(text)}"
             for title, text in docstring_notes(obj)]
    refuses = False
    for method, owner, _, found in raises_of(obj, facts):
        for item in found:
            refuses = True
            if item.via or item.rebound or item.computed:
                continue  # a condition on values the body makes, not on the arguments as
                # passed: Error handling says so, a one-line limitation would not
            where = f"`{owner.name}.{method}`" if method else f"`{obj.name}`"
            when = guards_text(item.guards)
            if short_name(item.exception) == "NotImplementedError":
                lines.append(f"- Not implemented{' ' + when if when else ''}: {where} raises "
                             f"`NotImplementedError`" + (f" ({code(item.message)})"
                                                          if item.message else "") + ".")
            elif method in ("forward", "__call__", "") and item.kind == "check":
                lines.append(f"- {where} checks {code(item.message or item.exception)}"
                             + (f" {when}" if when else "") + ".")
            elif method in ("forward", "__call__", "") and item.kind != "warn" and when:
                lines.append(f"- {where} raises `{short_name(item.exception)}` {when}.")
    if not lines and refuses:  # what it refuses on construction, or on values it computes
        return todo(f"list the limitations of `{obj.name}`: its docstring has no notes or "
                    "warnings; what its code refuses is listed under Error handling.")
    if not lines:
        return todo(f"list the limitations of `{obj.name}`: its code states none (no notes or "
                    "warnings in its docstring, nothing it refuses or leaves unimplemented).")
    return "\n".join(dict.fromkeys(lines))
