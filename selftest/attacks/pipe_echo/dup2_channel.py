# attack: puts /dev/null over every descriptor from 3 up, the grader's result pipe among them, so that what the grader's sandbox reports goes nowhere (and its place can be taken)
# expect-fail: correct.roundtrip correct.echo_worker safe.eof correct.ping_pong correct.spawn
import os as _os

_null = _os.open(_os.devnull, _os.O_WRONLY)
for _fd in list(range(3, 64)) + [999, 1000, 1001]:
    if _fd != _null:
        try:
            _os.fstat(_fd)
        except OSError:
            continue
        try:
            _os.dup2(_null, _fd)
        except OSError:
            pass
