# alternative: explicit acquire/release paired by try/finally; consumers keep tagged lists of their own, merged at the end


def _put(self, item):
    self.cond.acquire()
    try:
        while not self.closed and len(self.items) == self.capacity:
            self.cond.wait()
        if self.closed:
            raise Closed()
        self.items.append(item)
        self.cond.notify_all()
    finally:
        self.cond.release()


def _get(self):
    self.cond.acquire()
    try:
        while not self.closed and len(self.items) == 0:
            self.cond.wait()
        if len(self.items) == 0:
            raise Closed()
        self.cond.notify_all()  # before or after popleft: nobody runs until we release
        return self.items.popleft()
    finally:
        self.cond.release()


def _close(self):
    self.cond.acquire()
    try:
        self.closed = True
        self.cond.notify_all()
    finally:
        self.cond.release()


BoundedBuffer.put = _put
BoundedBuffer.get = _get
BoundedBuffer.close = _close


def run_producers_consumers(producers, consumers, capacity):
    buf = BoundedBuffer(capacity)
    mine = [[] for _ in range(consumers)]  # one list per consumer: no lock needed

    def consume(out):
        while True:
            try:
                out.append(buf.get())
            except Closed:
                break

    workers = [threading.Thread(target=consume, args=(mine[i],)) for i in range(consumers)]
    for w in workers:
        w.start()
    makers = []
    for p, items in enumerate(producers):
        t = threading.Thread(target=lambda p=p, items=items: [buf.put((p, k, x)) for k, x in enumerate(items)])
        t.start()
        makers.append(t)
    for t in makers:
        t.join()
    buf.close()
    for w in workers:
        w.join()
    merged = sorted((tagged for out in mine for tagged in out), key=lambda t: (t[0], t[1]))
    return [x for _, _, x in merged]
