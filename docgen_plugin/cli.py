"""The `docgen` command: argument parsing only; every command body lives with its feature.

Exit codes: 0 clean, 1 findings, 2 usage or input error (one line on stderr).
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from docgen_plugin import __version__
from docgen_plugin.errors import DocgenError
from docgen_plugin.files import os_error_message

logger = logging.getLogger("docgen_plugin")


def _codes(text: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in text.split(",") if c.strip())


def _add_check(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="Report docs that no longer match the code.")
    p.add_argument("paths", nargs="*", help="Packages, folders, files or importable names "
                   "(default: `packages` from [tool.docgen], else the current folder).")
    p.add_argument("--format", choices=("text", "json", "github", "sarif"), default="text")
    p.add_argument("--select", type=_codes, help="Comma-separated codes or prefixes to report.")
    p.add_argument("--ignore", type=_codes, help="Comma-separated codes or prefixes to skip.")
    p.add_argument("--docstring-style", choices=("auto", "google", "numpy", "sphinx"))
    p.add_argument("--exclude", type=_codes, help="Comma-separated globs of files not to read.")
    p.add_argument("--baseline", type=Path, help="Write FILE when missing; else report only "
                   "findings not in it.")
    p.add_argument("--update-baseline", action="store_true", help="Rewrite the baseline file.")
    p.add_argument("--no-cache", action="store_true", help="Neither read nor write the cache.")
    p.add_argument("--output", "-o", type=Path, help="Write the report to a file.")
    p.add_argument("--changed-since", metavar="REF", help="Check only what changed since the git "
                   "revision REF (committed, uncommitted and untracked files) and the docs that "
                   "depend on it; e.g. origin/main in a pull request.")
    p.add_argument("--fix", action="store_true", help="Rewrite docstrings where the code settles "
                   "the finding (DG101-DG104, DG106); report what was fixed and what was left.")
    p.add_argument("--diff", action="store_true", help="Print the fixes as a unified diff and "
                   "change nothing (exit 1 when there is something to fix).")
    p.add_argument("--draft", action="store_true", help="With --fix/--diff: have the local model "
                   "describe new entries no sibling documents (verified; else a TODO).")


def _add_rule(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rule", help="Explain a rule (or list them all).")
    p.add_argument("code", nargs="?", help="A rule code such as DG101.")


def _add_draft_and_model(sub: argparse._SubParsersAction) -> None:
    from docgen_plugin.generate.commands import add_draft_arguments, add_model_arguments

    add_draft_arguments(sub.add_parser(
        "draft", help="Draft missing doc sections with the local model, verified against the code."))
    add_model_arguments(sub.add_parser("model", help="Show or prepare the drafting model."))


# `docgen corpus|finetune|eval`: each module owns its arguments (`add_arguments`) and body (`run`).
FINETUNE_COMMANDS = {
    "corpus": ("docgen_plugin.finetune.corpus_command",
               "Build a labeled, deduplicated, leak-free corpus from existing docs."),
    "finetune": ("docgen_plugin.finetune.train_command",
                 "Train a LoRA adapter on a corpus (runs under torchrun/accelerate too)."),
    "eval": ("docgen_plugin.finetune.eval_command",
             "Compare the base model and an adapter on a corpus's test split."),
}


def _add_finetune(sub: argparse._SubParsersAction) -> None:
    import importlib

    for name, (module, help_text) in FINETUNE_COMMANDS.items():
        importlib.import_module(module).add_arguments(sub.add_parser(name, help=help_text))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="docgen", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"docgen {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="Log what docgen does.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_check(sub)
    _add_rule(sub)
    _add_draft_and_model(sub)
    _add_finetune(sub)
    return parser


def _style_findings(*args: Any, **kwargs: Any) -> Any:
    """DG401 (`--select DG4`): the model lives above checks, imported only when selected."""
    from docgen_plugin.finetune.style_check import style_findings

    return style_findings(*args, **kwargs)


def main(args: Sequence[str] | None = None) -> int:
    parser = build_parser()
    options = parser.parse_args(args)
    logging.basicConfig(level=logging.INFO if options.verbose else logging.WARNING,
                        format="%(levelname)s: %(message)s")
    try:
        if options.command == "check":
            from docgen_plugin.checks.command import run_check

            if options.draft:  # the model lives above checks: handed in, imported only when asked
                from docgen_plugin.generate.param_phrases import param_drafter

                options.make_drafter = param_drafter

            options.style_findings = _style_findings
            return run_check(options)
        if options.command == "rule":
            from docgen_plugin.checks.command import run_rule

            return run_rule(options)
        if options.command in ("draft", "model"):
            from docgen_plugin.generate.commands import run_draft, run_model
            from docgen_plugin.settings import load_settings

            settings = load_settings(Path.cwd())
            return (run_draft if options.command == "draft" else run_model)(options, settings)
        if options.command in FINETUNE_COMMANDS:
            import importlib

            from docgen_plugin.settings import load_settings

            module = importlib.import_module(FINETUNE_COMMANDS[options.command][0])
            return int(module.run(options, load_settings(Path.cwd())))
    except DocgenError as error:
        return _fail(f"error: {error}", options.verbose)
    except BrokenPipeError:  # `docgen rule | head`
        return 0
    except KeyboardInterrupt:
        print("docgen: interrupted", file=sys.stderr)
        return 130
    # The boundary: whatever a command did not turn into a DocgenError is still one line and
    # exit 2 (1 would read as findings in CI); -v shows the traceback.
    except OSError as error:
        return _fail(f"error: {os_error_message(error)}", options.verbose, trace=True)
    except UnicodeDecodeError as error:
        return _fail(f"error: a file is not valid UTF-8 ({error})", options.verbose, trace=True)
    except Exception as error:
        return _fail(f"internal error: {type(error).__name__}: {error}; rerun with -v for "
                     "the traceback, and report it", options.verbose, trace=True)
    parser.error(f"unknown command {options.command}")
    return 2


def _fail(message: str, verbose: bool, trace: bool = False) -> int:
    if verbose and trace:
        traceback.print_exc()
    print("docgen: " + " ".join(message.split()), file=sys.stderr)  # one line, always
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
