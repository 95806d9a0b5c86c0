# mutant: name is stored on a private attribute instead of reaching Thread.name
# expect-fail: correct.name
_orig_init = TaskThread.__init__


def _init(self, func, args=(), kwargs=None, *, name=None):
    _orig_init(self, func, args, kwargs)
    self._task_name = name


TaskThread.__init__ = _init
