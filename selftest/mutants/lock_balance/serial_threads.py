# mutant: each thread is joined right after it is started (serial execution)
# expect-fail: correct.run_threads


def run_threads(account, amounts, iterations=100_000):
    def worker(amount):
        for _ in range(iterations):
            account.change_it(amount)

    for amount in amounts:
        t = threading.Thread(target=worker, args=(amount,))
        t.start()
        t.join()
