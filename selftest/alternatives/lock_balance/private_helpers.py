# alternative: public methods take the lock once and call private unlocked helpers


class Account:
    def __init__(self, balance=0):
        self.balance = balance
        self.lock = threading.Lock()

    def _add(self, amount):  # caller holds self.lock
        self.balance += amount

    def _take(self, amount):  # caller holds self.lock
        if amount > self.balance:
            raise InsufficientFunds(f"balance {self.balance} < {amount}")
        self.balance -= amount

    def deposit(self, amount):
        with self.lock:
            self._add(amount)

    def withdraw(self, amount):
        with self.lock:
            self._take(amount)

    def change_it(self, n):
        with self.lock:
            self._add(n)
            self._take(n)


def run_threads(account, amounts, iterations=100_000):
    threads = []
    for amount in amounts:
        t = threading.Thread(target=lambda a=amount: [account.change_it(a) for _ in range(iterations)])
        threads.append(t)
        t.start()
    for t in threads:
        t.join()
