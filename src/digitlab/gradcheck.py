"""Old import path, kept for this release: use ``digitlab.nn.gradcheck``."""

from .nn.gradcheck import gradient_check, numerical_gradient  # noqa: F401
