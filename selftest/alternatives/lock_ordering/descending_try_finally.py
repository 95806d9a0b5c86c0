# alternative: locks in descending id order, acquire/release with try/finally, self-transfer by id


def transfer(src, dst, amount):
    if src.id == dst.id:
        src.lock.acquire()
        try:
            if amount > src.balance:
                raise InsufficientFunds(amount)
        finally:
            src.lock.release()
        return
    if src.id > dst.id:
        first, second = src, dst
    else:
        first, second = dst, src
    first.lock.acquire()
    try:
        second.lock.acquire()
        try:
            if src.balance < amount:
                raise InsufficientFunds(amount)
            src.balance = src.balance - amount
            dst.balance = dst.balance + amount
        finally:
            second.lock.release()
    finally:
        first.lock.release()
