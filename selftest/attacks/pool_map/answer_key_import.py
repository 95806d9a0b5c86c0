# attack: the whole module is the answer key, imported from solutions/
# expect-fail: correct.results correct.first_error safe.cleanup parallel.processes parallel.speedup correct.spawn
# whole-module
from solutions.pool_map import *  # noqa: F401,F403
