"""Cleaning of label text: markup noise out, boilerplate and secrets found, text normalised for
deduplication, and MinHash signatures for near-duplicates.

`clean` turns RST/Sphinx/HTML markup into plain Markdown prose (code blocks are left alone);
`reject_reason` says why a cleaned text is no training label (None when it is one).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from docgen_plugin.settings import Settings

_FENCE = re.compile(r"^\s*(```|~~~)")
_ROLE = re.compile(r":(?:[\w-]+:)*(?P<role>[\w-]+):`(?P<body>[^`]*)`")
_TITLED = re.compile(r"^(?P<title>.+?)\s*<(?P<target>[^<>]+)>$")
_XREF = re.compile(r"\[`~?(?P<name>[^`\]]+)`\]")  # transformers' [`PreTrainedModel`]
_RST_LINK = re.compile(r"`(?P<text>[^`<]+?)\s*<(?P<url>https?://[^>`]+)>`__?")
_DOUBLE = re.compile(r"``(?P<code>[^`]+?)``")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HTML_TAG = re.compile(r"</?[a-zA-Z][\w-]*(?:\s+[^<>]*?)?/?>")
_DIRECTIVE_LINE = re.compile(r"^\s*\.\. [\w:-]+::.*$|^\s*:[\w-]+:(\s.*)?$")
_AUTODOC = re.compile(r"^\s*\[\[[\w-]+\]\].*$")
_UNDERLINE = re.compile(r"^\s*([=\-~^\"'`#*+])\1{2,}\s*$")
_EMAIL = re.compile(r"(?<![\w@])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")
_LIST = re.compile(r"^\s*([-*+]|\d+[.)])\s")

SECRETS = (
    re.compile(r"\bsk-[A-Za-z0-9_-]{20,}"),
    re.compile(r"\bhf_[A-Za-z0-9]{30,}"),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"),
    re.compile(r"\bxox[abpr]-[A-Za-z0-9-]{10,}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"(?i)\b(?:password|passwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token)\s*[=:]\s*"
               r"[\"'][^\"'\s]{4,}[\"']"),
)
BOILERPLATE = (
    re.compile(r"^initiali[sz]e self\b"),
    re.compile(r"see help\(type\(self\)\)"),
    re.compile(r"^(this (function|method|class|module) is )?deprecated\b"),
    re.compile(r"^(todo|tbd|fixme|xxx)\b[\s.:!]*$"),
    re.compile(r"^copied from\b|# copied from\b"),
    re.compile(r"^alias (of|for)\b"),
    re.compile(r"^(docstring|description|summary) (goes )?here\b"),
    re.compile(r"^(return|create|construct) a new (instance|object)\.?$"),
    re.compile(r"^no description\b|^undocumented\b|^placeholder\b"),
)
_TODO = re.compile(r"\bTODO\b")


def _role(match: re.Match[str]) -> str:
    role, body = match.group("role"), match.group("body").strip()
    if role == "math":
        return f"`{body}`"
    titled = _TITLED.match(body)
    if titled:
        return titled.group("title") if role in ("ref", "doc") else f"`{titled.group('title')}`"
    if role in ("ref", "doc"):
        return body.replace("_", " ").strip("~")
    name = body.lstrip("!")
    if name.startswith("~"):
        name = name[1:].rsplit(".", 1)[-1]
    return f"`{name}`"


def _clean_line(line: str) -> str:
    line = _RST_LINK.sub(lambda m: f"[{m.group('text')}]({m.group('url')})", line)
    line = _ROLE.sub(_role, line)
    line = _XREF.sub(lambda m: f"`{m.group('name').rsplit('.', 1)[-1]}`", line)
    line = _DOUBLE.sub(lambda m: f"`{m.group('code')}`", line)
    line = _HTML_TAG.sub("", line)
    line = _EMAIL.sub("", line)
    return line.rstrip()


def clean(text: str) -> str:
    """Markup noise out of prose, lines of a paragraph joined; code blocks kept as they are."""
    text = _HTML_COMMENT.sub("", text.replace("\r\n", "\n"))
    out: list[str] = []
    paragraph: list[str] = []
    fenced = False

    def flush() -> None:
        if paragraph:
            out.append(" ".join(" ".join(p.split()) for p in paragraph))
            paragraph.clear()

    for raw in text.split("\n"):
        if _FENCE.match(raw):
            flush()
            fenced = not fenced
            out.append(raw.strip())
            continue
        if fenced:
            out.append(raw.rstrip())
            continue
        if _DIRECTIVE_LINE.match(raw) or _AUTODOC.match(raw) or _UNDERLINE.match(raw):
            continue
        line = _clean_line(raw)
        if not line.strip():
            flush()
            if out and out[-1] != "":
                out.append("")
            continue
        if _LIST.match(line):
            flush()
            paragraph.append(line.strip())
            continue
        if paragraph and _LIST.match(paragraph[0]) and raw[:1].isspace():
            paragraph.append(line.strip())  # continuation of a list item
            continue
        paragraph.append(line.strip())
    flush()
    cleaned = "\n".join(out).strip()
    return re.sub(r"\n{3,}", "\n\n", cleaned)


def normalise(text: str) -> str:
    """Text reduced for comparison: lower case words, markup and punctuation dropped."""
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())


def has_secret(text: str) -> bool:
    return any(pattern.search(text) for pattern in SECRETS)


def reject_reason(text: str, settings: Settings) -> str | None:
    """Why a cleaned label text is dropped: boilerplate, generated, too-short, too-long."""
    plain = normalise(text)
    if not plain:
        return "empty"
    lowered = " ".join(text.lower().split())
    if any(pattern.search(lowered) for pattern in BOILERPLATE):
        return "boilerplate"
    if _TODO.search(text):
        return "generated"
    if len(text) < settings.corpus_min_chars:
        return "too-short"
    if len(text) > settings.corpus_max_chars:
        return "too-long"
    return None


# --- near-duplicates --------------------------------------------------------------------------

NUM_PERM = 64


def shingles(text: str, size: int = 3) -> list[bytes]:
    """Word n-grams of the normalised text (the whole text when it is shorter)."""
    words = normalise(text).split()
    if len(words) <= size:
        return [" ".join(words).encode()]
    return list({" ".join(words[i:i + size]).encode() for i in range(len(words) - size + 1)})


def near_duplicate_pairs(texts: Sequence[str], threshold: float) -> list[tuple[int, int, float]]:
    """(i, j, estimated Jaccard) for texts at or above `threshold` (MinHash LSH)."""
    from datasketch import MinHash, MinHashLSH

    if len(texts) < 2:
        return []
    hashes = MinHash.bulk([shingles(t) for t in texts], num_perm=NUM_PERM, seed=1)
    lsh = MinHashLSH(threshold=max(0.05, min(threshold, 0.99)), num_perm=NUM_PERM)
    pairs: list[tuple[int, int, float]] = []
    for index, minhash in enumerate(hashes):
        for other in lsh.query(minhash):
            score = float(minhash.jaccard(hashes[other]))
            if score >= threshold:
                pairs.append((other, index, score))
        lsh.insert(index, minhash)
    return sorted(pairs)


def jaccard(a: str, b: str) -> float:
    """Exact Jaccard of the word 3-gram sets (for a few comparisons, e.g. leakage)."""
    left, right = set(shingles(a)), set(shingles(b))
    return len(left & right) / len(left | right) if left and right else 0.0
