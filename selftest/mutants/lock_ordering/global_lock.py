# mutant: one module-level lock for every transfer instead of the accounts' own locks
# expect-fail: safe.locks_held

_BANK_LOCK = threading.Lock()


def transfer(src, dst, amount):
    with _BANK_LOCK:
        if src.balance < amount:
            raise InsufficientFunds(f"account {src.id!r}: balance {src.balance} < {amount}")
        if src is dst:
            return
        src.balance -= amount
        dst.balance += amount
