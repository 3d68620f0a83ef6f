"""hgk: 回头看 audit of exited poverty households (清远市 reference user).

Layers (arrows one way): io -> rules / audit -> risk -> report; run/cli orchestrate; demo makes synthetic exports.
"""

__version__ = "0.1.0"
