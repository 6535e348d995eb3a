"""One typed Settings, read from `[tool.docgen]` in pyproject.toml, mkdocs.yml or conf.py.

Keys are spelled as the CLI flags (`per-file-ignores`, `docstring-style`); `_` works too.
An unknown key is an error that names the closest valid key.
"""

from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from docgen_plugin.errors import SettingsError
from docgen_plugin.files import os_error_message

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DOCSTRING_STYLES = ("auto", "google", "numpy", "sphinx")


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Every option docgen has, with its default."""

    packages: tuple[str, ...] = field(
        default=(), metadata={"help": "Packages to read: paths or importable names."}
    )
    docstring_style: str = field(
        default="auto", metadata={"help": "auto (detected per docstring), google, numpy or sphinx."}
    )
    select: tuple[str, ...] = field(
        default=(), metadata={"help": "Rule codes or prefixes to report (default: all)."}
    )
    ignore: tuple[str, ...] = field(
        default=(), metadata={"help": "Rule codes or prefixes never to report."}
    )
    per_file_ignores: dict[str, tuple[str, ...]] = field(
        default_factory=dict, metadata={"help": "Glob -> codes ignored in matching files."}
    )
    config_files: dict[str, str] = field(
        default_factory=dict,
        metadata={"help": "Glob of config files -> the config class they belong to."},
    )
    exclude: tuple[str, ...] = field(
        default=(), metadata={"help": "Globs of files and folders never read."}
    )
    cache_dir: str = field(
        default=".cache/docgen", metadata={"help": "Cache of facts, findings and drafts."}
    )
    model: str = field(
        default="default", metadata={"help": "`default`, a local HF model dir, or a server URL."}
    )
    adapter: str | None = field(default=None, metadata={"help": "A PEFT LoRA adapter dir."})
    sections: tuple[str, ...] = field(
        default=(), metadata={"help": "Section kinds to draft (default: the catalogue's)."}
    )
    section_synonyms: dict[str, str] = field(
        default_factory=dict, metadata={"help": "Extra heading -> section kind mappings."}
    )
    max_new_tokens: int = field(default=160, metadata={"help": "Token budget per section."})
    prompt_tokens: int = field(default=0, metadata={
        "help": "Fit longer prompts to this many tokens, as training fits them (0: no limit)."})
    batch_size: int = field(
        default=64, metadata={"help": "Prompts generated together (one batch pays: ~8 MB each)."}
    )
    run_examples: bool = field(default=False, metadata={
        "help": "Run each usage example (it imports your code) and show one that runs."})
    root: str = field(default=".", metadata={"help": "Where relative paths start."})
    model_card_sections: tuple[str, ...] = field(
        default=("model description", "intended uses", "limitations", "training procedure"),
        metadata={"help": "Sections a model card (README.md with Hugging Face metadata) must "
                  "have (DG206); usual heading synonyms count."},
    )

    # --- house style: `docgen corpus` ------------------------------------------------------
    near_duplicate_threshold: float = field(
        default=0.8, metadata={"help": "MinHash Jaccard above which two texts are near-duplicates."}
    )
    corpus_min_chars: int = field(default=40, metadata={"help": "Shorter texts are dropped."})
    corpus_max_chars: int = field(default=1500, metadata={"help": "Longer texts are dropped."})
    validation_share: float = field(default=0.1, metadata={"help": "Share of groups for validation."})
    test_share: float = field(default=0.1, metadata={"help": "Share of groups for the test split."})
    bias_terms: tuple[str, ...] = field(
        default=("he", "she", "his", "her", "master", "slave", "blacklist", "whitelist",
                 "sanity", "crazy", "dummy", "guys"),
        metadata={"help": "Words counted by the data card's audit (a configurable word list)."},
    )
    # --- house style: `docgen finetune` ----------------------------------------------------
    learning_rate: float = field(default=2e-4, metadata={"help": "Peak learning rate (linear decay)."})
    epochs: float = field(default=2.0, metadata={"help": "Passes over the training split."})
    train_batch_size: int = field(default=8, metadata={"help": "Sequences per step and process."})
    max_length: int = field(
        default=0,
        metadata={"help": "Tokens per training sequence (prompt+answer); 0: chosen from the corpus."})
    lora_rank: int = field(default=16, metadata={"help": "LoRA rank r."})
    lora_alpha: int = field(default=32, metadata={"help": "LoRA alpha (scale alpha / r)."})
    lora_dropout: float = field(default=0.05, metadata={
        "help": "LoRA dropout; the lean layers drop rank-r activations."})
    weight_decay: float = field(default=0.01, metadata={"help": "AdamW weight decay."})
    save_steps: int = field(default=50, metadata={"help": "Checkpoint and validate every N steps."})
    early_stopping_patience: int = field(
        default=3, metadata={"help": "Stop after N validations without a lower loss; 0: never."}
    )
    seed: int = field(default=0, metadata={
        "help": "Seed of the corpus split, the training order, dropout and LoRA init."})
    # --- house style: `docgen check --select DG4` ------------------------------------------
    style_quantile: float = field(default=0.0, metadata={
        "help": "DG401 reports sections scoring beyond this quantile of their kind's validation "
                "scores (0: the calibration's own, chosen by measurement)."})
    # --- scale out: drafts from an OpenAI-compatible server ---------------------------------
    server_model: str | None = field(
        default=None, metadata={"help": "Model id (or served LoRA adapter name) on the server."}
    )
    api_key_env: str | None = field(
        default=None, metadata={"help": "Name of the environment variable holding the API key."}
    )
    server_concurrency: int = field(default=4, metadata={"help": "Requests in flight at once."})
    server_timeout: float = field(default=120.0, metadata={"help": "Seconds per request."})
    server_retries: int = field(
        default=4, metadata={"help": "Retries (with backoff) on 429/5xx and connection errors."}
    )

    def __post_init__(self) -> None:
        if self.docstring_style not in DOCSTRING_STYLES:
            raise SettingsError(
                f"docstring-style must be one of {', '.join(DOCSTRING_STYLES)}, "
                f"not {self.docstring_style!r}"
            )
        if self.max_new_tokens < 1 or self.batch_size < 1:
            raise SettingsError("max-new-tokens and batch-size must be positive")
        if not 0.0 <= self.style_quantile < 1.0:
            raise SettingsError("style-quantile must be at least 0 (the calibration's) and below 1")
        if self.prompt_tokens < 0 or self.max_length < 0:
            raise SettingsError("prompt-tokens and max-length must be 0 (no limit / chosen) or positive")

    @property
    def root_path(self) -> Path:
        return Path(self.root)

    @property
    def cache_path(self) -> Path:
        path = Path(self.cache_dir)
        return path if path.is_absolute() else self.root_path / path

    def merged(self, **overrides: Any) -> Settings:
        """These settings with the given options replaced; `None` values are left out."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


KEYS = {f.name.replace("_", "-"): f for f in fields(Settings)}


def settings_from_mapping(data: dict[str, Any], source: str, **extra: Any) -> Settings:
    """Settings from a plain mapping (a TOML table, a mkdocs/Sphinx option dict)."""
    values: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = raw_key.replace("_", "-")
        if key not in KEYS:
            close = difflib.get_close_matches(key, list(KEYS), n=1)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            raise SettingsError(f"{source}: unknown docgen option `{raw_key}`{hint}")
        values[KEYS[key].name] = _coerce(key, value, source)
    values.update(extra)
    return Settings(**values)


def _coerce(key: str, value: Any, source: str) -> Any:
    default = KEYS[key].default
    if isinstance(default, tuple):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)):
            raise SettingsError(f"{source}: `{key}` must be a list")
        return tuple(str(v) for v in value)
    if key == "per-file-ignores":
        if not isinstance(value, dict):
            raise SettingsError(f"{source}: `{key}` must be a table of glob = [codes]")
        return {str(k): tuple(v) if isinstance(v, list) else (str(v),) for k, v in value.items()}
    if isinstance(value, dict) or KEYS[key].default_factory is dict:  # type: ignore[comparison-overlap]
        if not isinstance(value, dict):
            raise SettingsError(f"{source}: `{key}` must be a table")
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(default, float) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    wrong_type = not isinstance(value, type(default)) or isinstance(value, bool)
    if isinstance(default, (int, float)) and wrong_type:
        kind = "an integer" if isinstance(default, int) else "a number"
        raise SettingsError(f"{source}: `{key}` must be {kind}")
    return value


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above `start`."""
    start = start.resolve()
    for folder in (start, *start.parents) if start.is_dir() else start.parents:
        candidate = folder / "pyproject.toml"
        try:
            if candidate.is_file():
                return candidate
        except OSError:  # a folder we may not search: the commands say so about the paths
            continue
    return None


def load_settings(start: Path | None = None, **overrides: Any) -> Settings:
    """Settings from the nearest pyproject.toml's `[tool.docgen]`, then CLI overrides."""
    pyproject = find_pyproject(start or Path.cwd())
    if pyproject is None:
        return Settings().merged(**overrides)
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SettingsError(f"{pyproject}: not valid TOML ({error}); fix the file") from error
    except OSError as error:
        raise SettingsError(f"cannot read {os_error_message(error, pyproject)}") from error
    tool = data.get("tool", {})
    table = tool.get("docgen", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise SettingsError(f"{pyproject}: [tool.docgen] must be a table of options "
                            f"(`[tool.docgen]` with `key = value` lines), not {table!r}")
    settings = settings_from_mapping(table, f"{pyproject} [tool.docgen]", root=str(pyproject.parent))
    return settings.merged(**overrides)
