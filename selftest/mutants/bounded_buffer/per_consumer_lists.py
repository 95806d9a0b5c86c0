# mutant: each consumer keeps its own list and the lists are concatenated: producers' order is lost
# expect-fail: correct.run_producers_consumers


def run_producers_consumers(producers, consumers, capacity):
    buffer = BoundedBuffer(capacity)
    lists = [[] for _ in range(consumers)]

    def produce(items):
        for item in items:
            buffer.put(item)

    def consume(mine):
        while True:
            try:
                mine.append(buffer.get())
            except Closed:
                return

    consumer_threads = [threading.Thread(target=consume, args=(lists[i],)) for i in range(consumers)]
    producer_threads = [threading.Thread(target=produce, args=(items,)) for items in producers]
    for t in consumer_threads + producer_threads:
        t.start()
    for t in producer_threads:
        t.join()
    buffer.close()
    for t in consumer_threads:
        t.join()
    return [item for mine in lists for item in mine]
