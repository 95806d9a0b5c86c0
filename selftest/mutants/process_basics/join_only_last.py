# mutant: the seed's loop `for i in range(3): p.join()` joins only the last process
# expect-fail: correct.exit_codes safe.all_joined
import multiprocessing


def run_in_processes(target, args_list):
    processes = []
    for args in args_list:
        p = multiprocessing.Process(target=target, args=tuple(args))
        p.start()
        processes.append(p)
    for i in range(len(args_list)):
        p.join()
    return [q.exitcode for q in processes]
