"""``python -m kit COMMAND [ARGS]``: every command of the kit, from one table."""
import importlib
import sys

# name -> ("package.module:function", what it does). The function takes the arguments after
# the command's name and returns the exit status. Learner commands first: a student's
# release holds only kit/core and kit/learn, so only those resolve there.
COMMANDS = {
    "check": ("kit.learn.check:main", "learner tests, one line per exercise"),
    "hint": ("kit.learn.hint:main", "the next hint for an exercise"),
    "list": ("kit.learn.listing:main", "the exercises in order, with what is done"),
    "watch": ("kit.learn.watch:main", "the practice loop: re-run the current exercise at every save"),
    "reset": ("kit.learn.reset:main", "put an exercise's stub back (the learner's file is backed up)"),
    "grade": ("kit.engine.grade:main", "grade one submission with the hidden suite"),
    "batch": ("kit.teach.batch:main", "a whole class in one grading pass, with a gradebook"),
    "gradebook": ("kit.teach.gradebook:main", "merge the gradebooks of batch shards"),
    "gradescope": ("kit.teach.gradescope:main", "the Gradescope autograder zip"),
    "classroom50": ("kit.teach.classroom50:main", "the Classroom 50 autograder bundle (autograder.py and the kit)"),
    "release": ("kit.teach.release:main", "the student repository: stubs, tests, learner tools"),
    "selftest": ("kit.dev.selftest:main", "prove the hidden suite on solutions, stubs and mutants"),
    "bench": ("kit.dev.bench:main", "the grader's own timing figures"),
    "new": ("kit.dev.scaffold:main", "scaffold a new exercise: every file, with TODOs"),
    "dev-check": ("kit.dev.devcheck:main", "what each exercise still lacks (static, fast)"),
    "translations": ("kit.dev.translations:main", "each translation's state: current, stale or missing"),
}

# Commands that run learner code in the grader's sandboxes: Linux only (the learner tools run anywhere).
GRADING = ("grade", "selftest", "bench", "batch")


def usage() -> str:
    width = max(map(len, COMMANDS))
    return "usage: python -m kit COMMAND [ARGS]\n\n" + "\n".join(
        f"  {name:<{width}}  {what}" for name, (_, what) in COMMANDS.items())


def resolve(name: str):
    """The function behind command ``name``; ModuleNotFoundError where its package is absent."""
    module, function = COMMANDS[name][0].split(":")
    return getattr(importlib.import_module(module), function)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(usage(), file=sys.stderr)
        return 2
    name, rest = argv[0], argv[1:]
    if name in GRADING and not sys.platform.startswith("linux"):
        print(f"python -m kit {name}: grading needs Linux (process groups, signals, a child subreaper); "
              "use Linux, WSL or a container. check, hint, list, watch and reset work here.", file=sys.stderr)
        return 2
    try:
        command = resolve(name)
    except ModuleNotFoundError as exc:
        # A student's release has no teacher side: say where grading happens, no traceback.
        package = COMMANDS[name][0].split(":")[0]
        if not exc.name or not (package + ".").startswith(exc.name + "."):
            raise
        print(f"python -m kit {name}: grading is done by your teacher's grader; `nox` checks your work",
              file=sys.stderr)
        return 2
    from kit.core import meta
    try:
        return command(rest)
    except meta.KitError as exc:  # a mistyped exercise name, a missing tomli: one line, no traceback
        print(f"python -m kit {name}: {exc}", file=sys.stderr)
        return exc.status


if __name__ == "__main__":
    sys.exit(main())
