# mutant: one lock per thread (threading.local), so threads never exclude each other
# expect-fail: safe.lock_held safe.no_lost_update safe.atomic_change


class Account:
    def __init__(self, balance=0):
        self.balance = balance
        self.lock = threading.Lock()
        self._local = threading.local()

    def _my_lock(self):
        if not hasattr(self._local, "lock"):
            self._local.lock = threading.Lock()
        return self._local.lock

    def deposit(self, amount):
        with self._my_lock():
            self.balance = self.balance + amount

    def withdraw(self, amount):
        with self._my_lock():
            if amount > self.balance:
                raise InsufficientFunds(f"cannot withdraw {amount}: balance is {self.balance}")
            self.balance = self.balance - amount

    def change_it(self, n):
        with self._my_lock():
            self.balance = self.balance + n
            self.balance = self.balance - n
