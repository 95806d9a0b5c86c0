# mutant: the funds check reads src.balance before taking the locks
# expect-fail: safe.locks_held


def transfer(src, dst, amount):
    if src.balance < amount:
        raise InsufficientFunds(f"account {src.id!r}: balance {src.balance} < {amount}")
    if src is dst:
        return
    first, second = sorted((src, dst), key=lambda account: account.id)
    with first.lock:
        with second.lock:
            src.balance -= amount
            dst.balance += amount
