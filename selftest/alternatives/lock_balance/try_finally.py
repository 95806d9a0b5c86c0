# alternative: acquire/release paired by try/finally instead of `with`


def _deposit(self, amount):
    self.lock.acquire()
    try:
        self.balance += amount
    finally:
        self.lock.release()


def _withdraw(self, amount):
    self.lock.acquire()
    try:
        if self.balance < amount:
            raise InsufficientFunds(amount)
        self.balance -= amount
    finally:
        self.lock.release()


def _change_it(self, n):
    self.lock.acquire()
    try:
        self.balance += n
        self.balance -= n
    finally:
        self.lock.release()


Account.deposit = _deposit
Account.withdraw = _withdraw
Account.change_it = _change_it
