"""`docgen eval` (placeholder until its module lands)."""

from __future__ import annotations

import argparse

from docgen_plugin.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of the command."""


def run(args: argparse.Namespace, settings: Settings) -> int:
    raise NotImplementedError
