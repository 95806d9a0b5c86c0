# mutant: consumers write items down in the order they got back from get(), untagged: a consumer
# interrupted between get() and append() writes its item down after a later one
# expect-fail: correct.run_producers_consumers


def run_producers_consumers(producers, consumers, capacity):
    buffer = BoundedBuffer(capacity)
    taken = []
    taken_lock = threading.Lock()

    def produce(items):
        for item in items:
            buffer.put(item)

    def consume():
        while True:
            try:
                item = buffer.get()
            except Closed:
                return
            with taken_lock:
                taken.append(item)

    consumer_threads = [threading.Thread(target=consume) for _ in range(consumers)]
    producer_threads = [threading.Thread(target=produce, args=(items,)) for items in producers]
    for t in consumer_threads + producer_threads:
        t.start()
    for t in producer_threads:
        t.join()
    buffer.close()
    for t in consumer_threads:
        t.join()
    return taken
