# mutant: a plain Lock instead of an RLock (record_many deadlocks calling record)
# expect-fail: safe.reentrant


_original_init = Ledger.__init__


def _init(self):
    _original_init(self)
    self.lock = threading.Lock()


Ledger.__init__ = _init
