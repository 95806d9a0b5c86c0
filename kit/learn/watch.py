"""``python -m kit watch [--impl DIR]``: the practice loop.

Works on the current exercise (the first not done, kept in ``.kit-progress.json``):
runs its learner tests, shows the result and the first failure's message, and runs them
again whenever a ``.py`` file in the exercises folder is saved (it polls modification
times: standard library only, every system). When the exercise passes it says so, points
at ``solutions/NAME.py`` where that folder exists, and moves on to the next by itself.

Keys: ``h`` next hint, ``n`` next exercise, ``l`` list, ``r`` re-run, ``q`` quit. They are
read one at a time without Enter where the terminal allows it (termios on Linux and
macOS, msvcrt on Windows), as whole lines otherwise (type the letter, then Enter).
A plain terminal is enough: no curses, no colours; the screen is redrawn with the ANSI
clear sequence only when the output is a terminal.
"""
import argparse
import os
import queue
import shutil
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional

from kit.core import meta
from kit.core.i18n import _, instructions_path, title
from . import common, hint, listing
from .run import Result, first_lines, run_tests

MESSAGE_LINES = 12   # lines of the first failure's message shown


# -- keys ----------------------------------------------------------------------------------
class Keys:
    """Single keys without Enter where the terminal allows it, whole lines otherwise."""

    def __init__(self, stream=None):
        self.stream = stream if stream is not None else sys.stdin
        self.mode = "none"
        self._saved = None
        self._lines: "queue.Queue[Optional[str]]" = queue.Queue()
        self.closed = False
        try:
            tty = bool(self.stream) and self.stream.isatty()
        except (AttributeError, ValueError):
            tty = False
        if tty and os.name == "nt":
            try:
                import msvcrt  # noqa: F401
                self.mode = "msvcrt"
            except ImportError:
                pass
        elif tty:
            try:
                import termios
                import tty as ttymod
                fd = self.stream.fileno()
                self._saved = termios.tcgetattr(fd)
                ttymod.setcbreak(fd)  # keys one at a time, Ctrl-C still interrupts
                self.mode = "tty"
            except (ImportError, OSError, ValueError, AttributeError):
                self._saved = None
        if self.mode == "none" and self.stream:
            self.mode = "lines"
            threading.Thread(target=self._read_lines, daemon=True).start()

    def _read_lines(self):
        try:
            for text in self.stream:
                self._lines.put(text)
        except (OSError, ValueError):
            pass
        self._lines.put(None)

    def get(self, timeout: float) -> Optional[str]:
        """The keys pressed within ``timeout`` seconds (lower case letters), or None."""
        if self.mode == "tty":
            import select
            fd = self.stream.fileno()
            ready, _w, _x = select.select([fd], [], [], timeout)
            if not ready:
                return None
            data = os.read(fd, 32)
            if not data:
                self.closed = True
                return None
            return "".join(ch for ch in data.decode(errors="replace").lower() if ch.isalpha())
        if self.mode == "msvcrt":
            import msvcrt
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                if msvcrt.kbhit():
                    key = msvcrt.getwch()
                    if key in ("\x00", "\xe0"):  # arrows and function keys come in two parts
                        msvcrt.getwch()
                        continue
                    if key == "\x03":
                        raise KeyboardInterrupt
                    return key.lower()
                time.sleep(0.03)
            return None
        if self.mode == "lines" and not self.closed:
            try:
                text = self._lines.get(timeout=timeout)
            except queue.Empty:
                return None
            if text is None:
                self.closed = True
                return None
            return text.strip()[:1].lower()  # "hint" is h, not h, i, n, t
        time.sleep(timeout)
        return None

    def close(self):
        if self._saved is not None:
            import termios
            try:
                termios.tcsetattr(self.stream.fileno(), termios.TCSADRAIN, self._saved)
            except (OSError, ValueError):
                pass
            self._saved = None


# -- the loop ------------------------------------------------------------------------------
def wrap(line: str, width: int) -> str:
    """A long line folded to the terminal's width, continued under its own indentation."""
    if len(line) <= width:
        return line
    indent = " " * (len(line) - len(line.lstrip()) + 2)
    return textwrap.fill(line, width, subsequent_indent=indent, break_on_hyphens=False)


def snapshot(folder: Path) -> Dict[str, tuple]:
    """Modification time and size of every ``.py`` file in ``folder`` (not its sub-folders)."""
    out = {}
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return out
    for entry in entries:
        if entry.name.endswith(".py"):
            try:
                st = entry.stat()
            except OSError:
                continue
            out[entry.name] = (st.st_mtime_ns, st.st_size)
    return out


class Watch:
    def __init__(self, impl: Path, limit: float = 60.0, out=None, interval: float = 0.3):
        self.impl = impl
        self.limit = limit
        self.out = out if out is not None else sys.stdout
        self.interval = interval
        self.exercises = meta.load()
        self.current: Optional[meta.Exercise] = self._start_exercise()
        self.result: Optional[Result] = None
        self.notice: List[str] = []
        self.extra: List[str] = []          # what a key added below the result (list, hints)
        self.hints_shown = 0
        self._run: Optional[threading.Thread] = None
        self._cancel: Optional[threading.Event] = None
        self._box: List[Result] = []
        try:
            tty = self.out.isatty()
        except (AttributeError, ValueError):
            tty = False
        self.clear = tty and os.environ.get("TERM", "") != "dumb"
        if self.clear and os.name == "nt":
            os.system("")  # turns on ANSI sequences in the Windows console

    def _start_exercise(self) -> Optional[meta.Exercise]:
        entry = common.progress(self.impl)
        done = set(common.done_names(self.impl))
        current = entry.get("current")
        if current in meta.names() and current not in done:
            return meta.get(current)
        return common.first_not_done(self.impl)

    # -- runs --
    def start_run(self) -> None:
        self.stop_run()
        if self.current is None:
            return
        self.result = None
        self._box = box = []
        self._cancel = cancel = threading.Event()
        name = self.current.name

        def work():
            box.append(run_tests(name, self.impl, self.limit, cancel=cancel))

        self._run = threading.Thread(target=work, daemon=True)
        self._run.start()
        self.draw()

    def stop_run(self) -> None:
        if self._run is not None:
            self._cancel.set()
            self._run.join()
            self._run = None

    def poll_run(self) -> None:
        """If the run has finished: record it, show it, move on when it passed."""
        if self._run is None or self._run.is_alive():
            return
        self._run = None
        if not self._box or self._box[0].cancelled:
            return
        res = self._box[0]
        common.update_progress(self.impl, [res])
        if res.ok and self.current is not None and res.name == self.current.name:
            self.passed(self.current)
            return
        self.result = res
        self.draw()

    def passed(self, ex: meta.Exercise) -> None:
        self.notice = ["✓ " + _("{name} passes all its learner tests.", name=ex.name)]
        sol = common.solution_of(ex)
        if sol is not None:
            self.notice.append("  " + _("Compare with {path}: the reference solution, and why it is written that way.",
                                        path=common.shown(sol)))
        self.move(common.first_not_done(self.impl))

    def move(self, ex: Optional[meta.Exercise]) -> None:
        self.current = ex
        self.extra, self.hints_shown, self.result = [], 0, None
        common.update_progress(self.impl, current=ex.name if ex else None)
        if ex is None:
            self.draw()
        else:
            self.start_run()

    # -- keys --
    def key(self, k: str) -> bool:
        """Handle one key; False means quit."""
        if k == "q":
            return False
        if k == "h" and self.current is not None:
            before, self.hints_shown = self.hints_shown, hint.reveal(self.current)
            self.extra = [] if self.hints_shown > before else [_(
                "That was the last hint (nox -s hint -- {name} --reset starts them over).", name=self.current.name)]
            self.draw()
        elif k == "n":
            names = meta.names()
            at = names.index(self.current.name) + 1 if self.current else 0
            self.notice = []
            self.move(self.exercises[at % len(self.exercises)])
        elif k == "l":
            self.extra = listing.lines(self.impl, self.current.name if self.current else None)
            self.draw()
        elif k == "r":
            self.notice, self.extra = [], []
            if self.current is not None:
                self.start_run()
        return True

    # -- the screen --
    def screen(self) -> List[str]:
        done = len(common.done_names(self.impl))
        total = len(self.exercises)
        lines = [_("Concurrency kit · watch") + "   " + common.bar(done, total) + " " + _("done"), ""]
        if self.notice:
            lines += self.notice + [""]
        ex = self.current
        if ex is None:
            lines += ["✓ " + _("Every exercise passes its learner tests. Now: nox -s grade"), ""]
        else:
            lines.append(_("Exercise {i}/{n}: {name}: {title}", i=common.number(ex), n=total,
                           name=ex.name, title=title(ex)))
            path, doc = self.impl / f"{ex.name}.py", instructions_path(ex.name, self.impl)
            if doc == path:
                lines.append(_("Edit {path} (its docstring says what to do) and save: the tests run again.",
                               path=common.shown(path)))
            else:
                lines.append(_("Edit {path} and save: the tests run again. Instructions: {doc}",
                               path=common.shown(path), doc=common.shown(doc)))
            lines.append("")
            lines += self.result_lines(ex)
            if self.hints_shown:
                lines.append("")
                lines += hint.hint_lines(ex, self.hints_shown)
        if self.extra:
            lines += [""] + self.extra
        lines += ["", _("Keys: h hint · n next exercise · l list · r re-run · q quit")]
        return lines

    def result_lines(self, ex: meta.Exercise) -> List[str]:
        res = self.result
        if res is None:
            return ["… " + _("running the learner tests of {name} …", name=ex.name)]
        state = res.state
        if state == "not started":
            return ["· " + _("Not started: every test stops at a TODO (NotImplementedError). Fill in the TODOs.")] + \
                ["    " + ln for ln in first_lines(res.failed[0][1], 2)]
        head = ("✗ " if state != "done" else "✓ ") + common.verdict(ex, res)
        if state == "failing":
            test, message = res.failed[0]
            head = "✗ " + _("{bad} of {n} tests fail. The first failure, {test}:", bad=len(res.failed),
                            n=res.tests, test=test)
            return [head] + ["    " + ln for ln in first_lines(message, MESSAGE_LINES)]
        if state == "no tests":
            tail = [ln for ln in res.output.strip().splitlines() if ln.strip()][-MESSAGE_LINES:]
            return [head] + ["    " + ln for ln in tail]
        return [head]

    def draw(self) -> None:
        width = max(40, shutil.get_terminal_size((100, 40)).columns - 1)
        text = "\n".join(wrap(ln, width) for ln in self.screen())
        if self.clear:
            self.out.write("\033[H\033[2J" + text + "\n")
        else:
            self.out.write("\n" + "-" * 60 + "\n" + text + "\n")
        self.out.flush()

    def loop(self, keys: Keys) -> int:
        seen = snapshot(self.impl)
        if self.current is None:
            self.draw()
        else:
            self.start_run()
        if keys.mode == "lines":
            self.out.write(_("(no single keys here: type a letter, then Enter)") + "\n")
            self.out.flush()
        try:
            while True:
                pressed = keys.get(self.interval) or ""
                if not all(self.key(k) for k in pressed):
                    break
                now = snapshot(self.impl)
                if now != seen:
                    seen = now
                    if self.current is not None:
                        self.notice, self.extra = [], []
                        self.start_run()
                self.poll_run()
        except KeyboardInterrupt:
            pass
        finally:
            self.stop_run()
        self.out.write(_("Bye. Progress is kept: nox -s watch goes on where you left off.") + "\n")
        self.out.flush()
        return 0


def main(argv) -> int:
    p = argparse.ArgumentParser(prog="nox -s watch --", description=_(
        "Work through the exercises: the current one's tests run again at every save."))
    p.add_argument("--impl", default=str(common.EXERCISES),
                   help=_("folder holding the exercise modules (default: exercises/)"))
    p.add_argument("--limit", type=float, default=60.0,
                   help=_("seconds one exercise's tests may take before they are stopped"))
    p.add_argument("--start", metavar="EXERCISE", help=_("start on this exercise (name or number)"))
    args = p.parse_args(argv)
    impl = Path(args.impl).resolve()
    try:
        meta.load()
        start = common.resolve(args.start) if args.start else None
        if not impl.is_dir():
            raise meta.KitError(_("{path}: no such folder", path=args.impl))
    except meta.KitError as err:
        return common.fail(err)
    w = Watch(impl, limit=args.limit)
    if start is not None:
        w.current = start
        common.update_progress(impl, current=start.name)
    keys = Keys()
    try:
        return w.loop(keys)
    finally:
        keys.close()
