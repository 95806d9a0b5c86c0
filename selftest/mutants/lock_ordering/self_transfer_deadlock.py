# mutant: no special case for src is dst: the same non-reentrant lock is taken twice
# expect-fail: safe.self_transfer


def transfer(src, dst, amount):
    first, second = sorted((src, dst), key=lambda account: account.id)
    with first.lock:
        with second.lock:
            if src.balance < amount:
                raise InsufficientFunds(f"account {src.id!r}: balance {src.balance} < {amount}")
            src.balance -= amount
            dst.balance += amount
