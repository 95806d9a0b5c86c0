"""``python -m kit COMMAND``: grade, check, hint, selftest."""
import sys

COMMANDS = {
    "grade": "kit.grade",       # grade one submission with the hidden suite
    "check": "kit.learn",       # learner tests, one line per exercise
    "hint": "kit.learn",        # the next hint for an exercise
    "list": "kit.learn",        # the exercises in order
    "selftest": "kit.selftest",  # prove the hidden suite on solutions, stubs and mutants
    "bench": "kit.bench",       # the grader's own timing figures
}


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print("usage: python -m kit {" + ",".join(COMMANDS) + "} ...", file=sys.stderr)
        return 2
    import importlib
    module = importlib.import_module(COMMANDS[argv[0]])
    if module.__name__ == "kit.learn":
        return module.main(argv)
    return module.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
