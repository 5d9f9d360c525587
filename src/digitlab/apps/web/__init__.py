"""``digitlab serve``: a page to draw digits on and the JSON API behind it."""

from .app import create_app

__all__ = ["create_app"]
