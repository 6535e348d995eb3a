"""DG206: model cards (a `README.md` in the Hugging Face layout: YAML metadata, then Markdown
sections) with the sections settings require, and metadata that agrees with the files beside
them (`adapter_config.json`, `config.json`) and with the model classes they link."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from docgen_plugin.checks.finding import Finding
from docgen_plugin.checks.pages.links import Linker, front_matter_objects
from docgen_plugin.checks.pages.model import Code, Entry, Heading, Page, Paragraph, Table
from docgen_plugin.sections.catalogue import MODEL_CARD_HEADINGS, normalise

CARD_KEYS = frozenset({"library_name", "pipeline_tag", "base_model", "model-index", "model_name"})
_PLACEHOLDER = re.compile(r"\[?more information needed\]?|todo(\(docgen\))?:?|tbd|n/a|\.\.\.", re.I)
TASKS = {  # peft task_type -> pipeline tags that can describe it
    "CAUSAL_LM": {"text-generation", "conversational", "image-text-to-text"},
    "SEQ_CLS": {"text-classification", "zero-shot-classification", "sentence-similarity"},
    "SEQ_2_SEQ_LM": {"text2text-generation", "translation", "summarization", "text-generation"},
    "TOKEN_CLS": {"token-classification"},
    "QUESTION_ANS": {"question-answering"},
    "FEATURE_EXTRACTION": {"feature-extraction", "sentence-similarity"},
}
ARCHITECTURES = {  # class name suffix -> pipeline tag (transformers' naming convention)
    "ForCausalLM": "text-generation", "ForSequenceClassification": "text-classification",
    "ForTokenClassification": "token-classification", "ForQuestionAnswering": "question-answering",
    "ForMaskedLM": "fill-mask", "ForImageClassification": "image-classification",
    "ForAudioClassification": "audio-classification", "ForObjectDetection": "object-detection",
    "ForCTC": "automatic-speech-recognition", "ForSemanticSegmentation": "image-segmentation",
}


def _sibling_json(folder: Path | None, name: str) -> dict[str, Any] | None:
    if folder is None or not (folder / name).is_file():
        return None
    try:
        data = json.loads((folder / name).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None  # DG004 reports a broken config file
    return data if isinstance(data, dict) else None


def is_model_card(page: Page, folder: Path | None) -> bool:
    """A README with Hugging Face metadata, or beside an adapter or model config."""
    meta = page.meta
    if any(key in meta for key in CARD_KEYS):
        return True
    if "license" in meta and any(k in meta for k in ("tags", "datasets", "language")):
        return True
    return folder is not None and (
        (folder / "adapter_config.json").is_file() or (folder / "config.json").is_file())


def _matches(required: str, heading: str) -> bool:
    wanted = normalise(required)
    return heading in MODEL_CARD_HEADINGS.get(wanted, frozenset({wanted})) or wanted in heading


def _sections(page: Page) -> list[tuple[str, int, bool]]:
    """(normalised heading, line, has content) for every heading of the card."""
    blocks = list(page.blocks)
    out = []
    for index, block in enumerate(blocks):
        if not isinstance(block, Heading):
            continue
        text = []
        for later in blocks[index + 1:]:
            if isinstance(later, Heading) and later.level <= block.level:
                break
            text.append(_content(later))
        body = _PLACEHOLDER.sub("", " ".join(text)).strip(" \n.:-*_#[]")
        out.append((normalise(block.inline.plain), block.line, bool(body)))
    return out


def _content(block: object) -> str:
    if isinstance(block, Paragraph):
        return block.inline.plain
    if isinstance(block, Entry):
        return block.term.plain + " ".join(b.plain for b in block.body)
    if isinstance(block, Table):
        return "table"
    if isinstance(block, Code):
        return "code" if block.code.strip() else ""
    return ""


def _meta_line(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines()[:400], start=1):
        if re.match(rf"{re.escape(key)}\s*:", line):
            return number
    return 1


def check_model_card(page: Page, text: str, folder: Path | None, required: tuple[str, ...],
                     linker: Linker) -> list[Finding]:
    findings: list[Finding] = []
    sections = _sections(page)
    title_line = next((line for _, line, _ in sections), 1)
    for name in required:
        found = [s for s in sections if _matches(name, s[0])]
        if not found:
            findings.append(Finding("DG206", f"the model card has no `{name}` section "
                                    "(model-card-sections)", page.path, title_line, subject=name))
        elif not any(has for _, _, has in found):
            findings.append(Finding("DG206", f"the `{name}` section of the model card is empty",
                                    page.path, found[0][1], subject=name))
    findings += _metadata(page, text, folder, linker)
    return findings


def _metadata(page: Page, text: str, folder: Path | None, linker: Linker) -> list[Finding]:
    meta = page.meta
    out: list[Finding] = []

    def report(key: str, message: str) -> None:
        out.append(Finding("DG206", message, page.path, _meta_line(text, key), subject=key))

    adapter = _sibling_json(folder, "adapter_config.json")
    if adapter is not None and "peft_type" in adapter:
        base = adapter.get("base_model_name_or_path")
        stated = meta.get("base_model")
        stated_list = [stated] if isinstance(stated, str) else stated if isinstance(stated, list) else []
        if isinstance(base, str) and stated_list and _is_hub_id(base) and \
                base.lower() not in (str(s).lower() for s in stated_list):
            report("base_model", f"`base_model: {stated}` contradicts adapter_config.json, whose "
                   f"base model is `{base}`")
        library = meta.get("library_name")
        if isinstance(library, str) and library.lower() != "peft":
            report("library_name", f"`library_name: {library}`, but the folder holds a peft adapter "
                   "(adapter_config.json): use `library_name: peft`")
        task = adapter.get("task_type")
        _task_check(report, meta.get("pipeline_tag"), TASKS.get(str(task)), f"the adapter's "
                    f"task_type `{task}`")
    config = _sibling_json(folder, "config.json")
    architectures = config.get("architectures") if config is not None else None
    if isinstance(architectures, list):
        tags = {_tag(str(a)) for a in architectures} - {None}
        if len(tags) == 1:
            _task_check(report, meta.get("pipeline_tag"), tags, f"config.json's architectures "
                        f"({', '.join(map(str, architectures))})")
    for obj in linker.resolve(front_matter_objects(meta)):
        tag = _tag(obj.name)
        if tag is not None:
            _task_check(report, meta.get("pipeline_tag"), {tag}, f"the model class `{obj.path}`")
    return out


def _tag(name: str) -> str | None:
    return next((tag for suffix, tag in ARCHITECTURES.items() if name.endswith(suffix)), None)


def _is_hub_id(name: str) -> bool:
    """`org/name` on the Hub, not a local path (which says nothing about the card)."""
    return bool(re.fullmatch(r"[\w.-]+/[\w.-]+", name)) and not name.startswith(".")


def _task_check(report: Any, stated: Any, allowed: set[str] | None, source: str) -> None:
    if isinstance(stated, str) and allowed and stated not in allowed:
        report("pipeline_tag", f"`pipeline_tag: {stated}` contradicts {source} "
               f"(expected {' or '.join(sorted(allowed))})")
