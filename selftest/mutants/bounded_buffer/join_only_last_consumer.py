# mutant: the article's loop: after close(), only the last consumer thread is joined
# expect-fail: correct.run_producers_consumers


def run_producers_consumers(producers, consumers, capacity):
    buffer = BoundedBuffer(capacity)
    taken = []
    taken_lock = threading.Lock()

    def produce(p, items):
        for k, item in enumerate(items):
            buffer.put((p, k, item))

    def consume():
        while True:
            try:
                tagged = buffer.get()
            except Closed:
                return
            with taken_lock:
                taken.append(tagged)

    for _ in range(consumers):
        t = threading.Thread(target=consume)
        t.start()
    producer_threads = [threading.Thread(target=produce, args=(p, items)) for p, items in enumerate(producers)]
    for p in producer_threads:
        p.start()
    for p in producer_threads:
        p.join()
    buffer.close()
    t.join()  # only `t`, the last consumer: the others may still be running
    taken.sort(key=lambda tagged: tagged[:2])
    return [item for _, _, item in taken]
