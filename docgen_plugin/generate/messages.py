"""Chat messages, the one shape every prompt has: `{"role": ..., "content": ...}` dicts."""

from __future__ import annotations

Message = dict[str, str]
Messages = list[Message]
