# mutant: SquareProcess forgets to call Process.__init__ (start() then fails)
# expect-fail: correct.square_process correct.spawn
import multiprocessing
import os


class SquareProcess(multiprocessing.Process):
    def __init__(self, numbers, queue):
        self.numbers = list(numbers)
        self.queue = queue

    def run(self):
        self.queue.put((os.getpid(), [n * n for n in self.numbers]))
