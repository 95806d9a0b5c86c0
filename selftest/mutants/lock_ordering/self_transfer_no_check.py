# mutant: transfer(a, a, x) returns at once, without the funds check
# expect-fail: safe.self_transfer


def transfer(src, dst, amount):
    if src is dst:
        return
    first, second = sorted((src, dst), key=lambda account: account.id)
    with first.lock:
        with second.lock:
            if src.balance < amount:
                raise InsufficientFunds(f"account {src.id!r}: balance {src.balance} < {amount}")
            src.balance -= amount
            dst.balance += amount
