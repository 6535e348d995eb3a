"""Checkpoints of a run: started over or resumed, and only by the same corpus, model and options."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

from docgen_plugin.errors import SettingsError

logger = logging.getLogger(__name__)

CHECKPOINTS = "checkpoints"
RUN_FILE = "docgen_run.json"


def prepare_checkpoints(
    checkpoints: Path, identity: dict[str, Any], *, resume: bool, main: bool
) -> str | None:
    """The checkpoint to resume from (None: a fresh start, the folder cleared by the main
    rank); a `--resume` of a run with another identity is refused."""
    run_file = checkpoints / RUN_FILE
    if resume:
        last = latest_checkpoint(checkpoints)
        if last is None:
            raise SettingsError(f"--resume: no checkpoint in {checkpoints}; start without --resume")
        try:
            saved = json.loads(run_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = None
        if saved is not None and saved != identity:
            changed = sorted(k for k in identity if saved.get(k) != identity[k])
            raise SettingsError(
                f"--resume: {checkpoints} was trained with other {', '.join(changed)}; "
                "resume with the same corpus, model and options, or start without --resume"
            )
        return last
    if main:
        if checkpoints.exists():
            logger.warning("%s: starting over (use --resume to continue)", checkpoints)
            shutil.rmtree(checkpoints)
        checkpoints.mkdir(parents=True, exist_ok=True)
        run_file.write_text(json.dumps(identity, indent=2) + "\n", encoding="utf-8")
    return None


def latest_checkpoint(checkpoints: Path) -> str | None:
    """The newest complete checkpoint: a kill -9 while saving leaves one without
    `trainer_state.json` (written last), which is skipped."""
    if not checkpoints.is_dir():
        return None
    complete = [
        p for p in checkpoints.glob("checkpoint-*")
        if p.name.rpartition("-")[2].isdigit() and (p / "trainer_state.json").is_file()
    ]
    if not complete:
        return None
    return str(max(complete, key=lambda p: int(p.name.rpartition("-")[2])))
