"""Run a full-screen terminal program (mutt) on a pseudo-terminal, without a person at the keyboard.

``run_in_terminal`` starts the program on a fresh pty of a fixed size, collects
everything it draws, answers prompts it is told about and sends a key when the
program sits idle.  Every part is bounded: the number of keys sent, the idle
time before a nudge and the total run time (the program's process group is
killed at the deadline).  ``TerminalRun.text`` is the output without the
terminal's control sequences, which is what a test asserts on.
"""
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time

# CSI sequences, charset switches, keypad modes, save/restore cursor, bell and shift in/out.
_CONTROL = re.compile(r'\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]|[\x07\x0e\x0f]')


def strip_control(raw):
    """Printable text of terminal output; carriage returns become line breaks."""
    text = _CONTROL.sub(' ', raw)
    return text.replace('\r\n', '\n').replace('\r', '\n')


class TerminalRun(object):
    """What a program did on the terminal."""

    def __init__(self, argv, rc, raw, timed_out, keys_sent):
        self.argv = argv
        self.rc = rc
        self.raw = raw
        self.timed_out = timed_out
        self.keys_sent = keys_sent

    @property
    def text(self):
        return strip_control(self.raw)

    def __repr__(self):
        return 'TerminalRun(rc=%r, timed_out=%r, keys_sent=%r, text=%r)' % (self.rc, self.timed_out, self.keys_sent, self.text[-1500:])


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass


def run_in_terminal(argv, env=None, cwd=None, timeout=30.0, rows=40, cols=132, answers=(), idle_key=None, idle_after=5.0,
                    max_keys=5):
    """Run ``argv`` on a new pty and return a TerminalRun.

    ``answers``: ``(text, keys)`` pairs; when ``text`` shows up in output not yet
    answered, ``keys`` are typed.  ``idle_key``: typed when the program has drawn
    nothing for ``idle_after`` seconds (for example ``'q'`` to leave a screen
    that waits for input).  At most ``max_keys`` keys or answers are sent in all,
    and the program is killed after ``timeout`` seconds.
    """
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    try:
        proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, close_fds=True,
                                start_new_session=True)
    except BaseException:
        os.close(master)
        os.close(slave)
        raise
    os.close(slave)
    chunks = []
    answered = 0  # offset in the decoded output up to which prompts were answered
    keys_sent = 0
    timed_out = False
    start = time.monotonic()
    deadline = start + timeout
    last_output = start
    try:
        while True:
            now = time.monotonic()
            if now >= deadline:
                timed_out = True
                break
            ready = select.select([master], [], [], min(0.2, deadline - now))[0]
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: every holder of the pty's other side is gone
                    break
                if not data:
                    break
                chunks.append(data)
                last_output = time.monotonic()
                if answers and keys_sent < max_keys:
                    text = strip_control(b''.join(chunks).decode('utf-8', 'replace'))
                    for prompt, keys in answers:
                        found = text.find(prompt, answered)
                        if found >= 0:
                            os.write(master, keys.encode('utf-8'))
                            keys_sent += 1
                            answered = found + len(prompt)
                            break
                continue
            if proc.poll() is not None:
                # exited; drain what is left without waiting for more
                if not select.select([master], [], [], 0.2)[0]:
                    break
                continue
            if idle_key is not None and keys_sent < max_keys and time.monotonic() - last_output >= idle_after:
                os.write(master, idle_key.encode('utf-8'))
                keys_sent += 1
                last_output = time.monotonic()
    finally:
        if proc.poll() is None:
            try:
                proc.wait(max(0.5, min(5.0, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill_group(proc)
                proc.wait(10)
        os.close(master)
    return TerminalRun(argv, proc.returncode, b''.join(chunks).decode('utf-8', 'replace'), timed_out, keys_sent)
