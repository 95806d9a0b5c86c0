"""Issue 11's practice loop: ``python -m kit watch`` driven as a learner drives it, in a real
terminal (tmux: send-keys, capture-pane), on a copy of the exercises."""
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kit.core import meta
from kit.learn import common

pytestmark = pytest.mark.once  # the machine's isolation and tools, not the interpreter: one Python

ROOT = Path(__file__).resolve().parents[1]
NAMES = meta.names()
TMUX = shutil.which("tmux")


def copy_of_exercises(tmp_path) -> Path:
    impl = tmp_path / "exercises"
    shutil.copytree(ROOT / "exercises", impl, ignore=shutil.ignore_patterns(".backup", "__pycache__"))
    return impl


class Pane:
    def __init__(self, tmp_path, command: str):
        self.socket = f"kit-test-{os.getpid()}-{tmp_path.name}"
        self.tmux("new-session", "-d", "-x", "120", "-y", "40", "-s", "watch", command)

    def tmux(self, *args) -> str:
        return subprocess.run([TMUX, "-L", self.socket, *args], capture_output=True, text=True,
                              timeout=20, check=True).stdout

    def text(self) -> str:
        return self.tmux("capture-pane", "-p", "-J", "-t", "watch")

    def wait_for(self, *wanted, timeout=25.0) -> str:
        end = time.monotonic() + timeout
        while True:
            screen = self.text()
            if all(w in screen for w in wanted):
                return screen
            if time.monotonic() > end:
                pytest.fail(f"after {timeout:.0f} s the screen lacks {[w for w in wanted if w not in screen]}:\n{screen}")
            time.sleep(0.3)

    def keys(self, *keys) -> None:
        self.tmux("send-keys", "-t", "watch", *keys)

    def close(self) -> None:
        subprocess.run([TMUX, "-L", self.socket, "kill-server"], capture_output=True, timeout=20)


@pytest.mark.timeout(90)
@pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)")
def test_watch_in_a_terminal_moves_on_by_itself_gives_hints_and_quits(tmp_path):
    impl = copy_of_exercises(tmp_path)
    state = tmp_path / "state"
    state.mkdir()
    env = {"KIT_STATE_DIR": state, "KIT_LANG": "en", "PYTHONPATH": ROOT, "TERM": "xterm"}
    command = (f"cd {shlex.quote(str(ROOT))} && env "
               + " ".join(f"{k}={shlex.quote(str(v))}" for k, v in env.items())
               + f" {shlex.quote(sys.executable)} -m kit watch --impl {shlex.quote(str(impl))}"
               + "; echo WATCH-EXITED $?; sleep 60")
    started = time.monotonic()
    pane = Pane(tmp_path, command)
    try:
        first, second = meta.get(NAMES[0]), meta.get(NAMES[1])
        total = len(NAMES)
        # Exercise 1, not started: the stub's own words, the keys, the progress bar.
        screen = pane.wait_for(f"Exercise 1/{total}: {first.name}", "Not started", "NotImplementedError",
                               f"[{'-' * total}] 0/{total}", "h hint")
        # The learner solves it (here: the reference solution, saved into the folder) ...
        shutil.copy(ROOT / "solutions" / f"{first.name}.py", impl / f"{first.name}.py")
        # ... and watch re-runs the tests, says so, and moves on to exercise 2 by itself.
        screen = pane.wait_for(f"✓ {first.name} passes", f"Compare with solutions/{first.name}.py",
                               f"Exercise 2/{total}: {second.name}", f"[#{'-' * (total - 1)}] 1/{total}",
                               "Not started", timeout=40)
        progress = json.loads((state / common.PROGRESS_FILE).read_text())
        assert progress["folders"][str(impl)]["done"] == [first.name]
        # h: the next hint of the current exercise, no Enter needed.
        pane.keys("h")
        screen = pane.wait_for(f"hint 1/{len(second.hints)}")
        assert second.hints[0][:40] in screen.replace("\n", " "), screen
        pane.keys("q")
        pane.wait_for("WATCH-EXITED 0")
    finally:
        pane.close()
    assert time.monotonic() - started < 60


@pytest.mark.timeout(90)
def test_watch_without_a_terminal_reads_lines(tmp_path):
    """Piped input (no terminal): keys come as lines; q quits; the screen is plain text."""
    impl = copy_of_exercises(tmp_path)
    p = subprocess.Popen([sys.executable, "-m", "kit", "watch", "--impl", impl], cwd=ROOT, text=True,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         env=dict(os.environ, PYTHONPATH=str(ROOT), KIT_STATE_DIR=str(tmp_path), KIT_LANG="en"))
    time.sleep(1)
    p.stdin.write("l\nh\n")
    p.stdin.flush()
    time.sleep(8)
    p.stdin.write("q\n")
    p.stdin.flush()
    out, _ = p.communicate(timeout=60)
    assert p.returncode == 0, out
    assert "type a letter, then Enter" in out
    assert f"Exercise 1/{len(NAMES)}: {NAMES[0]}" in out and "\033[" not in out
    assert f" →  1. {NAMES[0]}" in out and "hint 1/" in out and "Bye." in out
