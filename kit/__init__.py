"""The concurrency kit's harness: metadata, sandboxed probes, grading and reports.

Judge side (never imports learner code): meta, proc, sandbox, judge, speedup, plugin,
grade, report, learn, selftest.  Child side (runs beside learner code): child, probe,
instrument.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
