# mutant: each child runs a closure around target: fine under fork, unpicklable under spawn
# expect-fail: correct.spawn
import multiprocessing


def run_in_processes(target, args_list):
    processes = []
    for args in args_list:
        def job(args=args):
            target(*args)
        p = multiprocessing.Process(target=job)
        p.start()
        processes.append(p)
    for p in processes:
        p.join()
    return [p.exitcode for p in processes]
