# alternative: list comprehensions for the Process list, Process.__init__(self) called explicitly
import multiprocessing
import os


def run_in_processes(target, args_list):
    processes = [multiprocessing.Process(target=target, args=args) for args in args_list]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    return [p.exitcode for p in processes]


class SquareProcess(multiprocessing.Process):
    def __init__(self, numbers, queue):
        multiprocessing.Process.__init__(self)
        self.numbers = numbers
        self.queue = queue

    def run(self):
        self.queue.put((os.getpid(), [n ** 2 for n in self.numbers]))
