"""The concurrency kit: exercises, a hidden suite that grades them, and the tools around it.

Six packages, each for one audience; ``kit_tests/test_layout.py`` enforces who may import whom:

- ``kit.core``: the table (meta), translations (i18n), the results model (results),
  process helpers (proc), the TOML reader. Learner-safe: a student's release copies it whole.
- ``kit.learn``: the learner's commands (check, hint, list, watch, reset). Imports only core.
- ``kit.sandbox``: what runs beside learner code, in its jail. Imports nothing else of the kit.
- ``kit.engine``: one grade: stage the sandbox's view, run probes, decide verdicts, write
  reports. Imports core and sandbox (the sandbox as code to stage and data types, never to run).
- ``kit.teach``: the teacher's tools: intake of submissions, batch, gradebook, class page,
  release, the platforms (Gradescope, Classroom 50). Imports core and engine.
- ``kit.dev``: the maintainers' tools: selftest, bench, flips, new, dev-check, translations.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
