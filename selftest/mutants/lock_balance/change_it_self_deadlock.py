# mutant: change_it holds self.lock and calls self.deposit, which takes the Lock again
# expect-fail: correct.run_threads safe.lock_held safe.atomic_change


def _change_it(self, n):
    with self.lock:
        self.deposit(n)
        self.withdraw(n)


Account.change_it = _change_it
