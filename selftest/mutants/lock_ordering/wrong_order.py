# mutant: locks taken in argument order (src, then dst): opposite transfers deadlock
# expect-fail: safe.no_deadlock safe.stress


def transfer(src, dst, amount):
    if src is dst:
        with src.lock:
            if src.balance < amount:
                raise InsufficientFunds(f"account {src.id!r}: balance {src.balance} < {amount}")
        return
    with src.lock:
        with dst.lock:
            if src.balance < amount:
                raise InsufficientFunds(f"account {src.id!r}: balance {src.balance} < {amount}")
            src.balance -= amount
            dst.balance += amount
