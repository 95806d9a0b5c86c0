# mutant: ping_pong never sends None (relies on EOF) and keeps its copy of the child's end: hangs under fork
# expect-fail: correct.ping_pong
import multiprocessing


def ping_pong(messages):
    parent_conn, child_conn = multiprocessing.Pipe()
    process = multiprocessing.Process(target=echo_worker, args=(child_conn,))
    process.start()
    echoes = []
    for message in messages:
        parent_conn.send(message)
        echoes.append(parent_conn.recv())
    parent_conn.close()
    process.join()
    return echoes
