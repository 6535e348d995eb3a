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
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from docgen_plugin.checks import values
from docgen_plugin.checks.codeblocks import PYTHON_INFOS, CodeBlock, check_block
from docgen_plugin.facts.model import Facts, ObjectFacts
from docgen_plugin.generate.prompts import SYSTEM, facts_block
from docgen_plugin.sections.catalogue import SectionSpec
from docgen_plugin.sections.context import context_objects
from docgen_plugin.sections.render import annotation_names, escape_html

ReasonCode = Literal[
    "empty", "unknown-identifier", "wrong-default", "code", "html", "link", "structure", "echo",
    "unsupported",
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
# CamelCase words a draft may use in prose although the code does not name them.
ALLOWED_WORDS = frozenset({"PyTorch", "NumPy", "GitHub", "HuggingFace", "JavaScript", "MkDocs",
                           "TorchScript", "SafeTensors", "LoRA", "DataLoader", "GPUs", "CPUs"})
# Text only a prompt has: a draft that contains it is echoing the prompt, not answering.
PROMPT_TEXT = ("Facts:", "missing (write TODO", "quoted from the code", "Section:",
               "Your previous draft was rejected", "Write it again",
               # the verifier's own reasons, which a retry prompt lists
               "is not in the code", "is not a parameter", "the facts do not make",
               "neither in the facts", "the code does not say", "does not state that")
ECHO_WORDS = 6  # this many words in a row from the prompt: an echo, not an answer
ABBREVIATIONS = frozenset({"e.g", "i.e", "etc", "vs", "cf", "a.k.a", "w.r.t"})
FILE_LIKE = re.compile(
    r"^[\w./-]+\.(json|jsonl|ya?ml|toml|py|md|txt|safetensors|bin|pt|pth|ckpt|gguf|cfg|ini|"
    r"csv|html|onnx)$"
)
_FENCE_INFO = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_DOTTED = re.compile(r"(?<![\w./:@-])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)(?![\w/(-])")
_URL = re.compile(r"\b(?:https?|ftp)://|\bwww\.\w|\b(?:javascript|vbscript):|\bdata:\w+/",
                  re.IGNORECASE)
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
_SNAKE_OR_CAMEL = re.compile(
    r"(?<![\w.`/-])([A-Za-z][A-Za-z0-9]*_\w+|[a-z]+[A-Z]\w*|[A-Z][a-z0-9]+[A-Z]\w*)(?![\w`(])"
)
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.]*\w)")
_EXCEPTION = re.compile(r"\b([A-Z]\w*(?:Error|Exception|Warning))\b")
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
class KnownNames:
    """What a draft about one object may name: identifiers, paths, defaults, modules."""

    names: frozenset[str]  # every identifier the facts state (or the allow-list has)
    paths: frozenset[str]  # full dotted paths of loaded objects
    defaults: dict[str, tuple[str | None, ...]]  # param/field name -> defaults (None: required)
    elsewhere: frozenset[str] = frozenset()  # parameters and fields of other loaded objects
    stated: frozenset[str] = frozenset()  # identifiers the facts themselves state (no allow-list)
    modules: frozenset[str] = frozenset()  # top-level modules the code and its docs use
    numbers: frozenset[float] = frozenset()  # every number the facts state


def _numbers(text: str) -> set[float]:
    return {float(n) for n in _NUMBER.findall(text)}


def _identifiers(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_]\w*", text))


def known_names(
    obj: ObjectFacts, facts: Facts | None, allowed: Collection[str] = ()
) -> KnownNames:
    """Identifiers, paths and defaults a draft about `obj` may name."""
    names: set[str] = set()
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
    elsewhere = {
        p.name for o in everything for sig in o.signatures for p in sig.params
    } | {f.name for o in everything for f in o.fields}
    modules = {p.split(".")[0] for p in paths} | set(ALLOWED_MODULES)
    for other in everything:  # what bases and annotations name: torch, transformers...
        dotted = [*other.bases, *(s.returns or "" for s in other.signatures)]
        dotted += [p.annotation or "" for s in other.signatures for p in s.params]
        modules.update(n.split(".")[0] for d in dotted for n in annotation_names(d) if "." in n)
    return KnownNames(
        frozenset(expanded | ALLOWED_NAMES | set(allowed)),
        frozenset(paths),
        {k: tuple(v) for k, v in defaults.items()},
        frozenset(elsewhere),
        frozenset(expanded),
        frozenset(modules),
        frozenset(_numbers(facts_block(obj, facts)) | {0.0, 1.0}),
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
    """True when a value a draft states surely equals a default in code: `1e-1` == `0.1`.

    The checker's comparison, strict: what it cannot decide is not accepted from a model.
    """
    return values.same_value(stated, code) is True


def _clean_value(value: str) -> str:
    value = value.strip()
    while value and value[-1] in ".,;:)!?" and value[:-1]:
        candidate = value[:-1]
        if value[-1] == ")" and candidate.count("(") > candidate.count(")"):
            break
        value = candidate
    return value


# --- the checks -------------------------------------------------------------------------------


def _split(text: str) -> tuple[str, list[CodeBlock], bool]:
    """Prose (code blanked, line count kept) and the code: fenced blocks, and doctest
    sessions written without a fence (`>>>` lines up to the next blank line)."""
    prose: list[str] = []
    blocks: list[CodeBlock] = []
    fence: str | None = None
    info = ""
    code: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        match = _FENCE_INFO.match(line)
        rest = line.strip()[len(match.group(1)) :] if match else ""
        if fence == "doctest" and not line.strip():
            blocks.append(CodeBlock("pycon", "\n".join(code) + "\n", start))
            fence = None
        if fence is None and line.lstrip().startswith(">>>"):
            fence, info, code, start = "doctest", "pycon", [line], number
            prose.append("")
        elif fence == "doctest":
            code.append(line)
            prose.append("")
        elif fence is None and match:
            fence, info, code, start = match.group(1), rest, [], number
            prose.append("")
        elif fence is not None and match and match.group(1).startswith(fence) and not rest.strip():
            blocks.append(CodeBlock(info.strip(), "\n".join(code) + "\n", start + 1))
            fence = None
            prose.append("")
        elif fence is not None:
            code.append(line)
            prose.append("")
        else:
            prose.append(line)
    unclosed = fence not in (None, "doctest")
    if fence is not None:  # an unclosed fence is still code
        first = start if fence == "doctest" else start + 1
        blocks.append(CodeBlock(info.strip(), "\n".join(code) + "\n", first))
    return "\n".join(prose), blocks, unclosed


def _dotted_known(dotted: str, known: KnownNames) -> bool:
    if dotted in known.paths or any(p.endswith("." + dotted) for p in known.paths):
        return True
    parts = dotted.split(".")
    if parts[0] in ALLOWED_MODULES:
        return True
    return all(part in known.names for part in parts)


def _span_reasons(span: str, known: KnownNames) -> Iterable[Reason]:
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
        elif isinstance(node, ast.AnnAssign) and node.value is not None:  # `eps: float = 1e-5`
            if isinstance(node.target, ast.Name):
                yield from _claim(node.target.id, ast.unparse(node.value), known,
                                  flag_unknown=True)
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


def _claim(name: str, value: str, known: KnownNames, *, flag_unknown: bool) -> Iterable[Reason]:
    name = name.rsplit(".", 1)[-1]
    value = _clean_value(value)
    if not value:
        return
    defaults = known.defaults.get(name)
    if defaults is None:
        if flag_unknown and name not in known.elsewhere:
            yield Reason("unknown-identifier", f"`{name}` is not a parameter or field the code "
                         "has", name)
        return
    english = _normal(value)[0] == "expr" and value not in known.names
    if english and not any(_is_string(d) for d in defaults):
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


def _is_string(source: str | None) -> bool:
    if source is None:
        return False
    kind, value = _normal(source)
    return kind == "literal" and isinstance(value, str)


def _prose_reasons(prose: str, known: KnownNames) -> Iterable[Reason]:
    claimed: set[str] = set()  # values already judged as claimed defaults
    for pattern in _CLAIMS:
        for match in pattern.finditer(prose):
            name = match.group("name")
            value = match.group("code") or match.group("bare") or ""
            claimed.update(_NUMBER.findall(value))
            backticked = prose[match.start()] == "`"
            yield from _claim(name, value, known, flag_unknown=backticked or "_" in name)
    outside = _CODE_SPAN.sub(" ", prose)
    for match in _ASSIGN.finditer(outside):
        value = match.group("code") or match.group("bare") or ""
        claimed.update(_NUMBER.findall(value))
        yield from _claim(match.group("name"), value, known, flag_unknown=True)
    for match in _CODE_SPAN.finditer(prose):
        yield from _span_reasons(match.group(2), known)
    for match in _SNAKE_OR_CAMEL.finditer(outside):
        word = match.group(1)
        if word not in known.names and word not in ALLOWED_WORDS and not FILE_LIKE.match(word):
            yield Reason("unknown-identifier", f"`{word}` is not in the code", word)
    for number in _NUMBER.findall(outside):
        # a number the facts do not state is a made-up size, year or count
        if number not in claimed and float(number) not in known.numbers:
            yield Reason("unknown-identifier", f"the number {number} is not in the code",
                         number)
    for match in _EXCEPTION.finditer(prose):
        if match.group(1) not in known.stated:  # builtins too: which ones it raises is a claim
            yield Reason("unknown-identifier", f"the code does not state that `{match.group(1)}`"
                         " is raised", match.group(1))
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
        if token.type == "heading_open":
            yield Reason("structure", "no headings inside a section: the page has them",
                         "heading")
        elif token.type in ("html_block", "html_inline"):
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


def _import_reasons(block: CodeBlock, known: KnownNames) -> Iterable[Reason]:
    """`from pkg.x import Name` inside the documented package must name a real object."""
    roots = {p.split(".")[0] for p in known.paths}
    try:
        tree = ast.parse(block.code)
    except SyntaxError:
        return
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        for name in names:
            if name.split(".")[0] not in known.modules:
                yield Reason("code", f"code imports `{name}`, which the documented code does "
                             "not use", name)
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


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.casefold())


def _echo_reasons(text: str, section: SectionSpec | None) -> Iterable[Reason]:
    """A small model often repeats its instructions instead of following them: any run of
    six words from the rules or the section's instructions, or text only prompts have."""
    for piece in PROMPT_TEXT:
        if piece in text:
            yield Reason("echo", f"the draft repeats the prompt ({piece!r})", "echo")
            return
    words = _words(text)
    drafted = {tuple(words[i : i + ECHO_WORDS]) for i in range(len(words) - ECHO_WORDS + 1)}
    for source in (SYSTEM, section.instructions if section is not None else ""):
        given = _words(source)
        for i in range(len(given) - ECHO_WORDS + 1):
            if tuple(given[i : i + ECHO_WORDS]) in drafted:
                shown = " ".join(given[i : i + ECHO_WORDS])
                yield Reason("echo", f"the draft repeats the prompt ({shown!r}) instead of "
                             "answering it", "echo")
                return


# Talk about the task instead of doing it: "The facts are:", "This section ...".
_META = re.compile(
    r"^\W*(?:the|this)\s+[\w\s`-]{0,40}?\bsection\b|\bthe facts\b|\bthis section\b|"
    r"\b(?:previous|this|the) draft\b|\bthe code is rejected\b|\bwritten in markdown\b|"
    r"\b(?:two|three)[- ]to[- ](?:three|four)[- ]sentences?\b|\bthe task\b|"
    r"\bthe original text\b|\bwas rejected\b|\bthe document\b",
    re.IGNORECASE,
)
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$", re.MULTILINE)
_QUOTED = re.compile(r"^ {0,3}>(?!>>)", re.MULTILINE)


def _shape_reasons(text: str, prose: str) -> Iterable[Reason]:
    """Talk about the task instead of doing it, a lead-in to nothing, a table (tables come
    from facts), or a block quote: the prompt quotes the facts with `>`, and a quote in an
    answer is that, copied back (often altered)."""
    stripped = text.strip()
    if _META.search(prose.strip()):
        yield Reason("structure", "the draft talks about the task instead of doing it", "meta")
    if _TABLE_ROW.search(prose):
        yield Reason("structure", "no tables in a draft: docgen renders them from the facts",
                     "table")
    if _QUOTED.search(prose):
        yield Reason("echo", "no block quotes: the draft copies the quoted facts back", "echo")
    if stripped.endswith(":"):
        yield Reason("structure", "the draft ends with a lead-in to nothing (cut off?)",
                     "dangling")


def _usage_reasons(
    obj: ObjectFacts, blocks: Sequence[CodeBlock], section: SectionSpec | None
) -> Iterable[Reason]:
    """An example section must hold a Python example that uses the object."""
    if section is None or not section.code:
        return
    python = [b for b in blocks if b.language in ("", *PYTHON_INFOS)]
    if not any(re.search(rf"\b{re.escape(obj.name)}\b", b.code) for b in python):
        yield Reason("structure", f"the example has no Python code that uses `{obj.name}`",
                     "example")


def verify_draft(
    text: str,
    obj: ObjectFacts,
    facts: Facts | None = None,
    *,
    section: SectionSpec | None = None,
    allowed: Collection[str] = (),
    known: KnownNames | None = None,
) -> Verification:
    """Check a draft about `obj` (for `section`, when given); the returned text has any raw
    HTML escaped. `known`: the names of `known_names(obj, facts, allowed)`, when the caller
    checks many pieces of one draft."""
    if not text.strip():
        return Verification("", (Reason("empty", "the draft is empty"),))
    known = known if known is not None else known_names(obj, facts, allowed)
    prose, blocks, unclosed = _split(text)
    reasons: list[Reason] = []
    reasons += _echo_reasons(text, section)
    reasons += _prose_reasons(prose, known)
    reasons += _markup_reasons(prose)
    reasons += _usage_reasons(obj, blocks, section)
    reasons += _shape_reasons(text, prose)
    if unclosed:
        reasons.append(Reason("code", "a code block is not closed (the draft was cut off?)",
                              "fence"))
    checked_facts = facts if facts is not None else Facts(objects=(obj,))
    for block in blocks:
        # A draft's untagged block is held to Python's rules: a draft has no shell output.
        python = CodeBlock(block.info or "python", block.code, block.line)
        for problem in check_block(python, checked_facts):
            reasons.append(Reason("code", problem.message, problem.subject or problem.target))
        reasons += _import_reasons(block, known)
    # One reason per problem: a name flagged as a claim and as a name is one mistake.
    unique: dict[tuple[str, str], Reason] = {}
    for reason in reasons:
        unique.setdefault((reason.code, reason.subject or reason.message), reason)
    return Verification(escape_html(text), tuple(unique.values()))
