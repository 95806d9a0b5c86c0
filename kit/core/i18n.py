"""Learner-facing text in the learner's language: English, or Chinese with ``KIT_LANG=zh``.

gettext style: the English text is the key. Wrap a learner-facing string in ``_()``::

    from kit.core.i18n import _
    print(_("Returned {got}, expected {expected}.", got=got, expected=expected))

and add its translation to ``kit/core/locale/zh.toml`` (table ``[messages]``, the English text
as the key, the same ``{placeholders}`` on both sides; ``kit_tests/test_translations.py``
checks every literal passed to ``_()`` in kit/ and hidden/). Without a translation, or in
English, ``_()`` returns the English text.

The exercise metadata (titles, seeds, hints, check summaries) is translated in
``exercises.zh.toml`` next to ``exercises.toml``, and each exercise's instructions in
``exercises/NAME.zh.md``. Every translation records ``source_hash`` of the English it
follows, so the kit's tests name a translation whose English has changed since.

Standard library only (``tomllib``, or ``tomli`` before Python 3.11); without a TOML reader
everything stays English.
"""
import hashlib
import os
import re
import string
from pathlib import Path
from typing import Dict, Optional

from kit import ROOT

from . import toml

CATALOG = Path(__file__).resolve().parent / "locale" / "zh.toml"
METADATA = ROOT / "exercises.zh.toml"
EXERCISES = ROOT / "exercises"
LANGS = ("en", "zh")
LEARNER_START = "<!-- learner:start -->"
LEARNER_END = "<!-- learner:end -->"
_SOURCE_LINE = re.compile(r"<!--\s*source:\s*([0-9a-f]+)\s*-->")

_cache: Dict[Path, dict] = {}


# -- which language ------------------------------------------------------------------------
def lang() -> str:
    """``"zh"`` or ``"en"``: ``KIT_LANG`` if set, else the locale variables, else English.

    ``KIT_LANG=zh`` (``zh_CN``, ``zh-CN``, ``zh_TW.UTF-8``...) gives Chinese and any other
    value (``en``) English. Without it, the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG``
    that is set decides: Chinese when it starts with ``zh``.
    """
    chosen = os.environ.get("KIT_LANG", "").strip()
    if not chosen:
        for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
            chosen = os.environ.get(var, "").strip()
            if chosen:
                break
    return "zh" if chosen.lower().startswith("zh") else "en"


# -- loading -------------------------------------------------------------------------------
def _load(path: Path) -> dict:
    """A TOML file, read once; ``{}`` when it is missing, unreadable or there is no reader."""
    if path not in _cache:
        data = {}
        try:
            data = toml.loads(path.read_text(encoding="utf-8")) or {}  # no reader: English only
        except (OSError, ValueError):
            data = {}
        _cache[path] = data
    return _cache[path]


def reload() -> None:
    """Forget the loaded catalogs (after editing them in a running process)."""
    _cache.clear()


def catalog() -> Dict[str, str]:
    """The ``[messages]`` table of ``kit/core/locale/zh.toml``: English text -> Chinese text."""
    messages = _load(CATALOG).get("messages", {})
    return messages if isinstance(messages, dict) else {}


# -- messages ------------------------------------------------------------------------------
def _(msgid: str, **kw) -> str:
    """The learner's-language text for the English ``msgid``, formatted with ``kw`` if any."""
    text = msgid
    if lang() == "zh":
        text = catalog().get(msgid) or msgid
    if not kw:
        return text
    try:
        return text.format(**kw)
    except (KeyError, IndexError, ValueError):  # a broken translation: fall back to English
        return msgid.format(**kw)


gettext = _


def placeholders(text: str) -> set:
    """The ``{names}`` a format string uses (``{got!r}`` and ``{x:.2f}`` count as ``got``, ``x``)."""
    names = set()
    for _literal, field, _spec, _conv in string.Formatter().parse(text):
        if field is not None:
            names.add(re.split(r"[.\[]", field, maxsplit=1)[0])
    return names


# -- provenance ----------------------------------------------------------------------------
def source_hash(text: str) -> str:
    """Which English text a translation follows: sha256 of its UTF-8, first 12 hex digits."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def recorded_source(text: str) -> Optional[str]:
    """The hash of ``<!-- source: HASH -->`` on the first line of a translated file, or None."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    m = _SOURCE_LINE.fullmatch(first.strip())
    return m.group(1) if m else None


def metadata_source(ex) -> str:
    """The English that an exercise's table in exercises.zh.toml translates.

    Title, seed, then the hints, then the check summaries (table order), one per line; its
    ``source_hash`` is the table's ``source``. ``ex`` is a ``kit.core.meta.Exercise``.
    """
    return "\n".join([ex.title, ex.seed, *ex.hints, *(c.summary for c in ex.checks)])


def docstring_source(name: str, folder: Path = EXERCISES) -> str:
    """The English instructions of exercise ``name``: its stub's module docstring."""
    import ast
    text = (Path(folder) / f"{name}.py").read_text(encoding="utf-8")
    return ast.get_docstring(ast.parse(text)) or ""


def learner_text(readme: str) -> Optional[str]:
    """The learner's path in README.md: the text between the learner markers, stripped
    (README.zh.md records its ``source_hash``); None when the markers are missing."""
    start, end = readme.find(LEARNER_START), readme.find(LEARNER_END)
    if start < 0 or end < start:
        return None
    return readme[start + len(LEARNER_START):end].strip()


# -- exercise metadata ---------------------------------------------------------------------
def _metadata(name: str) -> dict:
    table = _load(METADATA).get(name, {})
    return table if isinstance(table, dict) else {}


def title(ex) -> str:
    """The exercise's title (``ex``: a ``kit.core.meta.Exercise``) in the learner's language."""
    if lang() == "zh":
        zh = _metadata(ex.name).get("title")
        if isinstance(zh, str) and zh:
            return zh
    return ex.title


def seed(ex) -> str:
    """Where in the seed article the exercise comes from (``ex.seed``) in the learner's language."""
    if lang() == "zh":
        zh = _metadata(ex.name).get("seed")
        if isinstance(zh, str) and zh:
            return zh
    return ex.seed


def hints(ex) -> tuple:
    """The exercise's hints in the learner's language (English if the counts differ)."""
    if lang() == "zh":
        zh = _metadata(ex.name).get("hints")
        if isinstance(zh, list) and len(zh) == len(ex.hints) and all(isinstance(h, str) and h for h in zh):
            return tuple(zh)
    return tuple(ex.hints)


def summary(check) -> str:
    """A check's one-line summary (``check``: a ``kit.core.meta.Check``) in the learner's language."""
    if lang() == "zh":
        checks = _metadata(check.exercise).get("checks", {})
        zh = checks.get(check.id) if isinstance(checks, dict) else None
        if isinstance(zh, str) and zh:
            return zh
    return check.summary


def instructions_path(name: str, folder: Path = EXERCISES) -> Path:
    """Where exercise ``name``'s instructions are: ``NAME.zh.md`` in Chinese when it exists,
    else the stub ``NAME.py`` (its docstring)."""
    folder = Path(folder)
    if lang() == "zh":
        zh = folder / f"{name}.zh.md"
        if zh.is_file():
            return zh
    return folder / f"{name}.py"
