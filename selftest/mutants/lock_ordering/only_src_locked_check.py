# mutant: the funds check is made holding only src's lock; dst's lock is taken afterwards
# expect-fail: safe.locks_held


def transfer(src, dst, amount):
    if src is dst:
        with src.lock:
            if src.balance < amount:
                raise InsufficientFunds(f"account {src.id!r}: balance {src.balance} < {amount}")
        return
    first, second = sorted((src, dst), key=lambda account: account.id)
    with first.lock:
        if src.balance < amount:
            raise InsufficientFunds(f"account {src.id!r}: balance {src.balance} < {amount}")
        with second.lock:
            src.balance -= amount
            dst.balance += amount
