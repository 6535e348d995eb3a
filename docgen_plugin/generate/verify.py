"""Verification of a draft against facts, before it is accepted.

A draft passes when every identifier it names exists (in the facts or a small allow-list),
every default it states equals the code's (`0.1` == `1e-1`), every Python block parses and
calls known objects with accepted keywords, it holds no raw HTML and links only to relative
pages. The result is data: the escaped text and a tuple of reasons (empty when it passes).
"""

from __future__ import annotations

import ast
import builtins
import keyword
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from docgen_plugin.checks.codeblocks import CodeBlock, check_block
from docgen_plugin.facts.model import Facts, ObjectFacts
from docgen_plugin.generate.prompts import context_objects
from docgen_plugin.sections.render import annotation_names, escape_html

ReasonCode = Literal[
    "empty", "unknown-identifier", "wrong-default", "code", "html", "link"
]

# Words a draft may use in code without the facts stating them: the libraries and names any
# PyTorch docs use, common variable names, and tensor dimension names.
ALLOWED_NAMES = frozenset(
    {
        "torch", "nn", "F", "functional", "Tensor", "Module", "Parameter", "np", "numpy",
        "transformers", "AutoModel", "AutoTokenizer", "AutoConfig", "PreTrainedModel",
        "PretrainedConfig", "PreTrainedConfig", "from_pretrained", "save_pretrained",
        "from_config", "tokenizer", "cuda", "cpu", "device", "dtype", "float32", "float16",
        "bfloat16", "int64", "long", "no_grad", "inference_mode", "eval", "train", "forward",
        "backward", "state_dict", "load_state_dict", "parameters", "to", "shape", "size",
        "randn", "rand", "zeros", "ones", "tensor", "randint", "arange", "manual_seed",
        "model", "config", "inputs", "input", "outputs", "output", "x", "y", "batch",
        "result", "instance", "logits", "loss", "labels", "self", "cls", "kwargs", "args",
        "batch_size", "seq_len", "seq_length", "sequence_length", "num_tokens", "B", "T",
        "C", "H", "W", "N", "L", "D", "os", "math", "json", "pathlib", "Path", "typing",
        "Optional", "Union", "Any", "Sequence", "Mapping", "Callable", "Literal",
        "dataclass", "dataclasses", "field", "pydantic", "BaseModel", "TODO",
    }
)
ALLOWED_NAMES |= frozenset(dir(builtins)) | frozenset(keyword.kwlist)
ALLOWED_MODULES = frozenset({"torch", "nn", "F", "np", "numpy", "transformers", "os", "math",
                             "typing", "pathlib", "json", "dataclasses", "pydantic", "peft"})
ABBREVIATIONS = frozenset({"e.g", "i.e", "etc", "vs", "cf", "a.k.a", "w.r.t"})
FILE_LIKE = re.compile(
    r"^[\w./-]+\.(json|jsonl|ya?ml|toml|py|md|txt|safetensors|bin|pt|pth|ckpt|gguf|cfg|ini|"
    r"csv|html|onnx)$"
)
_FENCE_INFO = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_DOTTED = re.compile(r"(?<![\w./:@-])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)(?![\w/(-])")
_URL = re.compile(r"\b(?:https?|ftp)://|\bwww\.\w", re.IGNORECASE)
_SCHEME = re.compile(r"^[A-Za-z][\w+.-]*:")
_NAME = r"`?(?P<name>[A-Za-z_][\w.]*)`?"
_VALUE = r"(?:`(?P<code>[^`]+)`|(?P<bare>[^\s,;`]+))"
_CLAIMS = (
    re.compile(
        _NAME + r"\s+(?:defaults?\s+to|has\s+(?:a\s+)?default(?:\s+value)?\s+of|"
        r"(?:has\s+)?(?:a|the)\s+default(?:\s+value)?\s+(?:is|of))\s+" + _VALUE,
        re.IGNORECASE,
    ),
    re.compile(
        _NAME + r"\s*\(\s*default(?:s\s+to)?(?:\s+value)?\s*[:=]?\s*" + _VALUE,
        re.IGNORECASE,
    ),
    re.compile(
        r"default(?:\s+value)?\s+(?:of|for)\s+" + _NAME + r"\s+is\s+" + _VALUE, re.IGNORECASE
    ),
)
_ASSIGN = re.compile(r"(?<![\w.=!<>])(?P<name>[A-Za-z_]\w*)\s?=(?!=)\s?" + _VALUE)


@dataclass(frozen=True)
class Reason:
    """Why a draft was rejected."""

    code: ReasonCode
    message: str
    subject: str = ""

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Verification:
    """The outcome: the text with HTML escaped, and the reasons it fails (none: it passes)."""

    text: str
    reasons: tuple[Reason, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class _Known:
    names: frozenset[str]  # every identifier the facts state (or the allow-list has)
    paths: frozenset[str]  # full dotted paths of loaded objects
    defaults: dict[str, tuple[str | None, ...]]  # param/field name -> defaults (None: required)


def _identifiers(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_]\w*", text))


def known_names(
    obj: ObjectFacts, facts: Facts | None, allowed: Collection[str] = ()
) -> _Known:
    """Identifiers, paths and defaults a draft about `obj` may name."""
    names: set[str] = set(ALLOWED_NAMES) | set(allowed)
    defaults: dict[str, list[str | None]] = {}
    everything = facts.objects if facts is not None else (obj,)
    paths = {o.path for o in everything} | {obj.path}
    for other in everything:
        names.update(other.path.split("."))
    for item in context_objects(obj, facts):
        names.update(item.path.split("."))
        names.update(item.bases)
        names.update(b.rsplit(".", 1)[-1] for b in item.bases)
        for signature in item.signatures:
            names.add(signature.name)
            names.update(annotation_names(signature.returns))
            for param in signature.params:
                names.add(param.name)
                names.update(annotation_names(param.annotation))
                if not param.is_variadic:
                    defaults.setdefault(param.name, []).append(param.default)
        for config_field in item.fields:
            names.add(config_field.name)
            names.update(annotation_names(config_field.annotation))
            defaults.setdefault(config_field.name, []).append(config_field.default)
        if item.docstring is not None:  # words the docstring uses are stated, not invented
            names.update(_identifiers(item.docstring.text))
    expanded = set(names)
    for name in names:
        expanded.update(name.split("."))
    return _Known(
        frozenset(expanded), frozenset(paths), {k: tuple(v) for k, v in defaults.items()}
    )


# --- values -----------------------------------------------------------------------------------


def _normal(source: str) -> tuple[str, Any]:
    source = source.strip()
    try:
        value = ast.literal_eval(source)
        return ("literal", value)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    try:
        return ("expr", ast.dump(ast.parse(source, mode="eval")))
    except SyntaxError:
        return ("text", source.strip("'\""))


def same_value(stated: str, code: str) -> bool:
    """True when a value a draft states equals a default in code: `1e-1` == `0.1`."""
    kind_a, a = _normal(stated)
    kind_b, b = _normal(code)
    if kind_a == kind_b == "literal":
        if isinstance(a, bool) or isinstance(b, bool):
            return type(a) is type(b) and a == b
        return bool(a == b)
    if kind_b == "literal" and isinstance(b, str):  # "defaults to gelu" for `"gelu"`
        return stated.strip().strip("'\"`") == b
    if kind_a == kind_b:
        return bool(a == b)
    return False


def _clean_value(value: str) -> str:
    value = value.strip()
    while value and value[-1] in ".,;:)!?" and value[:-1]:
        candidate = value[:-1]
        if value[-1] == ")" and candidate.count("(") > candidate.count(")"):
            break
        value = candidate
    return value


# --- the checks -------------------------------------------------------------------------------


def _split(text: str) -> tuple[str, list[CodeBlock]]:
    """Prose (fenced blocks blanked, line count kept) and the fenced blocks."""
    prose: list[str] = []
    blocks: list[CodeBlock] = []
    fence: str | None = None
    info = ""
    code: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        match = _FENCE_INFO.match(line)
        if fence is None and match:
            fence, info, code, start = match.group(1), line.strip()[len(match.group(1)):], [], number
            prose.append("")
        elif fence is not None and match and match.group(1).startswith(fence) and not line.strip(
        )[len(match.group(1)):].strip():
            blocks.append(CodeBlock(info.strip(), "\n".join(code) + "\n", start + 1))
            fence = None
            prose.append("")
        elif fence is not None:
            code.append(line)
            prose.append("")
        else:
            prose.append(line)
    if fence is not None:  # an unclosed fence is still code
        blocks.append(CodeBlock(info.strip(), "\n".join(code) + "\n", start + 1))
    return "\n".join(prose), blocks


def _dotted_known(dotted: str, known: _Known) -> bool:
    if dotted in known.paths or any(p.endswith("." + dotted) for p in known.paths):
        return True
    parts = dotted.split(".")
    if parts[0] in ALLOWED_MODULES:
        return True
    return all(part in known.names for part in parts)


def _span_reasons(span: str, known: _Known) -> Iterable[Reason]:
    """Identifiers and `name=value` claims inside one inline code span."""
    content = span.strip()
    if not content or FILE_LIKE.match(content) or content.lower() in ABBREVIATIONS:
        return
    content = content.lstrip("*")
    try:
        tree: ast.AST = ast.parse(content, mode="eval")
    except SyntaxError:
        try:
            tree = ast.parse(content, mode="exec")
        except SyntaxError:
            return  # prose in backticks, a shell command...: nothing to check
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                yield from _claim(target.id, ast.unparse(node.value), known, flag_unknown=True)
        elif isinstance(node, ast.keyword) and node.arg and node.arg not in known.names:
            yield Reason("unknown-identifier", f"`{node.arg}` is not a parameter the code "
                         "has", node.arg)
    for dotted in _names_in(tree):
        if "." in dotted:
            if not _dotted_known(dotted, known):
                yield Reason("unknown-identifier", f"`{dotted}` is not in the code", dotted)
        elif dotted not in known.names:
            yield Reason("unknown-identifier", f"`{dotted}` is not in the code", dotted)


def _names_in(tree: ast.AST) -> list[str]:
    """Outermost dotted names (`a.b.c` once, not `a.b` and `a` again) and plain names."""
    found: list[str] = []
    inner: set[int] = set()
    for node in ast.walk(tree):
        if id(node) in inner:
            continue
        if isinstance(node, ast.Attribute):
            parts = []
            current: ast.expr = node
            while isinstance(current, ast.Attribute):
                inner.add(id(current))
                parts.append(current.attr)
                current = current.value
            inner.add(id(current))
            if isinstance(current, ast.Name):
                parts.append(current.id)
                found.append(".".join(reversed(parts)))
        elif isinstance(node, ast.Name):
            found.append(node.id)
    return found


def _claim(name: str, value: str, known: _Known, *, flag_unknown: bool) -> Iterable[Reason]:
    name = name.rsplit(".", 1)[-1]
    value = _clean_value(value)
    if not value:
        return
    defaults = known.defaults.get(name)
    if defaults is None:
        if flag_unknown:
            yield Reason("unknown-identifier", f"`{name}` is not a parameter or field the code "
                         "has", name)
        return
    stated = _normal(value)
    if stated[0] == "expr" and value not in known.names and value not in ("None", "True",
                                                                           "False"):
        if not any(d is not None and _normal(d)[0] == "literal" and isinstance(
                _normal(d)[1], str) for d in defaults):
            return  # "defaults to the hidden size": English, not a value
    if any(d is not None and same_value(value, d) for d in defaults):
        return
    stated_defaults = [d for d in defaults if d is not None]
    if not stated_defaults:
        yield Reason("wrong-default", f"`{name}` is required; the code gives it no default "
                     f"(draft says {value})", name)
    else:
        yield Reason("wrong-default", f"the default of `{name}` is {stated_defaults[0]} in the "
                     f"code, not {value}", name)


def _prose_reasons(prose: str, known: _Known) -> Iterable[Reason]:
    for pattern in _CLAIMS:
        for match in pattern.finditer(prose):
            name = match.group("name")
            value = match.group("code") or match.group("bare") or ""
            backticked = prose[match.start()] == "`"
            yield from _claim(name, value, known, flag_unknown=backticked or "_" in name)
    outside = _CODE_SPAN.sub(" ", prose)
    for match in _ASSIGN.finditer(outside):
        value = match.group("code") or match.group("bare") or ""
        yield from _claim(match.group("name"), value, known, flag_unknown=True)
    for match in _CODE_SPAN.finditer(prose):
        yield from _span_reasons(match.group(2), known)
    for match in _DOTTED.finditer(outside):
        dotted = match.group(1)
        if dotted.lower() in ABBREVIATIONS or FILE_LIKE.match(dotted):
            continue
        if not _dotted_known(dotted, known):
            yield Reason("unknown-identifier", f"`{dotted}` is not in the code", dotted)


def _markup_reasons(text: str) -> Iterable[Reason]:
    from markdown_it import MarkdownIt

    def walk(tokens: list[Any]) -> Iterable[Any]:
        for token in tokens:
            yield token
            if token.children:
                yield from walk(token.children)

    for token in walk(MarkdownIt("commonmark").parse(text)):
        if token.type in ("html_block", "html_inline"):
            snippet = " ".join(token.content.split())[:60]
            yield Reason("html", f"raw HTML is not allowed: {snippet}", snippet)
        elif token.type in ("link_open", "image"):
            target = str(token.attrGet("href") or token.attrGet("src") or "")
            if _SCHEME.match(target) or target.startswith(("/", "\\")):
                yield Reason("link", f"only relative links to this project's pages: {target}",
                             target)
        elif token.type == "text" and _URL.search(token.content):
            yield Reason("link", "no URLs: only relative links to this project's pages",
                         _URL.search(token.content).group(0))  # type: ignore[union-attr]


def _import_reasons(block: CodeBlock, known: _Known) -> Iterable[Reason]:
    """`from pkg.x import Name` inside the documented package must name a real object."""
    roots = {p.split(".")[0] for p in known.paths}
    try:
        tree = ast.parse(block.code)
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module.split(".")[0] not in roots:
                continue
            for alias in node.names:
                path = f"{node.module}.{alias.name}"
                if not _dotted_known(path, known) or (
                    path not in known.paths
                    and not any(p.endswith("." + alias.name) for p in known.paths)
                ):
                    yield Reason("code", f"code imports `{path}`, which does not exist", path)


def verify_draft(
    text: str,
    obj: ObjectFacts,
    facts: Facts | None = None,
    *,
    allowed: Collection[str] = (),
) -> Verification:
    """Check a draft about `obj`; the returned text has any raw HTML escaped."""
    if not text.strip():
        return Verification("", (Reason("empty", "the draft is empty"),))
    known = known_names(obj, facts, allowed)
    prose, blocks = _split(text)
    reasons: list[Reason] = []
    reasons += _prose_reasons(prose, known)
    reasons += _markup_reasons(prose)
    checked_facts = facts if facts is not None else Facts(objects=(obj,))
    for block in blocks:
        source = block.code if block.language else block.code
        for problem in check_block(CodeBlock(block.info or "python", source, block.line),
                                   checked_facts):
            reasons.append(Reason("code", problem.message, problem.subject or problem.target))
        reasons += _import_reasons(block, known)
    unique = tuple(dict.fromkeys(reasons))  # same reason twice says nothing new
    return Verification(escape_html(text), unique)
