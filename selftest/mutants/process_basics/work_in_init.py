# mutant: SquareProcess computes its answer in __init__, i.e. in the parent; run() only sends it
# expect-fail: correct.square_process
import multiprocessing
import os


class SquareProcess(multiprocessing.Process):
    def __init__(self, numbers, queue):
        super().__init__()
        self.queue = queue
        self.answer = (os.getpid(), [n * n for n in numbers])

    def run(self):
        self.queue.put(self.answer)
