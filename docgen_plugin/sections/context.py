"""The facts a section of an object depends on, and their fingerprint.

A section of a model states its own facts, its config class's and its `forward`'s: those are
its context. The fingerprint of the context keys the draft cache and marks a written section
(`facts=` in a page marker), so DG301 can tell that the code changed since.
"""

from __future__ import annotations

import hashlib
import json

from docgen_plugin.facts.model import Facts, ObjectFacts, to_dict
from docgen_plugin.sections.render import related_config


def context_objects(obj: ObjectFacts, facts: Facts | None) -> tuple[ObjectFacts, ...]:
    """The facts a section of `obj` depends on: itself, its config class, its `forward`."""
    found = [obj]
    config = related_config(obj, facts)
    if config is not None and config is not obj:
        found.append(config)
    forward = facts.get(f"{obj.path}.forward") if facts is not None else None
    if forward is not None:
        found.append(forward)
    return tuple(found)


# Behaviour facts a section may state; left out of the hash while empty, so that objects
# without them keep the fingerprints pages were marked with before docgen read behaviour.
_BEHAVIOUR = ("raises", "returns", "submodules", "config_class")
# Facts no section states (config reads feed checks): never part of the hash.
_UNSTATED = ("line", "end_line", "file", "config_reads", "super_calls")


def _without_positions(value: object) -> object:
    # Line numbers and file names move when unrelated code moves; they are not what a
    # section says, so they stay out of the hash (no false DG301, no needless redraft).
    if isinstance(value, dict):
        return {
            k: _without_positions(v)
            for k, v in value.items()
            if k not in _UNSTATED and not (k in _BEHAVIOUR and not v)
        }
    if isinstance(value, (list, tuple)):
        return [_without_positions(v) for v in value]
    return value


def object_fingerprint(obj: ObjectFacts) -> str:
    """A content hash of what the code states about one object, positions left out."""
    payload = json.dumps(_without_positions(to_dict(obj)), sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def context_fingerprint(obj: ObjectFacts, facts: Facts | None = None) -> str:
    """The facts hash a section is keyed and marked with (`facts=` in a page marker)."""
    objects = context_objects(obj, facts)
    if len(objects) == 1:
        return object_fingerprint(obj)
    joined = ",".join(f"{o.path}:{object_fingerprint(o)}" for o in objects)
    return hashlib.sha256(joined.encode()).hexdigest()[:16]
