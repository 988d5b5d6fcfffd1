"""Keep TensorFlow's native start-up log out of the output: only our progress bar and results are shown.

TensorFlow 2.21 logs through Abseil from C++. While its shared libraries load
(during ``import tensorflow``, so once per process: the driver and every worker)
it writes, before ``absl::InitializeLog()`` has run and therefore ignoring
``TF_CPP_MIN_LOG_LEVEL`` (measured: the line stays at 3, as it does with
``TF_CPP_MAX_VLOG_LEVEL``, ``GLOG_minloglevel`` or ``TF_CPP_VMODULE``)::

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 00:00:1795983037.160152   10224 port.cc:153] oneDNN custom operations are on. ...
    I0000 ... cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use available CPU ...
    To enable the following instructions: AVX2 ..., rebuild TensorFlow with the appropriate compiler flags.

The oneDNN pair comes twice per process (two libraries each report it). Turning
oneDNN off (``TF_ENABLE_ONEDNN_OPTS=0``) would silence it and slow training, so
instead the lines are dropped on their way to file descriptor 2:

- ``import_keras()``: imports Keras (and TensorFlow) with fd 2 pointed at a
  temporary file, then writes back every line that is not such INFO/WARNING
  noise (errors and Python tracebacks stay). The Keras adapter imports through it,
  and ``keras-hpo run`` imports the user's module the same way
  (``native_noise_dropped()``), since that module usually starts with ``import keras``.
- ``native_log_filter()``: while a run with worker processes lasts, fd 2 is a
  pipe read by a thread that forwards everything except that noise (child
  processes started meanwhile inherit it).
- ``relay_filtered()``: keras_hpo's own worker processes (which stay warm between
  runs) write their stderr to a pipe of their own, copied to fd 2 the same way.

In Jupyter the progress bar is tqdm's ipywidgets bar (the ``notebook`` extra);
without ipywidgets it falls back to the text bar instead of printing tqdm's
"IProgress not found" warning on every run (``progress_bar_class``).

Nothing is configured at ``import keras_hpo``: this runs only when we import
TensorFlow ourselves or start workers. ``TF_CPP_MIN_LOG_LEVEL`` defaults to 2
(INFO and WARNING off) in this process and its workers unless already set.

>>> bool(NATIVE_NOISE.match("I0000 00:00:1795983037.160152   10224 port.cc:153] oneDNN custom operations are on."))
True
>>> bool(NATIVE_NOISE.match("E0000 00:00:1795983037.160152   10224 something.cc:1] a real error"))
False
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["NATIVE_NOISE", "import_keras", "native_noise_dropped", "native_log_filter", "relay_filtered", "drop_noise", "progress_bar_class"]

#: Abseil INFO/WARNING lines, the pre-InitializeLog notice and the CPU-feature guard's second line
NATIVE_NOISE = re.compile(
    r"^(?:[IW]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w.\-/]+:\d+\] "
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags)"
)


#: written through the pipe when a filtered run ends (workers may keep the pipe open a little longer)
_END = b"\x00keras_hpo: end of filtered output\x00"


def _default_log_level() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def drop_noise(text: str) -> str:
    """``text`` without TensorFlow's native INFO/WARNING lines."""
    return "".join(line for line in text.splitlines(keepends=True) if not NATIVE_NOISE.match(line))


def _fd2_usable() -> bool:
    try:
        os.fstat(2)
        return True
    except OSError:
        return False


def import_keras() -> Any:
    """``import keras`` with TensorFlow's start-up log dropped; anything else it writes to stderr is kept."""
    _default_log_level()
    if "tensorflow" in sys.modules:
        import keras

        return keras
    with native_noise_dropped():
        import keras
    return keras


@contextlib.contextmanager
def native_noise_dropped() -> Iterator[None]:
    """While inside, fd 2 goes to a temporary file; then every line that is not native noise is written back.

    For imports that may load TensorFlow: ``import_keras()``, and the command line's import of a
    user's module that itself starts with ``import keras``.
    """
    if not _fd2_usable():
        yield
        return
    _default_log_level()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = drop_noise(captured.read().decode("utf-8", "replace"))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()


class _Forwarder(threading.Thread):
    """Copies a pipe to a file descriptor line by line, dropping native noise; partial lines go out at once."""

    def __init__(self, read_fd: int, write_fd: int, *, close_target: bool = True) -> None:
        super().__init__(name="keras_hpo-stderr-filter", daemon=True)
        self.read_fd, self.write_fd, self.close_target = read_fd, write_fd, close_target
        self.drained = threading.Event()  # set when the end-of-run marker came through

    def run(self) -> None:
        pending = b""
        try:
            while True:
                chunk = os.read(self.read_fd, 65536)
                if not chunk:
                    break
                if _END in chunk:
                    chunk = chunk.replace(_END, b"")
                    self.drained.set()
                pending = self._forward(pending + chunk)
            if pending:
                self._write(pending)
        finally:
            os.close(self.read_fd)
            if self.close_target:
                os.close(self.write_fd)

    def _forward(self, data: bytes) -> bytes:
        """Write the finished lines that are not noise; return what may still become a noise line."""
        *lines, rest = re.split(rb"(?<=[\n\r])", data)
        out = b"".join(line for line in lines if not NATIVE_NOISE.match(line.decode("utf-8", "replace")))
        if rest and not _may_become_noise(rest):  # e.g. a progress bar redrawn with "\r", no newline
            out, rest = out + rest, b""
        self._write(out)
        return rest

    def _write(self, data: bytes) -> None:
        while data:
            try:
                data = data[os.write(self.write_fd, data):]
            except OSError:  # the target closed (a driver's fd 2 gone): drop the rest, keep draining the pipe
                return


def _may_become_noise(start: bytes) -> bool:
    """Whether an unfinished line could still turn out to be noise (then it waits for its end)."""
    if len(start) > 4096:
        return False
    if re.match(rb"[IW](?:\d|$)", start):
        return True
    return any(p.startswith(start[:len(p)]) for p in (b"WARNING: All log messages", b"To enable the following"))


def relay_filtered(read_fd: int) -> threading.Thread:
    """Copy a child's stderr pipe to this process's fd 2 (whatever it is at each write), dropping native noise.

    Warm worker processes outlive one ``tune`` call, so they cannot inherit the fd 2 of
    one call's ``native_log_filter``; their stderr comes through here instead.
    """
    forwarder = _Forwarder(read_fd, 2, close_target=False)
    forwarder.start()
    return forwarder


@contextlib.contextmanager
def native_log_filter(active: bool = True) -> Iterator[None]:
    """While inside, file descriptor 2 (this process's and every child's started meanwhile) drops native noise."""
    if not active or not _fd2_usable():
        yield
        return
    _default_log_level()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    read_fd, write_fd = os.pipe()
    saved = os.dup(2)
    forwarder = _Forwarder(read_fd, os.dup(saved))
    forwarder.start()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os.write(2, _END)  # everything written before it is forwarded once the marker has come through
        os.dup2(saved, 2)  # our end of the pipe closes here; the thread ends when the last worker's does too
        os.close(saved)
        forwarder.drained.wait(timeout=5)


def progress_bar_class() -> Any:
    """tqdm's ipywidgets bar in a notebook that has ipywidgets, else the text bar.

    ``tqdm.auto`` warns "IProgress not found" when it is imported in a notebook
    without ipywidgets, so it is imported only when the widget can be drawn.
    """
    if _in_notebook():
        try:
            import ipywidgets  # noqa: F401
        except ImportError:
            pass
        else:
            from tqdm.auto import tqdm

            return tqdm
    from tqdm.std import tqdm

    return tqdm


def _in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (the check ``tqdm.autonotebook`` makes)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})
