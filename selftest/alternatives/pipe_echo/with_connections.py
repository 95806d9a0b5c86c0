# alternative: `with` on Connection objects, iter(conn.recv, None) loop, explicit duplex=True
import multiprocessing


def send_one(conn, obj):
    with conn:
        conn.send(obj)


def roundtrip(obj):
    receiver, sender = multiprocessing.Pipe()
    child = multiprocessing.Process(target=send_one, args=(sender, obj))
    child.start()
    sender.close()
    with receiver:
        value = receiver.recv()
    child.join()
    return value


def echo_worker(conn):
    with conn:
        try:
            for message in iter(conn.recv, None):
                conn.send(message)
        except EOFError:
            pass


def ping_pong(messages):
    mine, theirs = multiprocessing.Pipe(duplex=True)
    child = multiprocessing.Process(target=echo_worker, args=(theirs,))
    child.start()
    theirs.close()
    with mine:
        echoes = []
        for message in messages:
            mine.send(message)
            echoes.append(mine.recv())
        mine.send(None)
    child.join()
    return echoes
