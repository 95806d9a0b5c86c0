# alternative: a context-manager helper that locks any accounts in sorted id order, once each
import contextlib


@contextlib.contextmanager
def _locked(*accounts):
    unique = {a.id: a for a in accounts}
    ordered = [unique[k] for k in sorted(unique)]
    with contextlib.ExitStack() as stack:
        for account in ordered:
            stack.enter_context(account.lock)
        yield


def transfer(src, dst, amount):
    with _locked(src, dst):
        if src.balance < amount:
            raise InsufficientFunds(f"{src.balance} < {amount}")
        if src is not dst:
            src.balance -= amount
            dst.balance += amount
