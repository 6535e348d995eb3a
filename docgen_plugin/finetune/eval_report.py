"""`docgen eval`'s reports: `eval.json` (everything, per item, to audit a run), `eval.md` (the
tables and the worst cases side by side), `eval.png` (ROUGE-L and verifier pass rate per
section kind and system), and the table printed on the terminal."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from docgen_plugin.files import atomic_write
from docgen_plugin.finetune.eval_plan import ADAPTER, BASE
from docgen_plugin.finetune.evaluate import EvalResult, Output
from docgen_plugin.finetune.metrics import ALL, Summary
from docgen_plugin.generate.prompts import facts_block

EVAL_JSON = "eval.json"
EVAL_MD = "eval.md"
EVAL_PNG = "eval.png"
WORST = 20
COLUMNS = ("system", "n", "ROUGE-L", "BLEU", "token F1", "verified %", "sentences kept %",
           "fully verified %", "words")


def to_json(result: EvalResult) -> dict[str, Any]:
    """The whole run as plain data: settings, scores per system and label, every item."""
    items = []
    for index, record in enumerate(result.records):
        generations = {}
        for system in result.systems:
            output = result.outputs[system][index]
            generations[system] = {
                "text": output.text,
                "raw": output.raw,
                "reasons": list(output.reasons),
                "passed": output.passed,
                "rouge_l": output.score.rouge_l,
                "token_f1": output.score.token_f1,
                "prompt_hash": output.prompt_hash,
                "key": output.key,
                "cached": output.cached,
            }
        items.append({
            "id": record.id,
            "label": record.label,
            "object": record.object,
            "group": record.group,
            "source": f"{record.source}:{record.line}",
            "reference": record.completion,
            "systems": generations,
        })
    return {
        "corpus": str(result.corpus),
        "split": result.split,
        "systems": list(result.systems),
        "model": dict(result.model),
        "settings": dict(result.settings),
        "seconds": dict(result.seconds),
        "shots": {label: list(ids) for label, ids in result.shots.items()},
        "summary": {
            system: {label: asdict(scores) for label, scores in by_label.items()}
            for system, by_label in result.summaries.items()
        },
        "gains_rouge_l_percent": result.gains(),
        "items": items,
    }


def _row(system: str, scores: Summary) -> list[str]:
    return [
        system, str(scores.count), f"{scores.rouge_l:.1f}", f"{scores.bleu:.1f}",
        f"{scores.token_f1:.1f}", f"{scores.pass_rate:.0f}", f"{scores.sentences_kept:.0f}",
        f"{scores.fully_verified:.0f}", f"{scores.length:.0f}",
    ]


def _markdown_table(header: tuple[str, ...] | list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _gain_text(gain: float | None) -> str:
    return "n/a" if gain is None else f"{gain:+.1f}%"


def text_table(result: EvalResult) -> str:
    """The overall table and the adapter's gains, aligned for a terminal."""
    rows = [list(COLUMNS)] + [_row(s, result.summaries[s][ALL]) for s in result.systems]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(row, widths))) for row in rows]
    for name, by_label in result.gains().items():
        lines.append(f"ROUGE-L {name}: {_gain_text(by_label[ALL])}")
    return "\n".join(lines)


def _cell(text: str, limit: int = 600) -> str:
    text = text.strip()
    if len(text) > limit:
        text = text[:limit].rstrip() + " [...]"
    text = text.replace("|", "\\|").replace("<", "&lt;").replace("\n", "<br>")
    return text or "*(empty)*"


def worst_cases(result: EvalResult, count: int = WORST) -> tuple[str, list[int]]:
    """Indices of the `count` worst records: lowest adapter ROUGE-L (ties: the most lost
    against the base model); without an adapter, lowest ROUGE-L of the last system."""
    system = ADAPTER if ADAPTER in result.systems else result.systems[-1]
    target = result.outputs[system]
    base = result.outputs.get(BASE) if system != BASE else None

    def key(index: int) -> tuple[float, float]:
        own = target[index].score.rouge_l
        lost = own - base[index].score.rouge_l if base is not None else 0.0
        return own, lost

    order = sorted(range(len(result.records)), key=key)
    rule = f"lowest {system} ROUGE-L" + (f", then most lost against {BASE}" if base else "")
    return rule, order[:count]


def _case(result: EvalResult, index: int) -> list[str]:
    record = result.records[index]
    lines = [f"### {record.object} — {record.label}", "",
             f"`{record.id}` from `{record.source}:{record.line}`", "", "```text",
             facts_block(record.object_facts(), record.context()), "```", ""]
    rows = [["reference", "", "", "", _cell(record.completion)]]
    for system in result.systems:
        output: Output = result.outputs[system][index]
        verdict = "pass" if output.passed else _cell("; ".join(output.reasons), 200)
        rows.append([system, f"{output.score.rouge_l:.1f}", f"{output.score.token_f1:.1f}",
                     verdict, _cell(output.text)])
    lines.append(_markdown_table(["", "ROUGE-L", "token F1", "verifier", "text"], rows))
    lines.append("")
    return lines


def render_markdown(result: EvalResult) -> str:
    """`eval.md`: settings, the overall and per-kind tables, gains, the worst cases."""
    model = result.model
    adapter = f" + adapter `{model['adapter']}`" if model.get("adapter") else ""
    lines = [
        "# docgen eval", "",
        f"Corpus `{result.corpus}`, split `{result.split}`, {len(result.records)} records; "
        f"model `{model['name']}`{adapter}; greedy decoding as drafting does "
        f"(`{json.dumps(model['decoding'])}`), output post-processed and verified as drafts are.",
        "",
        "ROUGE-L, token F1 and verified % are means over items (x100); BLEU is corpus BLEU "
        "(sacrebleu); words is the mean length of the generated text.", "",
        "## All sections", "",
        _markdown_table(COLUMNS, [_row(s, result.summaries[s][ALL]) for s in result.systems]),
        "",
    ]
    gains = result.gains()
    if gains:
        lines += ["## ROUGE-L gain of the adapter", ""]
        header = ["section kind", *gains]
        rows = [[label, *(_gain_text(gains[name][label]) for name in gains)]
                for label in [ALL, *result.labels]]
        lines += [_markdown_table(header, rows), ""]
    lines += ["## Per section kind", ""]
    for label in result.labels:
        lines += [f"### {label}", "",
                  _markdown_table(COLUMNS, [_row(s, result.summaries[s][label])
                                            for s in result.systems]), ""]
    if result.shots:
        lines += ["## Few-shot examples (train split)", ""]
        lines += [f"- {label}: {', '.join(f'`{i}`' for i in ids) or '(none)'}"
                  for label, ids in sorted(result.shots.items())]
        lines.append("")
    rule, worst = worst_cases(result)
    lines += [f"## The {len(worst)} worst cases ({rule})", ""]
    for index in worst:
        lines += _case(result, index)
    return "\n".join(lines).rstrip() + "\n"


def plot(result: EvalResult, path: Path) -> None:
    """Bars of ROUGE-L and verifier pass rate per section kind, one colour per system."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [ALL, *result.labels]
    width = 0.8 / len(result.systems)
    figure, axes = plt.subplots(2, 1, figsize=(max(6.0, 1.4 * len(labels) + 2), 7), sharex=True)
    for metric, axis, title in ((("rouge_l"), axes[0], "ROUGE-L F1"),
                                (("pass_rate"), axes[1], "verifier pass rate (%)")):
        for number, system in enumerate(result.systems):
            values = [getattr(result.summaries[system][label], metric) for label in labels]
            positions = [i + (number - (len(result.systems) - 1) / 2) * width
                         for i in range(len(labels))]
            axis.bar(positions, values, width, label=system)
        axis.set_ylabel(title)
        axis.grid(axis="y", alpha=0.3)
    axes[0].legend()
    axes[1].set_xticks(range(len(labels)))
    axes[1].set_xticklabels(labels, rotation=20)
    axes[0].set_title(f"docgen eval: {result.corpus.name} / {result.split}")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def write_reports(result: EvalResult, out: Path) -> dict[str, Path]:
    """eval.json, eval.md and eval.png in `out`; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / EVAL_JSON, "md": out / EVAL_MD, "png": out / EVAL_PNG}
    atomic_write(paths["json"], json.dumps(to_json(result), indent=2, ensure_ascii=False) + "\n")
    atomic_write(paths["md"], render_markdown(result))
    plot(result, paths["png"])
    return paths
