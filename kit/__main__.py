"""``python -m kit COMMAND``: grade, check, hint, selftest."""
import sys

COMMANDS = {
    "grade": "kit.judge.grade",        # grade one submission with the hidden suite
    "check": "kit.learn.check",        # learner tests, one line per exercise
    "hint": "kit.learn.hint",          # the next hint for an exercise
    "list": "kit.learn.listing",       # the exercises in order, with what is done
    "watch": "kit.learn.watch",        # the practice loop: re-run the current exercise at every save
    "reset": "kit.learn.reset",        # put an exercise's stub back (the learner's file is backed up)
    "selftest": "kit.judge.selftest",  # prove the hidden suite on solutions, stubs and mutants
    "bench": "kit.judge.bench",        # the grader's own timing figures
    "new": "kit.judge.dev",            # scaffold a new exercise: every file, with TODOs
    "dev-check": "kit.judge.dev",      # what each exercise still lacks (static, fast)
    "release": "kit.judge.release",    # the student repository: stubs, tests, learner tools
    "batch": "kit.judge.batch",        # a whole class in one grading pass, with a gradebook
    "gradebook": "kit.judge.gradebook",  # merge the gradebooks of batch shards
    "gradescope": "kit.judge.gradescope",  # the Gradescope autograder zip
    "classroom": "kit.judge.classroom",  # the grading step of the GitHub Classroom workflow
}

# Commands that run learner code in the grader's sandboxes: Linux only (the learner tools run anywhere).
GRADING = ("grade", "selftest", "bench", "batch", "classroom")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print("usage: python -m kit {" + ",".join(COMMANDS) + "} ...", file=sys.stderr)
        return 2
    if argv[0] in GRADING and not sys.platform.startswith("linux"):
        print(f"python -m kit {argv[0]}: grading needs Linux (process groups, signals, a child subreaper); "
              "use Linux, WSL or a container. check, hint, list, watch and reset work here.", file=sys.stderr)
        return 2
    import importlib
    try:
        module = importlib.import_module(COMMANDS[argv[0]])
    except ModuleNotFoundError as exc:
        # A student's release has no judge side: say where grading happens, no traceback.
        if not exc.name or not (COMMANDS[argv[0]] + ".").startswith(exc.name + "."):
            raise
        print(f"python -m kit {argv[0]}: grading is done by your teacher's grader; `nox` checks your work",
              file=sys.stderr)
        return 2
    from . import meta
    try:
        return module.main(argv[1:])
    except meta.KitError as exc:  # a mistyped exercise name, a missing tomli: one line, no traceback
        print(f"python -m kit {argv[0]}: {exc}", file=sys.stderr)
        return exc.status


if __name__ == "__main__":
    sys.exit(main())
