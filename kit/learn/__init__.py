"""Learner tools: ``check``, ``hint``, ``list``, ``watch`` and ``reset`` (``python -m kit NAME``).

One module per command (``check.py``, ``hint.py``, ``listing.py``, ``watch.py``,
``reset.py``), each with ``main(argv)``, named in ``kit/__main__.py``'s table; ``run.py``
runs one exercise's learner tests with a time limit and a process-group kill (check and
watch both use it); ``common.py`` holds what they share: the state files, names, the
progress bar.

This package imports only ``kit.core`` (``kit_tests/test_layout.py`` enforces it), and
nothing that only some systems have at import time: the learner tools run wherever Python
does, and a student's release is ``kit/core`` and ``kit/learn`` alone.
"""
