# mutant: SquareProcess squares the numbers in __init__ (the parent); only os.getpid() is taken in the child
# expect-fail: correct.square_process
import multiprocessing
import os


class SquareProcess(multiprocessing.Process):
    def __init__(self, numbers, queue):
        super().__init__()
        self.queue = queue
        self.squares = [n * n for n in numbers]

    def run(self):
        self.queue.put((os.getpid(), self.squares))
