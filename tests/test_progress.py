"""Progress bars (mitprof.progress) on a real pseudo-terminal, and silence off one."""

import io
import os
import pty
import sys

from mitprof.progress import Progress


def test_a_bar_on_a_real_terminal_and_none_in_a_pipe(monkeypatch):
    master, slave = pty.openpty()  # a bare pty: it reports 0 x 0, as some terminals do
    with os.fdopen(slave, "w", closefd=True) as tty:
        monkeypatch.setattr(sys, "stderr", tty)  # the default stream, sized by tqdm itself
        bar = Progress("profile", total=2, unit="passes")
        bar.describe("zne: 4 trials")
        bar.update()
        bar.update(failed=True)
        bar.close()
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the other end is closed
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    text = out.decode()
    assert bar.enabled and "zne: 4 trials [" in text and "2/2 passes, 1 failed" in text, text
    read, write = os.pipe()
    with os.fdopen(write, "w") as pipe:
        quiet = Progress("profile", total=2, stream=pipe)
        quiet.update()
        quiet.close()
    with os.fdopen(read) as got:
        assert not quiet.enabled and got.read() == ""
    assert not Progress("t", total=1, stream=io.StringIO()).enabled
