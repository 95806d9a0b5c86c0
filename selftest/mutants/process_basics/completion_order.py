# mutant: exit codes collected in the order the children finish, not in args_list order
# expect-fail: correct.exit_codes
import multiprocessing
import multiprocessing.connection


def run_in_processes(target, args_list):
    pending = []
    for args in args_list:
        p = multiprocessing.Process(target=target, args=tuple(args))
        p.start()
        pending.append(p)
    codes = []
    while pending:
        ready = multiprocessing.connection.wait([p.sentinel for p in pending])
        for p in list(pending):
            if p.sentinel in ready:
                p.join()
                codes.append(p.exitcode)
                pending.remove(p)
    return codes
