# attack: no lock at all, and the grader's lockset patched (found through sys.modules) so that no access is recorded
# expect-fail: correct.deposit_withdraw correct.run_threads safe.lock_held safe.no_lost_update safe.atomic_change safe.released_on_error
import sys as _sys

for _name, _mod in list(_sys.__dict__["mod" + "ules"].items()):
    if _name.endswith("lockset") and hasattr(_mod, "Lockset"):
        setattr(_mod.Lockset, "_access", lambda self, obj, attr, kind: None)


class Account:
    def __init__(self, balance=0):
        self.balance = balance
        self.lock = __import__("threading").Lock()

    def deposit(self, amount):
        self.balance = self.balance + amount

    def withdraw(self, amount):
        if amount > self.balance:
            raise InsufficientFunds(f"cannot withdraw {amount} from {self.balance}")
        self.balance = self.balance - amount

    def change_it(self, n):
        self.deposit(n)
        self.withdraw(n)
