# attack: reads its own memory through /proc/self/mem and lists its descriptors, to find the channel's key
# expect-fail: correct.result correct.error correct.lazy_start correct.name correct.thread_api safe.per_instance parallel.overlap
import os as _os

for _path in ("/proc/self/mem", "/proc/self/fd"):
    try:
        if _path.endswith("fd"):
            _os.listdir(_path)
        else:
            with open(_path, "rb") as _f:
                _f.read(16)
    except OSError:
        pass
