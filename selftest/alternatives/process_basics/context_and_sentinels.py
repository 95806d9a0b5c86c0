# alternative: an explicit context object; waits on sentinels, then joins each (by index)
import multiprocessing
import multiprocessing.connection
import os


def run_in_processes(target, args_list):
    ctx = multiprocessing.get_context()
    processes = []
    for args in args_list:
        p = ctx.Process(target=target, args=args)
        p.start()
        processes.append(p)
    multiprocessing.connection.wait([p.sentinel for p in processes]) if processes else None
    codes = [None] * len(processes)
    for i, p in enumerate(processes):
        p.join()
        codes[i] = p.exitcode
    return codes


class SquareProcess(multiprocessing.Process):
    def __init__(self, numbers, queue):
        super(SquareProcess, self).__init__()
        self.numbers = tuple(numbers)
        self.queue = queue

    def run(self):
        squares = []
        for n in self.numbers:
            squares.append(n * n)
        self.queue.put((os.getpid(), squares))
