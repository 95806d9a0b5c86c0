# mutant: change_it deposits then withdraws as two separately locked steps
# expect-fail: safe.atomic_change


def _change_it(self, n):
    self.deposit(n)
    self.withdraw(n)


Account.change_it = _change_it
