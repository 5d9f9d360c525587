"""Old import path, kept for this release: use ``digitlab.vision.preprocess``."""

from .vision.preprocess import *  # noqa: F401,F403
