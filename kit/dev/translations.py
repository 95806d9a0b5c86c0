"""``python -m kit translations``: each translation's state and the source hash it should record.

A translation records the hash of the English it was made from (``source``); when the English
changes, the hash no longer matches and the translation is reported STALE until a translator
updates it and the hash it records.
"""
from kit import ROOT
from kit.core import meta
from kit.core.i18n import (EXERCISES, _metadata, docstring_source, learner_text, metadata_source,
                           recorded_source, source_hash)


def status() -> list:
    """``(translation, recorded hash, current hash)`` for every translation the kit has."""
    rows = []
    for ex in meta.load():
        zh = EXERCISES / f"{ex.name}.zh.md"
        recorded = recorded_source(zh.read_text(encoding="utf-8")) if zh.is_file() else None
        rows.append((f"exercises/{ex.name}.zh.md", recorded, source_hash(docstring_source(ex.name))))
        rows.append((f"exercises.zh.toml [{ex.name}]", _metadata(ex.name).get("source"),
                     source_hash(metadata_source(ex))))
    readme, zh_readme = ROOT / "README.md", ROOT / "README.zh.md"
    english = learner_text(readme.read_text(encoding="utf-8")) if readme.is_file() else None
    recorded = recorded_source(zh_readme.read_text(encoding="utf-8")) if zh_readme.is_file() else None
    rows.append(("README.zh.md", recorded, source_hash(english) if english is not None else None))
    return rows


def main(argv=None) -> int:
    """Print each translation's state and the source hash it should record."""
    stale = 0
    for what, recorded, current in status():
        state = ("no English markers" if current is None else
                 "current" if recorded == current else
                 "missing" if recorded is None else "STALE")
        stale += state != "current"
        print(f"{state:<18} {what:<42} recorded {recorded or '-':<12}  English now {current or '-'}")
    return 1 if stale else 0
