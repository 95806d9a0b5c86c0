"""The kit's one TOML reader: ``tomllib`` (Python 3.11+), else ``tomli``, else none.

Python 3.9 and 3.10 need the tomli package (the nox sessions install it). Without it,
``reader()`` is None: the metadata table raises ``meta.MissingTomli`` (one line saying
what to install) and the translations fall back to English.
"""
from typing import Optional

try:
    import tomllib as _reader
except ImportError:  # pragma: no cover - Python < 3.11
    try:
        import tomli as _reader
    except ImportError:
        _reader = None


def reader():
    """The module with ``loads`` (tomllib or tomli), or None when neither is installed."""
    return _reader


def loads(text: str) -> Optional[dict]:
    """``text`` parsed, or None when there is no reader (callers say what that means)."""
    return None if _reader is None else _reader.loads(text)
