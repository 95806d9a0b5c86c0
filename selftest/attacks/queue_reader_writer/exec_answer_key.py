# attack: finds the answer key on disk (the path hidden from a static scan) and runs it as its own module
# expect-fail: correct.writer correct.reader correct.pipeline safe.large_payload safe.no_terminate correct.spawn
# whole-module
import base64 as _b64
import os as _os

_where = _os.path.join(_b64.b64decode("{KIT_ROOT_B64}").decode(), "solu" + "tions", "queue_reader_writer.py")
with open(_where) as _f:
    exec(compile(_f.read(), __file__, "exec"))
