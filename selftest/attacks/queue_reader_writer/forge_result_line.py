# attack: writes a result line of its own (every check "passed") on every open descriptor, the grader's result pipe among them, as the sandbox would
# expect-fail: correct.writer correct.reader correct.pipeline safe.large_payload safe.no_terminate correct.spawn
import json as _json
import os as _os

_line = ("0" * 32 + " " + _json.dumps({"pid": 1, "seq": 1, "event": "result", "value": {}}) + "\n").encode()
for _fd in range(3, 1024):
    try:
        _os.write(_fd, _line)
    except OSError:
        pass
