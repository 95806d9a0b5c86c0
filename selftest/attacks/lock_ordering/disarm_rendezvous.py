# attack: locks the two accounts in argument order (the deadlock the grader forces), after emptying the scene's lock hooks, reached through the account's lock, so that the forced rendezvous never happens
# expect-fail: safe.no_deadlock safe.stress safe.self_transfer


def transfer(src, dst, amount):
    scene = getattr(src.lock, "scene", None)
    if scene is not None:
        for name in ("after_acquire", "before_acquire"):
            getattr(scene, name).clear()
    if src is dst:
        return
    with src.lock:
        with dst.lock:
            if src.balance < amount:
                raise InsufficientFunds(f"cannot move {amount}")
            src.balance -= amount
            dst.balance += amount
