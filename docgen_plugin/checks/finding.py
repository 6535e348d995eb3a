"""A finding: one place where the docs no longer say what the code does. Data, not an exception."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One finding of a rule (or a DG0xx diagnostic) at a file and line."""

    code: str
    message: str
    file: str
    line: int
    obj: str = ""  # the object it is about, when there is one
    subject: str = ""  # what exactly (a parameter name...), stable across line moves

    @property
    def baseline_key(self) -> str:
        """Identity that survives edits elsewhere in the file (used by baselines)."""
        return f"{self.code}|{self.file}|{self.obj}|{self.subject or self.message}"

    def sort_key(self) -> tuple[str, int, str]:
        return (self.file, self.line, self.code)
