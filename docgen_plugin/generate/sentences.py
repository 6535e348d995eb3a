"""Sentence-level verification: a prose draft keeps only the sentences its facts support.

A draft is split into sentences and list items. Each one must pass the draft checks of
`verify.py` on its own (names, defaults, links, echoes) and three more:

- every content word (not a function word such as "the", "returns", "class") is the facts'
  own, up to its Snowball stem: the docstrings of the object, its `__init__`, `forward`,
  config and bases, and every name the code gives them and the classes it is built from
  (their names only: a submodule's docstring describes the submodule, not this object);
- words that claim what a model is or does (`FACT_TERMS`: "convolution", "attention",
  "deterministic", "pretrained", tasks such as "segmentation"...) are named as such when
  the facts lack them, other words when they are not even general words
  (`data/vocabulary.txt`);
- "it is a <phrase>" needs that phrase, word for word, in the facts: "a linear layer" made
  of two supported words is still a claim the facts never make;
- what it says about the return value (a tuple, a dict, a tensor, a shape) matches the
  return facts and the docstring.

A sentence that fails is dropped with its reason; a draft with nothing left fails. Data and
code only, no second model: it runs on cached drafts in the warm path, as the verifier does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import snowballstemmer

from docgen_plugin.facts.model import Facts, ObjectFacts
from docgen_plugin.generate.prompts import facts_block
from docgen_plugin.generate.verify import Reason, known_names, verify_draft
from docgen_plugin.sections.catalogue import SectionSpec, category
from docgen_plugin.sections.context import context_objects

# Words a sentence may use only where the object's facts do: what it is built from, what
# it is for, how it behaves. The general vocabulary leaves them out.
_FACT_TERMS = """
attention self-attention cross-attention transformer transformers convolution convolutional
conv deconvolution recurrent rnn lstm gru residual skip normalization normalisation batchnorm
layernorm groupnorm dropout pooling embedding embeddings encoder encoders decoder decoders
autoencoder autoregressive gan gans diffusion denoising vae variational bayesian gaussian
graph graphs gnn message kernel kernels lora adapter adapters quantization quantized pruning
distillation pretrained pre-trained finetuned fine-tuned deterministic nondeterministic
non-deterministic stochastic differentiable thread-safe gpu gpus cuda tpu distributed
parallel multi-gpu fp16 bf16 int8 faster fastest efficient efficiently scalable robust
accurate accuracy optimal state-of-the-art sota supports supported requires classification
classifier classifiers segmentation detection detector tracking translation generation
generative regression clustering forecasting recommendation retrieval summarization
captioning reinforcement image images audio speech video vision visual molecule molecules
molecular protein proteins text language multimodal tabular point-cloud lidar medical
"""
FACT_TERMS = frozenset(_FACT_TERMS.split())
SECTIONS_CHECKED = ("overview", "intended-use", "limitations")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z`*(\"'])")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_RETURNS = re.compile(r"\b(?:returns?|outputs?|gives)\b[^.;]*?\b(tuple|dict(?:ionary)?|list|"
                      r"tensor|tensors|scalar|string|none)\b", re.IGNORECASE)
_SHAPE = re.compile(r"\b(?:shapes?|sizes?|dimensions?|dims?)\b[^.;]*?([(\[][^()\[\]]{1,60}[)\]]|"
                    r"`[^`]{1,60}`)", re.IGNORECASE)


@dataclass(frozen=True)
class Dropped:
    """A sentence taken out of a draft, and why."""

    sentence: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ProseCheck:
    """A prose draft after the sentence checks: the text kept and what was dropped."""

    text: str
    kept: tuple[str, ...]
    dropped: tuple[Dropped, ...] = ()

    @property
    def ok(self) -> bool:
        return bool(self.kept)

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r for d in self.dropped for r in d.reasons))


@lru_cache(maxsize=1)
def vocabulary() -> frozenset[str]:
    path = Path(__file__).parent / "data" / "vocabulary.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def split_units(text: str) -> list[str]:
    """Sentences of paragraphs and list items, each with its list marker kept."""
    units: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.split("\n")
        if any(_LIST_ITEM.match(line) for line in lines):
            item: list[str] = []
            for line in lines:
                if _LIST_ITEM.match(line) and item:
                    units.append("\n".join(item))
                    item = []
                item.append(line)
            if item:
                units.append("\n".join(item))
        else:
            units += [s for s in _SPLIT.split(" ".join(line.strip() for line in lines)) if s]
    return units


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _name_words(name: str) -> list[str]:
    """`TextClassifier` -> text, classifier; `num_heads` -> num, heads."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|_|\.", " ", name)
    return [w.lower() for w in spaced.split() if w]


def own_objects(obj: ObjectFacts, facts: Facts | None) -> list[ObjectFacts]:
    """The objects whose docstrings speak of `obj`: its context, its `__init__`, its bases."""
    objects = list(context_objects(obj, facts))
    if facts is not None:
        init = facts.get(f"{obj.path}.__init__")
        if init is not None and init not in objects:
            objects.append(init)
        for item in list(objects):
            objects += [b for b in (facts.get(p) for p in item.bases) if b is not None]
    return objects


def has_own_prose(obj: ObjectFacts, facts: Facts | None) -> bool:
    """Whether a docstring of the object itself (or its `__init__`/`forward`) says anything:
    without one a draft could rest only on names, which support no claim."""
    objects = [obj] + ([o for o in (facts.get(f"{obj.path}.{m}") for m in ("__init__", "forward"))
                        if o is not None] if facts is not None else [])
    return any(o.docstring is not None and o.docstring.text.strip() for o in objects)


def support(objects: list[ObjectFacts]) -> tuple[frozenset[str], str]:
    """The words the facts of `objects` (`own_objects`) use, names split into their words,
    and their text."""
    texts: list[str] = []
    names: list[str] = []
    for item in objects:
        # the object's own name, not its module's: `finite_scalar_quantization.FSQ` does
        # not make "a scalar" a word the facts use of `FSQ`
        names += [item.path.rsplit(".", 1)[-1], *item.bases, *(m.type for m in item.submodules),
                  *(m.name for m in item.submodules)]
        names += [p.name for s in item.signatures for p in s.params]
        names += [a for s in item.signatures for p in s.params for a in [p.annotation or ""]]
        names += [f.name for f in item.fields]
        names += [r.exception for r in item.raises]
        if item.docstring is not None:
            texts.append(item.docstring.text)
        texts += [r.message or "" for r in item.raises]
    text = "\n".join(texts)
    words = set(_words(text))
    for name in names:
        words.update(_name_words(name))
    return frozenset(words), text


def span_names(obj: ObjectFacts, facts: Facts | None, text: str) -> frozenset[str]:
    """Identifiers a code span of a draft may hold: the object's context (names, parameters,
    fields, submodules and their classes, bases), its docstrings' words, loaded classes."""
    names: set[str] = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    for item in context_objects(obj, facts):
        names.update(item.path.split("."))
        names.update(b.rsplit(".", 1)[-1] for b in item.bases)
        names.update(p.name for sig in item.signatures for p in sig.params)
        names.update(f.name for f in item.fields)
        names.update(m.name for m in item.submodules)
        names.update(m.type.rsplit(".", 1)[-1] for m in item.submodules)
        names.update(item.attributes)
    if facts is not None:
        names.update(o.name for o in facts.objects if o.kind == "class")
    return frozenset(names)


_STEMMER = snowballstemmer.stemmer("english")
MIN_STEM = 4  # a shorter stem ("us", "con") would match half the dictionary


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _STEMMER.stemWord(word)


@lru_cache(maxsize=256)
def _stems(words: frozenset[str]) -> frozenset[str]:
    return frozenset(stem(w) for w in words)


def _supported(word: str, words: frozenset[str]) -> bool:
    """In the facts, up to its stem: "layers" for "layer", "convolution" for `Conv2d` (one
    stem the start of the other, "conv" / "convolut"), "classification" for `Classifier`."""
    if word in words:
        return True
    parts = word.split("-")
    if len(parts) > 1 and all(_supported(p, words) for p in parts):
        return True
    own = stem(word)
    stems = _stems(words)
    if own in stems:
        return True
    if len(own) < MIN_STEM:
        return False
    return any(len(known) >= MIN_STEM and (_abbreviates(known, own) or _abbreviates(own, known)
                                           or _near_stems(own, known))
               for known in stems)


MIN_ABBREVIATED = 3  # "conv" for "convolut": a letter or two more is another word ("mode", "model")


def _abbreviates(short: str, long: str) -> bool:
    return long.startswith(short) and len(long) - len(short) >= MIN_ABBREVIATED


def _near_stems(a: str, b: str) -> bool:
    """Stems Snowball spells a letter apart inside: "stabl" (stable) / "stabil" (stability);
    not one stem plus a letter ("mode" / "model")."""
    if a.startswith(b) or b.startswith(a):
        return False
    shared = 0
    while shared < min(len(a), len(b)) and a[shared] == b[shared]:
        shared += 1
    return shared >= MIN_STEM and shared >= min(len(a), len(b)) - 1


def _term_reasons(unit: str, words: frozenset[str], general: frozenset[str]) -> Iterable[str]:
    prose = _CODE_SPAN.sub(" ", unit)  # code spans hold names: the draft checks judge those
    for word in dict.fromkeys(_words(prose)):
        if word.isdigit() or len(word) < 2:
            continue
        if word in FACT_TERMS or word.replace("-", "") in FACT_TERMS:
            if not _supported(word, words):
                yield f"`{word}` is a claim the facts do not make"
        elif word not in general and not _supported(word, words):
            parts = word.split("-")
            if not all(p in general or _supported(p, words) for p in parts):
                yield f"`{word}` is neither in the facts nor a general word"


# Words that say nothing about the object by themselves: a sentence's claims are in its
# other words, and all of those must be the facts' own. Nouns that make a claim ("model",
# "layer", "tensor", "input") are not here: "a linear layer" needs the facts to say layer.
_FUNCTION_WORDS = """
a an the this that these those it its it's they them their there here is are was were be been
being has have had do does did can could may might must shall should will would of in on at
to for from by with without into onto over under about as than then so such not no nor and or
but if when where which who whom whose what how why while also only just both each every any
all some more most other another same own one two first last new given used use uses using
takes take taking returns return returned gives give makes make made calls call called
creates create builds build built computes compute applies apply runs run holds hold sets set
gets get provides provide based via per e.g i.e etc way ways thing things kind part parts
class classes object objects instance instances function functions method methods module
modules parameter parameters argument arguments default defaults option options optional
we our us you your
"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS.split())


def _content_words(unit: str) -> list[str]:
    prose = _CODE_SPAN.sub(" ", _LIST_ITEM.sub("", unit))
    if prose.lstrip(" *").upper().startswith("TODO"):
        return []  # an honest TODO claims nothing
    return [w for w in dict.fromkeys(_words(prose))
            if w not in FUNCTION_WORDS and not w.isdigit() and len(w) > 1]


def _support_reasons(unit: str, words: frozenset[str], general: frozenset[str]
                     ) -> Iterable[str]:
    """Every content word of a sentence must be the facts' own: general words let a sentence
    say anything ("a variant that can be used to train other models"). Words `_term_reasons`
    already named are not named twice."""
    unsupported = [w for w in _content_words(unit) if not _supported(w, words)
                   and w not in FACT_TERMS and all(p in general for p in w.split("-"))]
    if unsupported:
        yield ("it says what the facts do not: "
               + ", ".join(f"`{w}`" for w in unsupported[:6]))


_DEFINITION = re.compile(r"\b(?:is|are|was|acts as|serves as)\s+(?:a|an|the)\s+([^.,;:()]+)",
                         re.IGNORECASE)
# "Computes the quantization of a scalar": what it does, named as a phrase, is a definition too
_ACTION = re.compile(r"^\W*(?:it\s+|this\s+\w+\s+)?(?:computes?|implements?|performs?|applies|apply|"
                     r"calculates?|provides?)\s+(?:a|an|the)\s+([^.,;:()]+)", re.IGNORECASE)
# "Decoder for the DeepLabV3 model.": a sentence without a verb names what the object is
_NOMINAL = re.compile(r"^\W*(?:an?\s+|the\s+)?([A-Za-z][^.,;:()]*)", re.IGNORECASE)
_FINITE_WORDS = "is are was were be been has have had can could will would may might must should does do did"
_FINITE = frozenset(_FINITE_WORDS.split())
_RELATIONS = frozenset({"of", "for"})  # "X of Y", "X for Y": the phrase goes on
_PHRASE_ENDS = ("that which who whose for with without to in into from and or by on at over under "
                "across between through after before about around against within via like "
                "than when where as used using")
_PHRASE_END = frozenset(_PHRASE_ENDS.split())
_ARTICLES = frozenset({"a", "an", "the"})


def _definition_reasons(unit: str, sequences: list[list[str]]) -> Iterable[str]:
    """"X is a <phrase>", "Computes the <phrase>", a sentence without a verb ("Decoder for the
    DeepLabV3 model."): the phrase must be the facts', word for word (up to stems and
    articles); two supported words side by side ("a linear layer") can still be a claim they
    never make, and so can an "of" or a "for" ("the quantization of a scalar" is not the
    facts' "scalar quantization")."""
    prose = _CODE_SPAN.sub(lambda m: m.group(2), _LIST_ITEM.sub("", unit))
    matches = [(m, 1) for m in [*_DEFINITION.finditer(prose), *_ACTION.finditer(prose)]]
    words = _words(prose)
    if words and words[0] not in FUNCTION_WORDS - _ARTICLES and not _FINITE & set(words) \
            and not unit.lstrip("-* ").startswith("`"):
        # a name of two words at least: one word opening it is a verb ("Detect and ...") or a
        # marker ("TODO: not stated."), not what the object is
        matches += [(m, 2) for m in _NOMINAL.finditer(prose)]
    for match, shortest in matches:
        phrase: list[str] = []
        for word in _words(match.group(1)):
            if word in _RELATIONS and phrase and phrase[-1] not in _RELATIONS:
                phrase.append(word)  # the phrase goes on: "X of Y" claims a relation
                continue
            if word in _PHRASE_END or (phrase and phrase[-1] not in _RELATIONS and word in FUNCTION_WORDS):
                break  # the noun phrase ends at a preposition, a verb ("built", "takes")
            if word not in FUNCTION_WORDS:
                phrase.append(word)
        while phrase and phrase[-1] in _RELATIONS:
            phrase.pop()
        if len(phrase) < shortest:
            continue
        wanted = [stem(w) for w in phrase]
        if not any(_contains(sequence, wanted) for sequence in sequences):
            yield f"the facts never call it {' '.join(phrase)!r}"


def _contains(sequence: list[str], wanted: list[str]) -> bool:
    n = len(wanted)
    return any(sequence[i:i + n] == wanted for i in range(len(sequence) - n + 1))


def _phrase_sequences(objects: list[ObjectFacts], text: str) -> list[list[str]]:
    """The facts' text and names as stem sequences, where a definition's phrase may be."""
    names = [name for item in objects for name in (item.path, *item.bases)]
    sequences = [[stem(w) for w in _words(line) if w not in _ARTICLES]
                 for line in re.split(r"[.;:\n]", text)]
    sequences += [[stem(w) for w in _name_words(name.rsplit(".", 1)[-1])] for name in names]
    return sequences


def _name_reasons(unit: str, names: frozenset[str]) -> Iterable[str]:
    """Names in code spans must be names the facts use (the object's, its parameters and
    fields, what it builds, its docstring's), not any word of the package."""
    for span in _CODE_SPAN.finditer(unit):
        for name in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", span.group(2)):
            if name not in names and name.lower() not in _PYTHON_WORDS:
                yield f"`{name}` is not a name in the facts of this object"


_PYTHON_WORDS = frozenset({"none", "true", "false", "self", "torch", "nn", "tensor", "int",
                           "float", "str", "bool", "list", "dict", "tuple", "optional"})


def _return_reasons(unit: str, obj: ObjectFacts, facts: Facts | None, text: str) -> Iterable[str]:
    match = _RETURNS.search(_CODE_SPAN.sub(lambda m: m.group(2), unit))
    if match:
        said = match.group(1).lower().rstrip("s")
        annotations = " ".join(s.returns or "" for s in obj.signatures).lower()
        kinds = {r.kind for o in context_objects(obj, facts) for r in o.returns}
        evidence = {
            "tuple": "tuple" in kinds or "tuple" in annotations,
            "dict": "dict" in kinds or "dict" in annotations or "mapping" in annotations,
            "dictionary": "dict" in kinds or "dict" in annotations,
            "list": "list" in annotations,
            "tensor": "tensor" in annotations or "tensor" in text.lower(),
            "none": "none" in kinds,
        }.get(said, said in text.lower())
        if not evidence:
            yield f"the code does not say it returns a {said}"
    for shape in _SHAPE.finditer(unit):
        stated = re.sub(r"[\s`*()\[\]]", "", shape.group(1))
        if stated and stated not in re.sub(r"[\s`*()\[\]]", "", text):
            yield f"the shape {shape.group(1)} is not one the docstring states"


MIN_PROSE_WORDS = 3  # words outside code spans: fewer is a fragment, not a sentence
ECHO_CHARS = 24  # this much of a facts line, copied: the prompt echoed, not an answer


def _facts_lines(obj: ObjectFacts, facts: Facts | None) -> list[str]:
    """The facts block's lines without their labels, squeezed: what an echo would copy."""
    lines = []
    for line in facts_block(obj, facts).splitlines():
        if line.startswith((">", "object:", "import:", "docstring", "missing")):
            continue  # names alone, or the quoted docstring (restating it is judged apart)
        value = line.split(":", 1)[1] if ":" in line.split(" ", 1)[0] else line
        lines.append(_squeezed(value))
    return [line for line in lines if len(line) >= ECHO_CHARS]


def _squeezed(text: str) -> str:
    return re.sub(r"[\s`*]+", "", text)


def _form_reasons(unit: str, quoted: list[str]) -> Iterable[str]:
    """A fragment (a bare code span, a signature) is no sentence; a line of the facts block
    copied back is the prompt echoed."""
    prose = _CODE_SPAN.sub(" ", _LIST_ITEM.sub("", unit))
    if len(_WORD.findall(prose)) < MIN_PROSE_WORDS:
        yield "not a sentence (too few words outside code)"
    squeezed = _squeezed(unit)
    for line in quoted:
        if any(line[i:i + ECHO_CHARS] in squeezed for i in range(0, len(line) - ECHO_CHARS + 1, 4)):
            yield "the draft repeats the facts it was given"
            return


def _tautology_reasons(unit: str, obj: ObjectFacts) -> Iterable[str]:
    """"This is a LFQ.": a sentence whose only content is the object's name says nothing."""
    content = [w for w in _words(_CODE_SPAN.sub(lambda m: m.group(2), unit)) if w not in FUNCTION_WORDS]
    if content and set(content) <= set(_name_words(obj.name)) | {obj.name.lower()}:
        yield "it says nothing but the object's name"


def verify_prose(text: str, obj: ObjectFacts, facts: Facts | None = None, *,
                 section: SectionSpec | None = None) -> ProseCheck:
    """Keep the sentences of a prose draft that the facts support; say why others went."""
    known = known_names(obj, facts)
    objects = own_objects(obj, facts)
    words, supported_text = support(objects)
    names = span_names(obj, facts, supported_text)
    general = vocabulary()
    sequences = _phrase_sequences(objects, supported_text)
    kept: list[str] = []
    dropped: list[Dropped] = []
    quoted = _facts_lines(obj, facts)
    for unit in split_units(text):
        result = verify_draft(unit, obj, facts, section=section, known=known)
        reasons = [str(r) for r in result.reasons if r.code != "empty"]
        reasons += _form_reasons(unit, quoted)
        reasons += _term_reasons(unit, words, general)
        reasons += _support_reasons(unit, words, general)
        reasons += _definition_reasons(unit, sequences)
        reasons += _tautology_reasons(unit, obj)
        reasons += _name_reasons(unit, names)
        reasons += _return_reasons(unit, obj, facts, supported_text)
        if reasons:
            dropped.append(Dropped(unit, tuple(dict.fromkeys(reasons))))
        else:
            kept.append(result.text)
    joined = _join(kept)
    return ProseCheck(joined, tuple(kept), tuple(dropped))


def _join(units: list[str]) -> str:
    """Kept units back into text: list items one per line, sentences in one paragraph."""
    out: list[str] = []
    for unit in units:
        if _LIST_ITEM.match(unit):
            out.append(("\n" if out and not _LIST_ITEM.match(out[-1].split("\n")[-1]) else "")
                       + unit)
        elif out and not _LIST_ITEM.match(out[-1].split("\n")[-1]):
            out[-1] += " " + unit
        else:
            out.append(("\n" if out else "") + unit)
    return "\n".join(out).strip()


def as_reasons(check: ProseCheck) -> tuple[Reason, ...]:
    """The dropped sentences' reasons as verifier reasons (for prompts and `--explain`)."""
    return tuple(Reason("unsupported", f"{r} (in: {d.sentence[:80]})", d.sentence[:40])
                 for d in check.dropped for r in d.reasons)


_STOP_WORDS = ("a an the of for to in on and or is are it its this that with by as be can from at "
               "which used use uses")
_STOP = frozenset(_STOP_WORDS.split())


def restates_summary(text: str, obj: ObjectFacts) -> bool:
    """Whether a text says nothing the docstring's first line does not: at most one content
    word of its own (the object's name, and the kind of object it is, aside: "Create a
    Segformer model." says no more than the class's name)."""
    summary = obj.docstring.summary if obj.docstring is not None else ""
    if not summary:
        return False
    given = (*_words(summary), *_name_words(obj.name), obj.name.lower(), category(obj), *_STOP)
    own = {_stem(w) for w in given}
    new = {_stem(w) for w in _words(_CODE_SPAN.sub(lambda m: m.group(2), text))} - own
    return len(new) < 2


def _stem(word: str) -> str:
    """A word without its inflection, so "Detect and describe" restates "detects and described"
    (a stem keeps three letters: "uses" -> "use", not "us"; a final e goes, so "described" and
    "describe" meet)."""
    for suffix in ("ing", "ed", "es", "s", "d"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word
