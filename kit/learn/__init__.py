"""Learner tools: ``check``, ``hint``, ``list``, ``watch`` and ``reset`` (``python -m kit NAME``).

One module per command (``check.py``, ``hint.py``, ``listing.py``, ``watch.py``,
``reset.py``), each with ``main(argv)``; ``run.py`` runs one exercise's learner tests with a
time limit and a process-group kill (check and watch both use it); ``common.py`` holds what
they share: the state files, names, the progress bar.

This package imports nothing from ``kit.judge`` or ``kit.box``, and nothing that only some
systems have at import time: the learner tools run wherever Python does.
"""
COMMANDS = {"check": "check", "hint": "hint", "list": "listing", "watch": "watch", "reset": "reset"}


def main(argv) -> int:
    """``main(["check", ...])``: run one learner command by name."""
    import importlib
    command, rest = argv[0], list(argv[1:])
    return importlib.import_module(f"{__name__}.{COMMANDS[command]}").main(rest)
