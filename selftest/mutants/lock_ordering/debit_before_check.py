# mutant: transfer debits src first and checks for an overdraft afterwards: a refused transfer leaves src debited
# expect-fail: correct.moves_money


def transfer(src, dst, amount):
    if src is dst:
        with src.lock:
            if src.balance < amount:
                raise InsufficientFunds(f"account {src.id!r}: balance {src.balance} < {amount}")
        return
    first, second = sorted((src, dst), key=lambda account: account.id)
    with first.lock:
        with second.lock:
            src.balance -= amount
            if src.balance < 0:
                raise InsufficientFunds(f"account {src.id!r}: balance {src.balance + amount} < {amount}")
            dst.balance += amount
