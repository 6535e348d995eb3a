"""Deterministic renderers: tables and fallback text built from facts, never by the model.

Everything here is a pure function of facts, so the same code renders a table on the first
run, on `--update`, and in the fallback when a draft fails verification.
"""

from __future__ import annotations

import ast
import html
import re

from docgen_plugin.facts.model import ConfigField, Facts, ObjectFacts, Param, Signature
from docgen_plugin.sections.catalogue import SectionSpec, category
from docgen_plugin.sections.code_spans import shielded_spans

TODO = "TODO(docgen)"
_IDENT = re.compile(r"[A-Za-z_][\w.]*")


def short_name(path: str) -> str:
    """`torch.nn.Linear` -> `Linear`."""
    return path.rsplit(".", 1)[-1]


def todo(text: str) -> str:
    """A visible TODO a reviewer cannot miss (and a check can find)."""
    return f"**{TODO}:** {text}"


# --- escaping ------------------------------------------------------------------------------


def escape_html(markdown: str) -> str:
    """Markdown from a docstring, a page or a model made safe to publish: `<` outside code
    spans and fenced blocks becomes `&lt;` (no raw HTML survives), and a link or image whose
    destination is not relative, http(s) or mailto (`javascript:`, `data:`, ...) is left as
    text (see `_break_unsafe_links`).

    Only `<` needs escaping: without it no tag, comment or autolink can open, and `>` must
    stay because it starts block quotes.
    """
    lines = markdown.splitlines(keepends=True)
    out: list[str] = []
    last = 0
    for first, stop in _fenced_blocks(lines):  # a link may span two lines: prose goes whole
        out += [_escape_prose(lines[last:first]), *lines[first:stop]]
        last = stop
    return "".join([*out, _escape_prose(lines[last:])])


# A fence both Python-Markdown (fenced_code) and CommonMark read as one: at the start of the
# line, a plain info string, and closed by the first fence of its kind that CommonMark would
# take, which must also be the exact one Python-Markdown waits for. Anything else is prose
# (its `<` escaped): an unclosed fence is code to CommonMark but text to Python-Markdown.
_OPENING_FENCE = re.compile(r"(`{3,}|~{3,})[ ]*(?:\{[^<`\n]*\}|\.?[\w#.+-]*)[ ]*\r?\n?$")
_CLOSING_FENCE = re.compile(r"( {0,3})(`{3,}|~{3,})[ \t]*\r?\n?$")


def _fenced_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """(first, stop) line ranges of the fenced code blocks in `lines`."""
    blocks: list[tuple[int, int]] = []
    index = 0
    while index < len(lines):
        opening = _OPENING_FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence = opening.group(1)
        closing = next(((number, match) for number in range(index + 1, len(lines))
                        if (match := _CLOSING_FENCE.match(lines[number]))
                        and match.group(2)[0] == fence[0] and len(match.group(2)) >= len(fence)),
                       None)
        if closing is None or closing[1].group(1) or closing[1].group(2) != fence:
            index += 1  # not a fence to both: the opening line is prose
            continue
        blocks.append((index, closing[0] + 1))
        index = closing[0] + 1
    return blocks


# `](destination` of an inline link or image, and `[label]: destination` of a reference.
_LINK_DESTINATION = re.compile(r"\](\s*\()[ \t]*\n?\s*(<[^>\n]*>?|\S*)")
_REFERENCE = re.compile(r"^( {0,3})\[[^\]\n]*\]:[ \t]*\n?\s*(\S*)", re.MULTILINE)
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f\\<]")  # what browsers and renderers drop
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})


def _escape_prose(lines: list[str]) -> str:
    text = "".join(lines)
    text = _break_unsafe_links(text, shielded_spans(text))
    return _escape_outside_spans(text, shielded_spans(text))  # the backslashes moved them


def is_safe_destination(destination: str) -> bool:
    """A relative link, or one to http(s) or mailto; read as a browser does (entities
    decoded, tabs, newlines and backslashes dropped), so `jav&#x61;script:` is not one."""
    match = _SCHEME.match(_IGNORED_IN_URLS.sub("", html.unescape(destination)))
    return match is None or match.group(1).lower() in SAFE_SCHEMES


def _break_unsafe_links(text: str, spans: list[tuple[int, int]]) -> str:
    """Each unsafe link as text: a backslash before its `(` (or its reference's `[`) keeps
    every character visible and leaves nothing for a renderer to turn into `href`."""
    def in_code(position: int) -> bool:
        return any(start <= position < stop for start, stop in spans)

    cuts = [m.start(1) + m.group(1).index("(") for m in _LINK_DESTINATION.finditer(text)
            if not in_code(m.start()) and not is_safe_destination(m.group(2))]
    cuts += [m.end(1) for m in _REFERENCE.finditer(text)
             if not in_code(m.end(1)) and not is_safe_destination(m.group(2))]
    for cut in sorted(cuts, reverse=True):
        text = text[:cut] + "\\" + text[cut:]
    return text


def _escape_outside_spans(text: str, spans: list[tuple[int, int]]) -> str:
    parts: list[str] = []
    last = 0
    for start, stop in spans:
        parts.append(text[last:start].replace("<", "&lt;"))
        parts.append(text[start:stop])
        last = stop
    parts.append(text[last:].replace("<", "&lt;"))
    return "".join(parts)


def cell_text(text: str | None) -> str:
    """Prose for a table cell: one line, HTML and `|` escaped."""
    if not text:
        return ""
    one_line = " ".join(text.split())
    return escape_html(one_line).replace("|", "\\|")


def cell_code(text: str | None) -> str:
    """Source text (an annotation, a default) as a code span in a table cell."""
    if text is None:
        return ""
    one_line = " ".join(text.split()).replace("|", "\\|")  # GFM splits cells on | even in code
    ticks = "``" if "`" in one_line else "`"
    pad = " " if ticks == "``" else ""
    return f"{ticks}{pad}{one_line}{pad}{ticks}"


def markdown_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# --- facts around an object ------------------------------------------------------------------


def annotation_names(annotation: str | None) -> list[str]:
    """Identifiers an annotation mentions: `Optional[pkg.Config]` -> [Optional, pkg.Config]."""
    return _IDENT.findall(annotation or "")


def related_config(obj: ObjectFacts, facts: Facts | None) -> ObjectFacts | None:
    """The config class an object is built from: itself, or the one its `__init__` takes."""
    if obj.is_config:
        return obj
    signature = obj.call_signature
    if facts is None or signature is None:
        return None
    for param in signature.shown_params:
        for name in annotation_names(param.annotation):
            found = facts.get(name) or facts.find(name)
            if found is not None and found.is_config:
                return found
    return None


def method_facts(obj: ObjectFacts, facts: Facts | None, name: str) -> ObjectFacts | None:
    """The facts of a method of a class (for its docstring), when the loader has them."""
    return facts.get(f"{obj.path}.{name}") if facts is not None else None


def _unmarked(text: str) -> str:
    """A value as written in a docstring, without its markup (`:obj:`, backticks)."""
    return re.sub(r":\w+:", "", text).strip().strip("`").strip()


def _defaults_differ(documented: str | None, code_default: str | None) -> bool:
    """Whether the docstring states a literal default that is not the code's literal one
    (a table showing both without a word would state two defaults)."""
    if documented is None or code_default is None:
        return False
    try:
        doc_value, code_value = ast.literal_eval(_unmarked(documented)), ast.literal_eval(code_default)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return type(doc_value) is not type(code_value) or doc_value != code_value


def _param_label(param: Param) -> str:
    prefix = {"var-positional": "*", "var-keyword": "**"}.get(param.kind, "")
    return cell_code(prefix + param.name)


def param_rows(
    signature: Signature, described: ObjectFacts | None, owner: str,
    also: ObjectFacts | None = None,
) -> list[tuple[str, ...]]:
    """Table rows of the signature's parameters, described by the docstring of `described`,
    else of `also` (a class's `__init__`, where NumPy and Sphinx styles often document them)."""
    docstrings = [o.docstring for o in (described, also) if o is not None and o.docstring]
    rows = []
    for param in signature.shown_params:
        names = dict.fromkeys((param.name, param.name.strip("_")))  # `conf_` documented as `conf`
        doc = next((found for d in docstrings for n in names if (found := d.param(n))), None)
        if doc is not None and doc.description.strip():
            description = cell_text(doc.description)
        else:
            description = todo(f"describe `{param.name}`; the docstring of `{owner}` has no entry "
                               f"named `{param.name}`.")
        if param.is_variadic:
            default = ""
        else:
            default = cell_code(param.default) if param.default is not None else "required"
        if doc is not None and _defaults_differ(doc.default, param.default):
            description += (f" **The docstring's default {cell_code(_unmarked(doc.default or ''))}"
                            f" is not the code's {cell_code(param.default or '')}.**")
        annotation = cell_code(param.annotation) if param.annotation else "*not annotated*"
        rows.append((_param_label(param), annotation, default, description))
    return rows


# --- the three tables ------------------------------------------------------------------------


def render_parameters(obj: ObjectFacts, facts: Facts | None = None) -> str:
    """The parameters of the constructor (class) or of the function, as a Markdown table."""
    signature = obj.call_signature
    if signature is None or not signature.shown_params:
        return f"`{obj.name}` takes no parameters."
    init = facts.get(f"{obj.path}.__init__") if facts is not None and obj.kind == "class" else None
    rows = param_rows(signature, obj, obj.name, also=init)
    return markdown_table(("Name", "Type", "Default", "Description"), rows)


def _field_description(config: ObjectFacts, item: ConfigField) -> str:
    if item.description:
        return cell_text(item.description)
    if config.docstring is not None:
        for attribute in config.docstring.attributes:
            if attribute.name == item.name and attribute.description.strip():
                return cell_text(attribute.description)
    return todo(f"describe `{item.name}`.")


def render_configuration(obj: ObjectFacts, facts: Facts | None = None) -> str:
    """The fields of the object's config class, with defaults, as a Markdown table."""
    config = related_config(obj, facts)
    if config is None:
        return f"`{obj.name}` takes no config class the code names (see its parameters)."
    if not config.fields:
        return f"`{config.name}` declares no fields."
    rows = [
        (
            cell_code(item.name),
            cell_code(item.annotation) if item.annotation else "*not annotated*",
            cell_code(item.default) if item.default is not None else "required",
            _field_description(config, item),
        )
        for item in config.fields
    ]
    lead = "" if config is obj else f"Fields of `{config.path}`:\n\n"
    return lead + markdown_table(("Field", "Type", "Default", "Description"), rows)


# --- fallbacks: what a section says when no draft passed verification -------------------------


def example_code(obj: ObjectFacts, facts: Facts | None = None) -> str:
    """A usage example that calls the object with its required parameters (`...` as values).

    It parses and names only accepted keywords, so it passes the same checks a draft must.
    """
    if obj.kind == "module":
        return f"import {obj.path}"
    owner, _, name = obj.path.rpartition(".")
    if obj.kind == "method":
        owner, _, cls = owner.rpartition(".")
        lines = [f"from {owner} import {cls}", "", f"instance = {cls}(...)"]
        target = f"instance.{name}"
    else:
        lines = [f"from {owner} import {name}", ""]
        target = name
    variable = {"model": "model", "config": "config", "class": "instance"}.get(
        category(obj), "result"
    )
    lines.append(f"{variable} = {target}({_call_args(obj.call_signature)})")
    forward = obj.signature("forward") if obj.is_model else None
    if forward is not None:
        lines.append(f"output = model({_call_args(forward)})")
    return "\n".join(lines)


def _call_args(signature: Signature | None) -> str:
    if signature is None:
        return ""
    args = []
    for param in signature.shown_params:
        if not param.required:
            continue
        args.append("..." if param.kind == "positional-only" else f"{param.name}=...")
    return ", ".join(args)


def fallback_text(spec: SectionSpec, obj: ObjectFacts, facts: Facts | None = None) -> str:
    """Deterministic prose for a section, with a visible TODO: never invented, always true."""
    doc = obj.docstring
    summary = escape_html(doc.summary) if doc is not None and doc.summary else ""
    if spec.kind == "overview":
        what = {
            "model": "a model class", "config": "a config class", "class": "a class",
            "function": "a function", "module": "a module",
        }[category(obj)]
        bases = f" (a subclass of {', '.join(f'`{b}`' for b in obj.bases)})" if obj.bases else ""
        lead = f"`{obj.name}` is {what}{bases}."
        body = f"{lead} {summary}" if summary else lead
        # "the code has no docstring" would be false of a class whose `__init__` has one
        note = "expand this overview." if summary else f"`{obj.name}` has no docstring summary; describe it."
        return f"{body}\n\n{todo(note)}"
    if spec.kind == "usage":
        code = example_code(obj, facts)
        ask = "replace `...` with real values and explain the example." if "..." in code else (
            "explain the example.")
        return f"```python\n{code}\n```\n\n{todo(ask)}"
    if spec.kind == "errors" and doc is not None:
        raises = [s for s in doc.sections if s.kind == "raises"]
        if raises:
            listed = "\n".join(
                f"- {line.strip()}" for line in escape_html(raises[0].text).splitlines()
                if line.strip()
            )
            return f"The docstring states:\n\n{listed}\n\n{todo('explain when each is raised.')}"
    asks = {
        "inputs": f"describe what `{obj.name}` takes and returns.",
        "intended-use": f"describe the intended use of `{obj.name}`.",
        "limitations": f"list the known limitations of `{obj.name}`.",
        "errors": f"describe the errors `{obj.name}` raises; the code does not document any.",
    }
    return todo(asks.get(spec.kind, f"write the {spec.title.lower()} of `{obj.name}`."))


def compose(prose: str | None, table: str | None) -> str:
    """A section's text: prose first, then the deterministic table."""
    return "\n\n".join(part.strip() for part in (prose, table) if part and part.strip())
