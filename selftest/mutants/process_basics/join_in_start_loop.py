# mutant: each process is joined right after it is started (the children run one after another)
# expect-fail: parallel.overlap
import multiprocessing


def run_in_processes(target, args_list):
    codes = []
    for args in args_list:
        p = multiprocessing.Process(target=target, args=tuple(args))
        p.start()
        p.join()
        codes.append(p.exitcode)
    return codes
