# attack: takes ctypes from sys.modules once multiprocessing has loaded it (no import of its own) and reads the process's memory with it
# expect-fail: correct.exit_codes parallel.overlap safe.all_joined correct.square_process correct.spawn
import multiprocessing as _mp
import sys as _sys

_mp.Array("i", 1, lock=False)
_ct = getattr(_sys, "mod" + "ules").get("ctypes") or getattr(_sys, "mod" + "ules").get("_ctypes")
try:
    _ct.string_at(id(_sys), 64)
except Exception:
    pass
