"""Code blocks in pages that are not prose: Python source as `ast` can read it, and YAML/JSON/
TOML blocks against the config class (and the config file) they show."""

from __future__ import annotations

import ast
import json
import re
import textwrap
from functools import cached_property
from typing import TYPE_CHECKING, Any

from docgen_plugin.checks.codeblocks import (
    CodeBlock,
    CodeProblem,
    check_block,
    check_code,
    is_doctest,
    lookup_object,
)
from docgen_plugin.checks.pages.model import Code, Inline
from docgen_plugin.checks.pages.names import unknown_hint
from docgen_plugin.checks.values import same_value
from docgen_plugin.facts.config_files import (
    IGNORED_KEYS,
    ConfigFileError,
    flatten,
    key_lines,
    match_config_class,
    parse_config_text,
)
from docgen_plugin.facts.model import ConfigFileFacts, ConfigKey, Facts, ObjectFacts
from docgen_plugin.sections.render import related_config
from docgen_plugin.settings import Settings

if TYPE_CHECKING:
    from docgen_plugin.checks.finding import Finding
    from docgen_plugin.checks.pages.context import PageContext
    from docgen_plugin.checks.pages.links import Linker, Scope

_MAGIC = re.compile(r"^\s*[%!]")  # IPython magics and shell escapes: not Python
_PLACEHOLDER = re.compile(r"<[A-Za-z_][\w .,/:-]*>")  # `model = <your_model>`: pseudo-code
_FORMATS = {"yaml": "yaml", "yml": "yaml", "json": "json", "jsonc": "json", "toml": "toml"}
_CITED = re.compile(r"[\w./-]+\.(?:ya?ml|json|toml)\b")
_DEFAULTS_WORD = re.compile(r"\bdefaults?\b", re.I)


_OUTPUT = re.compile(r"^\s*(?:Traceback \(most recent call last\)|[A-Z]\w*(?:Error|Exception|Warning):)")


def is_output(code: str) -> bool:
    """A block tagged Python that shows an error or a traceback: output, not code."""
    first = next((line for line in code.split("\n") if line.strip()), "")
    return bool(_OUTPUT.match(first))


def imports_missing_module(code: str, linker: Linker) -> bool:
    """Whether a block imports from a module of a loaded package that does not exist: it is
    about other code (a proposal, another version), so its calls say nothing about ours."""
    try:
        tree = ast.parse(textwrap.dedent(code))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        if any(n.split(".")[0] in linker.roots and n not in linker.modules for n in names):
            return True
    return False


class RootedFacts(Facts):
    """Facts as code blocks see them: a dotted name resolves only inside the loaded packages,
    and lookups are indexed.

    `Facts.find("openai.OpenAI")` matches `pkg.models.openai.OpenAI` by its suffix: a code
    block's `openai.OpenAI()` (the openai client) would be checked against the package's own
    `OpenAI` wrapper. Here a name of another library is a `module` placeholder without a
    signature: the call checker resolves it and finds nothing to check. `find` keeps
    `Facts.find`'s rules, through an index by last name (examples call names by the thousand:
    a scan of every object per call took minutes on transformers)."""

    @cached_property
    def roots(self) -> frozenset[str]:
        return frozenset(o.path.split(".")[0] for o in self.objects)

    @cached_property
    def _by_name(self) -> dict[str, list[ObjectFacts]]:
        index: dict[str, list[ObjectFacts]] = {}
        for obj in self.objects:
            index.setdefault(obj.name, []).append(obj)
        return index

    @cached_property
    def _found(self) -> dict[str, ObjectFacts | None]:
        return {}

    def get(self, path: str) -> ObjectFacts | None:
        if path.split(".")[0] not in self.roots:
            return ObjectFacts(path=path, kind="module", file="", line=0, end_line=0)
        return super().get(path)

    def find(self, name: str) -> ObjectFacts | None:
        if name not in self._found:
            self._found[name] = self._find(name)
        return self._found[name]

    def _find(self, name: str) -> ObjectFacts | None:
        if "." in name and name.split(".")[0] not in self.roots:
            return None
        exact = super().get(name)
        if exact is not None:
            return exact
        head, _, tail = name.rpartition(".")
        candidates = self._by_name.get(tail, [])
        matches = [o for o in candidates if o.path.endswith("." + name)]
        if not matches and head:  # a re-export: `pkg.Model` for `pkg.modeling.Model`
            matches = [o for o in candidates if o.path.startswith(head + ".")]
        if len(matches) == 1 or not head:
            return matches[0] if len(matches) == 1 else None
        # What `lookup_object` and the call checker would try next, answered here from the
        # index (their own fallback scans every object): the one object of that name in the
        # package, else `Class.method` of a class the head names, else nothing to check.
        same_root = [o for o in candidates if o.path.split(".")[0] == name.split(".")[0]]
        if len(same_root) == 1:
            return same_root[0]
        owner = self.find(head) if "." in head else None
        method = super().get(f"{owner.path}.{tail}") if owner is not None and owner.kind == "class" else None
        return method or ObjectFacts(path=name, kind="module", file="", line=0, end_line=0)


_ROOTED: list[tuple[Facts, RootedFacts]] = []  # the last facts seen: one per check run


def rooted(facts: Facts) -> RootedFacts:
    if isinstance(facts, RootedFacts):
        return facts
    if not _ROOTED or _ROOTED[0][0] is not facts:
        _ROOTED[:] = [(facts, RootedFacts(facts.objects, facts.config_files, facts.diagnostics))]
    return _ROOTED[0][1]


def inherits_init(target: str, facts: Facts) -> bool:
    """A class without its own `__init__`: the facts mark every parameter of the inherited one
    as forwarded, and forwarded parameters are never counted as positional by the call check,
    so its positional arguments would be reported as too many."""
    obj = lookup_object(facts, target)
    signature = obj.call_signature if obj is not None and obj.kind == "class" else None
    params = [p for p in signature.params if p.name not in ("self", "cls")] if signature else []
    return bool(params) and all(p.forwarded_from is not None for p in params)


def unlinked_base(target: str, facts: Facts) -> bool:
    """A class that inherits its constructor's parameters (config fields, `**kwargs` passed
    up) from a base of the loaded packages that the facts know only under a re-exported name
    (`pkg.lora.LoraConfig` for `pkg.lora.config.LoraConfig`): they are missing from its
    signature. (A method the class defines itself is complete.)"""
    obj = lookup_object(facts, target)
    if obj is None or obj.kind != "class":
        return False
    inherits = obj.config_kind is not None or obj.forwards_kwargs_to_base or obj.call_signature is None
    return inherits and any(facts.get(base) is None and lookup_object(facts, base) is not None
                            for base in obj.bases)


def refine(problems: list[CodeProblem], facts: Facts) -> list[CodeProblem]:
    """The call check's problems, as findings should say them: none that rest on a signature
    the facts hold incompletely (see the two helpers), missing arguments merged."""
    kept = [p for p in problems if p.kind == "syntax" or not (
        unlinked_base(p.target, facts)
        or (p.kind == "too-many-arguments" and inherits_init(p.target, facts)))]
    return merge_missing(kept)


def merge_missing(problems: list[CodeProblem]) -> list[CodeProblem]:
    """One problem per call for its missing arguments, not one per argument; an argument a
    misspelt keyword of the same call stands for is not missing too (one mistake)."""
    out: list[CodeProblem] = []
    missing: dict[tuple[int, str], list[str]] = {}
    suggested = {(p.line, p.target, m) for p in problems if p.kind == "unknown-keyword"
                 for m in re.findall(r"did you mean `(\w+)`", p.message)}
    for problem in problems:
        if problem.kind == "missing-argument" and (problem.line, problem.target,
                                                   problem.subject) in suggested:
            continue
        if problem.kind == "missing-argument":
            key = (problem.line, problem.target)
            if key not in missing:
                missing[key] = []
                out.append(problem)
            if problem.subject not in missing[key]:  # two calls on one line
                missing[key].append(problem.subject)
        else:
            out.append(problem)
    merged = []
    for problem in out:
        names = missing.get((problem.line, problem.target), [])
        if problem.kind == "missing-argument" and len(names) > 1:
            short = problem.message.split("`")[1]
            problem = CodeProblem(
                "missing-argument", f"`{short}` is called without its required arguments "
                + ", ".join(f"`{n}`" for n in names), problem.line, problem.target, ",".join(names))
        merged.append(problem)
    return merged


def _small(data: Any, budget: int = 5_000) -> bool:
    """Whether a parsed block has at most `budget` values, shared (aliased) ones counted each
    time they appear, as `flatten` would visit them."""
    stack, seen = [data], 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > budget:
            return False
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def doctest_code(text: str) -> tuple[str, list[int]]:
    """The source of a doctest session and, per source line, its line in `text` (1-based).

    As `doctest` reads it: `...` continues a statement only right after a `>>>` or `...`
    line; after an output line, `...]` is output (an elided list), not code."""
    out: list[str] = []
    origin: list[int] = []
    indent, in_source = 0, False
    for number, raw in enumerate(text.split("\n"), start=1):
        stripped = raw.lstrip()
        if stripped.startswith(">>>"):
            indent, in_source = len(raw) - len(stripped), True
            out.append(stripped[4:] if stripped.startswith(">>> ") else stripped[3:])
        elif in_source and raw[indent:].startswith("...") and not raw[:indent].strip():
            rest = raw[indent:]
            out.append(rest[4:] if rest.startswith("... ") else rest[3:])
        else:
            in_source = False
            continue
        origin.append(number)
    return "\n".join(out), origin


def _parses(code: str) -> bool:
    try:
        ast.parse(doctest_code(code)[0] if is_doctest(code) else code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def python_source(code: str) -> str:
    """A Python block as `ast` reads it: dedented, magics blanked, and — in a block that does
    not parse as it is — `<your_model>` placeholders read as names (so an error is reported
    where it is, not at the placeholder). Line numbers are kept."""
    lines = [("" if _MAGIC.match(line) else line) for line in code.split("\n")]
    text = textwrap.dedent("\n".join(lines))
    if "<" in text and not _parses(text):
        return _PLACEHOLDER.sub("__placeholder__", text)
    return text


def check_python(code: str, language: str, facts: Facts) -> list[CodeProblem]:
    """The problems of a Python block or doctest session, lines relative to the block, as
    findings should say them (see `refine`). Untagged blocks count only when they parse."""
    source = python_source(code)
    if is_doctest(source):
        source, origin = doctest_code(source)
        problems = check_code(source, rooted(facts))
        problems = [CodeProblem(p.kind, p.message, origin[min(max(p.line, 1), len(origin)) - 1],
                                p.target, p.subject) for p in problems] if origin else []
    else:
        problems = check_block(CodeBlock(language, source, 1), rooted(facts))
    return refine(problems, facts)


def _show(value: Any) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return str(value)


def cited_file(context: PageContext, block: Code, before: Inline | None) -> ConfigFileFacts | None:
    """The loaded config file a block shows: named in its title or in the lead-in paragraph."""
    texts = [block.info] + ([before.text] if before is not None else [])
    for text in texts:
        for cited in _CITED.findall(text):
            matches = [c for c in context.facts.config_files if _same_file(c.file, cited)]
            if len(matches) == 1:
                return matches[0]
    return None


def _same_file(loaded: str, cited: str) -> bool:
    loaded, cited = loaded.lstrip("./"), cited.lstrip("./")
    return loaded == cited or loaded.endswith("/" + cited) or cited.endswith("/" + loaded)


def _prefix(keys: list[str], cls: ObjectFacts) -> str:
    """The mapping a class's fields live under in a block ("" for the top level)."""
    fields = {f.name for f in cls.fields}
    best = (0, "")
    for prefix in ["", *(k + "." for k in keys)]:
        names = {k[len(prefix):] for k in keys if k.startswith(prefix) and "." not in k[len(prefix):]}
        hits = len(names & fields)
        if hits > best[0]:
            best = (hits, prefix)
    return best[1]


def check_data_block(context: PageContext, block: Code, scope: Scope,
                     before: Inline | None) -> list[Finding]:
    """DG201 for keys the config class lacks, DG202 for values that differ from the cited
    file (or, for a block introduced as the defaults, from the code's defaults)."""
    from docgen_plugin.checks.finding import Finding

    fmt = _FORMATS[block.language]
    try:
        data = parse_config_text(block.code, fmt)
    except ConfigFileError:
        return []  # a sketch, not a config: only config files must parse (DG004)
    if not _small(data):
        return []  # YAML aliases can expand exponentially ("billion laughs"): not a config
    pairs = flatten(data)
    if not pairs:
        return []
    lines = key_lines(block.code, [k for k, _ in pairs], fmt)
    keys = [ConfigKey(k, v, block.line + line - 1) for (k, v), line in zip(pairs, lines)]
    cited = cited_file(context, block, before)
    cls, prefix, certain = _config_class(context, scope, cited, keys)
    if cls is None:
        return []
    found = context.accepts(cls)
    file_values = {k.key: k.value for k in cited.keys} if cited is not None else {}
    as_defaults = cited is None and certain and before is not None \
        and _DEFAULTS_WORD.search(before.plain) is not None
    parents = {k.key.rsplit(".", 1)[0] for k in keys if "." in k.key}
    findings: list[Finding] = []
    for key in keys:
        if not key.key.startswith(prefix) or key.key in parents:
            continue
        name = key.key[len(prefix):]
        if "." in name or name in IGNORED_KEYS:
            continue
        hint = unknown_hint(found, name, certain)
        if hint is not None:
            findings.append(Finding("DG201", f"the {fmt.upper()} block has the key `{name}`, which "
                                    f"is not a field of `{cls.name}`{hint}", context.page.path,
                                    key.line, cls.path, name))
            continue
        shown = repr(key.value)
        if key.key in file_values and key.value is not None and file_values[key.key] is not None:
            if same_value(shown, repr(file_values[key.key])) is False:
                findings.append(Finding(
                    "DG202", f"the page shows `{name}: {_show(key.value)}` for {cited.file}, "  # type: ignore[union-attr]
                    f"which has `{name}: {_show(file_values[key.key])}`", context.page.path,
                    key.line, cls.path, name))
        elif as_defaults and key.value is not None:
            code = found.defaults.get(name)
            if code is not None and code != "None" and same_value(shown, code) is False:
                findings.append(Finding(
                    "DG202", f"the page shows the default `{name}: {_show(key.value)}`, the code's "
                    f"is `{code}` (`{cls.name}`)", context.page.path, key.line, cls.path, name))
    return findings


def _config_class(context: PageContext, scope: Scope, cited: ConfigFileFacts | None,
                  keys: list[ConfigKey]) -> tuple[ObjectFacts | None, str, bool]:
    """The config class of a block, the prefix of its fields, and whether that is certain."""
    if cited is not None and cited.config_class:
        cls = context.linker.named(cited.config_class)
        return (cls, cited.prefix + "." if cited.prefix else "", True) if cls else (None, "", False)
    if scope.one is not None:
        config = related_config(scope.one, context.facts)
        if config is not None:
            return config, _prefix([k.key for k in keys], config), True
    guess = match_config_class(ConfigFileFacts("", "yaml", tuple(keys)), context.facts, Settings())
    cls = context.linker.named(guess.config_class) if guess.config_class else None
    if cls is None:
        return None, "", False
    # a Hydra `_target_` names the class for certain; a match on the keys is a guess
    return cls, guess.prefix + "." if guess.prefix else "", guess.match_reason == "_target_"
