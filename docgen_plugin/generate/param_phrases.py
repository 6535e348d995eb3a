"""`docgen check --fix --draft`: one short description per new parameter entry, by the model.

The same generator, cache and sentence checks as section drafts: a prompt from the signature,
the lines of the body that use the parameter and the class docstring's summary; the answer's
first sentence is kept only when `verify_prose` keeps all of it. Cached by content, so a
second run loads no model. A parameter whose phrase fails gets no text (the fix writes a TODO).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

from docgen_plugin.checks.fix.describe import Drafter, Request
from docgen_plugin.facts.model import Facts, ObjectFacts, Param
from docgen_plugin.generate.cache import CacheEntry, DraftCache, cache_key
from docgen_plugin.generate.generator import Decoding, clean_prose
from docgen_plugin.generate.prompts import context_fingerprint, messages_hash, signature_text
from docgen_plugin.generate.sentences import verify_prose
from docgen_plugin.settings import Settings

logger = logging.getLogger(__name__)

MAX_NEW_TOKENS = 40
PHRASE_CHECKS = "param-4"  # in the cache key: answers cached under older checks are checked again
MAX_USES = 4  # body lines shown: enough to see what it feeds, short enough for a small model
SYSTEM = ("You write the description of one Python parameter for a docstring entry. Answer with "
          "one short sentence that says what the parameter is or controls, using only what the "
          "code shows. No preamble, no code, no default value, no name of the parameter first.")
_FIRST_SENTENCE = re.compile(r"^(.+?[.!?])(?:\s|$)", re.S)
# An entry describes what the parameter is: a noun phrase ("The ...", "Number of ..."), or for
# a flag "Whether ..."/"If ...". A sentence opening with a verb ("Returns ...", "Loads ...") or
# "This" describes the function instead: the small model's most common wrong answer.
_OPENINGS = frozenset({
    "the", "a", "an", "whether", "if", "number", "name", "names", "path", "paths", "size", "list",
    "lists", "dictionary", "mapping", "index", "indices", "optional", "flag", "tensor", "tensors",
    "device", "dtype", "maximum", "minimum", "how", "which", "when", "type", "kind", "mode",
    "value", "values", "one", "weight", "weights", "seed", "identifier", "id", "shape", "order",
})
_FLAG_OPENINGS = frozenset({"whether", "if"})
_CODE_SPAN = re.compile(r"`[^`]*`")


def _stem(word: str) -> str:
    return word.lower().rstrip("s")[:5]  # scale/scaled, term/terms


def _stems(text: str) -> frozenset[str]:
    return frozenset(_stem(w) for w in text.split())


_TYPE_WORDS = _stems(
    "dictionary dict list tuple string integer float boolean bool array tensor mapping set "
    "instance callable function dataframe series")
# Words any parameter's description may use without the code showing them.
_GENERIC = _stems(
    "the a an of to for in on at by with from into as is are be been being it its this that "
    "which whether if when or and not no each any all one used use uses using given to value "
    "values number name default optional object parameter argument per whose where than more "
    "less should can will may must set sets")
_LEAD = re.compile(r"^\s*(?:`?\**\w+`?\s*(?:\([^)]*\))?\s*:\s+)")


def _uses(obj: ObjectFacts, name: str, root: Path) -> list[str]:
    """Lines of the object's source that name the parameter, after its signature."""
    path = Path(obj.file) if Path(obj.file).is_absolute() else root / obj.file
    try:
        lines = path.read_text(encoding="utf-8").splitlines()[obj.line:obj.end_line]
    except (OSError, UnicodeDecodeError):
        return []
    pattern = re.compile(rf"\b{re.escape(name)}\b")
    doc = obj.docstring
    skip = range(doc.line - 1, doc.end_line) if doc is not None else range(0)
    found = [line.strip() for index, line in enumerate(lines, obj.line)
             if pattern.search(line) and index not in skip and not line.strip().startswith("#")]
    return [line[:120] for line in found[:MAX_USES]]


def _owner(request: Request, facts: Facts) -> ObjectFacts:
    """The class of an `__init__`, whose docstring says what the parameters are for."""
    obj = request.obj
    if obj.kind == "method":
        parent = facts.get(obj.path.rsplit(".", 1)[0])
        if parent is not None:
            return parent
    return obj


def messages_for(request: Request, facts: Facts, root: Path) -> list[dict[str, str]]:
    obj, param = request.obj, request.param
    signature = obj.call_signature or (obj.signatures[0] if obj.signatures else None)
    owner = _owner(request, facts)
    summary = owner.docstring.summary if owner.docstring is not None else ""
    parts = [f"Object: {obj.path}"]
    if signature is not None:
        parts.append(f"Signature: {signature_text(obj.name, signature)}")
    if summary:
        parts.append(f"What `{owner.name}` is (its docstring's first line): {summary}")
    typed = f", type `{param.annotation}`" if param.annotation else ""
    default = f", default `{param.default}`" if param.default is not None else ""
    parts.append(f"Parameter: `{param.name}`{typed}{default}")
    uses = _uses(obj, param.name, root)
    if uses:
        parts.append("Lines of the code that use it:\n" + "\n".join(f"    {u}" for u in uses))
    parts.append(f"Describe `{param.name}` in one short sentence.")
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n".join(parts)}]


def _words_of(text: str) -> set[str]:
    """Stems of the words in code or prose: `adaption_gate`, `OFTRotationModule` split too."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    return {_stem(w) for w in re.findall(r"[A-Za-z][a-z0-9]*|[A-Z]+(?![a-z])", spaced)}


def own_words(sentence: str, request: Request, facts: Facts, root: Path) -> str | None:
    """Why the sentence says more than its prompt showed, or None.

    Every content word must come from what the prompt showed of this parameter (its name,
    type, default, the lines that use it, the object's path and the class summary); a type
    claim ("a dictionary", "a list") needs the annotation or default to say so. The small
    model otherwise guesses: "A dictionary containing the results" for a results object.
    """
    param, obj = request.param, request.obj
    owner = _owner(request, facts)
    typed = _words_of(f"{param.name} {param.annotation or ''} {param.default or ''}")
    shown = typed | _words_of(" ".join(_uses(obj, param.name, root))) | _words_of(obj.path)
    shown |= _words_of(owner.docstring.summary if owner.docstring is not None else "")
    for word in re.findall(r"[A-Za-z][A-Za-z0-9]*", _CODE_SPAN.sub(" ", sentence)):
        stem = _stem(word)
        if stem in _TYPE_WORDS and stem not in typed:
            return f"claims a type (`{word}`) the code does not state"
        if stem not in shown and stem not in _GENERIC:
            return f"`{word}` is not in what the code shows of `{param.name}`"
    return None


def about_the_parameter(sentence: str, param: Param) -> str | None:
    """Why a sentence does not read as this parameter's description, or None when it does."""
    words = re.findall(r"[A-Za-z][A-Za-z0-9]*", sentence)
    if not words:
        return "no words"
    first = words[0].lower()
    is_flag = (param.annotation or "").strip() == "bool" or param.default in ("True", "False")
    if is_flag and first not in _FLAG_OPENINGS:
        return "a flag's description starts with Whether or If"
    if first not in _OPENINGS:
        return f"starts with `{words[0]}`: describes the function, not the parameter"
    if any("=" in span for span in _CODE_SPAN.findall(sentence)):
        return "states a value in code: the entry renders the default itself"
    # named in prose, not only quoted: "A linear instrumental variable model with `k_moms`"
    # describes the class and quotes the parameter
    own = {_stem(w) for w in param.name.split("_") if w}
    prose = re.findall(r"[A-Za-z][A-Za-z0-9]*", _CODE_SPAN.sub(" ", sentence))
    if not own & {_stem(w) for w in prose}:
        return f"names nothing of `{param.name}`"
    return None


def phrase(raw: str, obj: ObjectFacts, facts: Facts, param: Param, request: Request | None = None,
           root: Path | None = None) -> tuple[str | None, tuple[str, ...]]:
    """The answer's first sentence if it reads as the parameter's description and the
    sentence checks keep it whole; else None and why."""
    text = _LEAD.sub("", clean_prose(raw).strip().strip('"'))
    match = _FIRST_SENTENCE.match(text)
    sentence = " ".join((match.group(1) if match else text).split())
    if not sentence:
        return None, ("empty answer",)
    sentence = sentence[0].upper() + sentence[1:]
    wrong = about_the_parameter(sentence, param) or (
        own_words(sentence, request, facts, root) if request is not None and root is not None else None)
    if wrong is not None:
        return None, (wrong,)
    check = verify_prose(sentence, obj, facts)
    if check.dropped or not check.text:
        return None, tuple(r for d in check.dropped for r in d.reasons) or ("nothing kept",)
    return check.text, ()


def param_drafter(settings: Settings) -> Drafter:
    """A drafter for `plan_fixes`: cached phrases, the rest in one batch of the local model."""

    def draft(requests: Sequence[Request], facts: Facts) -> list[str | None]:
        from docgen_plugin.generate.drafting import default_generator, model_identity

        cache = DraftCache(settings.cache_path)
        hashes = model_identity(settings)
        decoding = Decoding()
        out: list[str | None] = [None] * len(requests)
        jobs: list[tuple[int, str, str, list[dict[str, str]]]] = []
        for index, request in enumerate(requests):
            messages = messages_for(request, facts, settings.root_path)
            fingerprint = context_fingerprint(request.obj, facts)
            key = cache_key(facts=fingerprint, section=f"param:{request.param.name}",
                            prompt=messages_hash(messages), model_hash=hashes[0], adapter_hash=hashes[1],
                            generation={"max_new_tokens": MAX_NEW_TOKENS, **decoding.as_dict(),
                                        **hashes[2]},
                            mode=PHRASE_CHECKS)
            entry = cache.get(key)
            if entry is not None:
                out[index] = entry.text or None
            else:
                jobs.append((index, key, fingerprint, messages))
        if not jobs:
            return out
        logger.info("docgen: drafting %d parameter description(s)", len(jobs))
        generator = default_generator(settings)
        answers = generator.generate([m for *_, m in jobs], MAX_NEW_TOKENS)
        for (index, key, fingerprint, _), raw in zip(jobs, answers):
            request = requests[index]
            text, reasons = phrase(raw, request.obj, facts, request.param, request, settings.root_path)
            out[index] = text
            cache.put(CacheEntry(key, request.obj.path, f"param:{request.param.name}", text or "",
                                 "accepted" if text else "fallback", reasons, fingerprint))
        return out

    return draft
