# mutant: withdraw subtracts first and checks for a negative balance afterwards: a refused withdrawal still lowers the balance
# expect-fail: correct.deposit_withdraw


def _withdraw(self, amount):
    with self.lock:
        self.balance = self.balance - amount
        if self.balance < 0:
            raise InsufficientFunds(f"cannot withdraw {amount}: balance is {self.balance + amount}")


Account.withdraw = _withdraw
