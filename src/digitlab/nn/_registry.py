"""Resolving a name, an instance or a saved config to an object, as Keras's ``get`` functions do."""

from __future__ import annotations

from ..errors import InvalidValueError


def resolve(spec, kind: str, base: type, names: dict, classes: dict | None = None):
    """Return ``spec`` if it is already a ``base``; build ``classes[class_name](**config)``
    from a saved ``{"class_name", "config"}`` dict; or call ``names[spec]()`` for a name.
    Anything else is refused with the list of valid names."""
    if isinstance(spec, base):
        return spec
    if isinstance(spec, dict) and spec.get("class_name") in (classes or {}):
        return classes[spec["class_name"]](**spec.get("config", {}))
    if isinstance(spec, str) and spec in names:
        return names[spec]()
    raise InvalidValueError(f"unknown {kind} {spec!r} (expected one of: {', '.join(names)})")
