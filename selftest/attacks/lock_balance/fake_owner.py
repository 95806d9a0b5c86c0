# attack: no real locking; before each update the lock's own bookkeeping is set to say this thread holds it (owner, count, epoch), so the lockset would record the accesses as guarded
# expect-fail: correct.run_threads safe.lock_held safe.no_lost_update safe.atomic_change safe.released_on_error
import threading as _threading


def _pretend(self):
    lock = self.lock
    for name, value in (("owner", _threading.get_ident()), ("count", 1), ("epoch", 7)):
        try:
            setattr(lock, name, value)
        except Exception:
            pass


def _deposit(self, amount):
    _pretend(self)
    self.balance = self.balance + amount


def _withdraw(self, amount):
    _pretend(self)
    if amount > self.balance:
        raise InsufficientFunds(f"cannot withdraw {amount}")
    self.balance = self.balance - amount


def _change_it(self, n):
    _deposit(self, n)
    _withdraw(self, n)


Account.deposit = _deposit
Account.withdraw = _withdraw
Account.change_it = _change_it
