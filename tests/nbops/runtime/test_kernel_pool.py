"""The kernel pool and fork server, driven through Papermill's ``nbops`` engine.

Real kernels, real notebooks: a kernel started before an environment variable
was set still sees it, preloading binds no name, every notebook gets its own
process, and closing the pool (or losing the build process) leaves no kernel.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from nbops.runtime._fork_provisioner import ForkServer, kernel_pid
from nbops.runtime._kernel_pool import KernelPool, PooledKernel

if TYPE_CHECKING:
    from nbops.runtime import Zygote

pytestmark = pytest.mark.integration

FACTS = """
import json, os, sys
print(json.dumps({
    "pid": os.getpid(),
    "probe": os.environ.get("NBOPS_POOL_PROBE"),
    "gone": os.environ.get("NBOPS_POOL_GONE"),
    "names": sorted(n for n in globals() if not n.startswith("_")),
    "json_preloaded": "colorsys" in sys.modules,
}))
"""


def _run(pool: KernelPool, tmp_path: Path, code: str = FACTS,
         cwd: Path | None = None) -> dict[str, object]:
    import papermill

    source = tmp_path / "in.ipynb"
    nb = new_notebook(cells=[new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, source)
    out = papermill.execute_notebook(
        str(source), str(tmp_path / "out.ipynb"), engine_name="nbops", kernel_pool=pool,
        progress_bar=False, cwd=None if cwd is None else str(cwd),
    )
    return json.loads(out.cells[0].outputs[0]["text"])


@contextlib.contextmanager
def _zygote_server(preimport: tuple[str, ...] = ()) -> Iterator[tuple[Zygote, int, ForkServer]]:
    """A new zygote, the pid of a kernel fork server it forked, and that server (ready);
    both are closed on leaving."""
    from nbops.runtime import Zygote

    zygote = Zygote(preimport=preimport)
    try:
        started = zygote.spawn()
        server = ForkServer(started=started)
        try:
            server.wait_ready()
            yield zygote, started.pid, server
        finally:
            server.close()
    finally:
        zygote.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


@pytest.fixture(scope="module")
def server():
    server = ForkServer()
    server.wait_ready()  # otherwise the first kernels would start the ordinary way
    yield server
    server.close()


def test_a_kernel_started_ahead_sees_variables_set_later(server, tmp_path, monkeypatch):
    monkeypatch.setenv("NBOPS_POOL_GONE", "set before the kernel started")
    with KernelPool(ahead=1, fork_server=server) as pool:
        pool.prestart("python3")
        assert pool.live_pids()  # started before the variable below exists
        monkeypatch.setenv("NBOPS_POOL_PROBE", "set after the kernel started")
        monkeypatch.delenv("NBOPS_POOL_GONE")
        facts = _run(pool, tmp_path)
    assert facts["probe"] == "set after the kernel started"
    assert facts["gone"] is None


def test_preloading_binds_no_name_in_the_notebook(server, tmp_path):
    with KernelPool(ahead=1, preload=["colorsys"], fork_server=server) as pool:
        pool.prestart("python3")
        preloaded = _run(pool, tmp_path)
    with KernelPool(ahead=0, fork_server=server) as pool:
        plain = _run(pool, tmp_path)
    assert preloaded["json_preloaded"] is True and plain["json_preloaded"] is False
    assert preloaded["names"] == plain["names"]
    assert "colorsys" not in preloaded["names"]


def test_each_notebook_gets_a_new_process_that_is_gone_afterwards(server, tmp_path):
    with KernelPool(ahead=2, fork_server=server) as pool:
        pool.prestart("python3")
        assert _parent(pool.live_pids()[0]) == server.pid  # forked, not a new interpreter
        first = _run(pool, tmp_path)
        second = _run(pool, tmp_path)
        assert first["pid"] != second["pid"]
        deadline = time.monotonic() + 10
        while Path(f"/proc/{first['pid']}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not Path(f"/proc/{first['pid']}").exists()  # gone and reaped: no zombie
        idle = pool.live_pids()
        assert idle  # a kernel is waiting for a next notebook
    assert not any(_alive(pid) for pid in [*idle, second["pid"]])


def test_kernels_started_without_the_fork_server_are_cleaned_up_too(tmp_path):
    with KernelPool(ahead=1) as pool:
        pool.prestart("python3")
        idle = pool.live_pids()
        facts = _run(pool, tmp_path)
    assert facts["pid"] in idle  # the notebook ran on the kernel started ahead
    assert not any(_alive(pid) for pid in [*idle, facts["pid"]])


def test_losing_the_server_kills_the_kernels_it_forked():
    server = ForkServer()
    server.wait_ready()
    pool = KernelPool(ahead=2, fork_server=server)
    pool.prestart("python3")
    pids = pool.live_pids()
    assert len(pids) == 2 and all(_alive(p) for p in pids)
    os.kill(server.pid, signal.SIGTERM)  # as if the build died without cleaning up
    server.close()
    assert server._process is not None
    assert server._process.returncode == 128 + signal.SIGTERM  # it says how it ended
    deadline = time.monotonic() + 15
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids)
    pool.close()


def test_a_preload_module_that_is_not_installed_is_refused_with_a_fix():
    import warnings

    from nbops.core._errors import ConfigError

    with warnings.catch_warnings():  # Ploomber's own import-time deprecation warnings
        warnings.simplefilter("ignore", DeprecationWarning)
        from nbops.engine.executor import NbopsExecutor

    with pytest.raises(ConfigError) as info:
        NbopsExecutor(preload=["pandas", "no_such_module_anywhere.sub"])
    assert "'no_such_module_anywhere.sub'" in str(info.value)
    assert "Fix:" in str(info.value)
    assert NbopsExecutor(preload="pandas").preload == ("pandas",)


WHERE = """
import json, os
print(json.dumps({"cwd": os.getcwd(), "server_only": os.environ.get("NBOPS_SERVER_ONLY"),
                  "probe": os.environ.get("NBOPS_POOL_PROBE"), "pid": os.getpid(),
                  "ppid": os.getppid()}))
"""


def test_a_forked_kernel_takes_the_requested_environment_and_folder(tmp_path, monkeypatch):
    """Nothing of the fork server's own environment or folder leaks into a kernel."""
    server_home = tmp_path / "server-home"
    server_home.mkdir()
    monkeypatch.chdir(server_home)
    server = ForkServer(env={**os.environ, "NBOPS_SERVER_ONLY": "leaked from the server"})
    try:
        server.wait_ready()
        monkeypatch.delenv("NBOPS_SERVER_ONLY", raising=False)
        monkeypatch.setenv("NBOPS_POOL_PROBE", "from the build")
        work = tmp_path / "work"
        subdir = work / "subdir"
        subdir.mkdir(parents=True)
        monkeypatch.chdir(work)
        with KernelPool(ahead=0, fork_server=server) as pool:
            facts = _run(pool, tmp_path, WHERE, cwd=subdir)
    finally:
        server.close()
    assert facts["ppid"] == server.pid  # really forked by the server, not started anew
    assert facts["cwd"] == str(subdir)
    assert facts["server_only"] is None
    assert facts["probe"] == "from the build"


def test_a_request_longer_than_one_read_reaches_the_server_whole(tmp_path, monkeypatch):
    """A build's environment can be large (a long PATH, a JSON credential): its request,
    one line of several reads, still forks a kernel that sees all of it."""
    large = {f"NBOPS_POOL_LARGE_{i}": str(i) * 60_000 for i in range(5)}  # 128 KiB at most each
    for name, value in large.items():
        monkeypatch.setenv(name, value)
    server = ForkServer()
    try:
        server.wait_ready()
        with KernelPool(ahead=0, fork_server=server) as pool:
            facts = _run(pool, tmp_path, 'import json, os\nprint(json.dumps({"ppid": '
                         'os.getppid(), "large": {k: v for k, v in os.environ.items() '
                         'if k.startswith("NBOPS_POOL_LARGE_")}}))')
    finally:
        server.close()
    assert facts["ppid"] == server.pid
    assert facts["large"] == large


# -- pre-imports: the executor's `preload` imported once, by the fork server ---------

AFRESH = """
import json, os, sys
had_numpy = "numpy" in sys.modules
import numpy
from threadpoolctl import threadpool_info
print(json.dumps({"ppid": os.getppid(), "had_numpy": had_numpy,
                  "draw": float(numpy.random.random()),
                  "blas": sorted({i["num_threads"] for i in threadpool_info()
                                  if i["user_api"] == "blas"})}))
"""


def _importable(tmp_path: Path, monkeypatch, name: str, code: str) -> None:
    """A module ``name`` with ``code`` on the PYTHONPATH of servers started from now on."""
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / f"{name}.py").write_text(code)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (str(lib), os.environ.get("PYTHONPATH")) if p))


def _fresh_interpreter_blas_threads() -> list[int]:
    import subprocess
    import sys

    code = ("import json, numpy; from threadpoolctl import threadpool_info; print(json.dumps("
            "sorted({i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout)


def test_kernels_forked_after_preimports_start_as_a_new_interpreter_would(tmp_path, monkeypatch):
    """numpy imported once by the server (by a module that draws from numpy's global
    random state as it is imported); each kernel still gets its own random state and the
    BLAS threads a new interpreter gets (the server imported with one)."""
    for name in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    _importable(tmp_path, monkeypatch, "nbops_draws_at_import",
                "import numpy\nnumpy.random.random()\n")
    server = ForkServer(preimport=("nbops_draws_at_import",))
    try:
        server.wait_ready()
        assert server.ready and server.unforkable is None
        with KernelPool(ahead=0, fork_server=server) as pool:
            first = _run(pool, tmp_path, AFRESH)
            second = _run(pool, tmp_path, AFRESH)
    finally:
        server.close()
    assert first["ppid"] == second["ppid"] == server.pid  # forked, not started anew
    assert first["had_numpy"] and second["had_numpy"]
    assert first["draw"] != second["draw"]
    assert first["blas"] == second["blas"] == _fresh_interpreter_blas_threads()


PLOT = "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()\n"


def _output_types(pool: KernelPool, tmp_path: Path, code: str) -> list[list[str]]:
    import papermill

    source = tmp_path / "plot.ipynb"
    nb = new_notebook(cells=[new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, source)
    out = papermill.execute_notebook(str(source), str(tmp_path / "plot.out.ipynb"),
                                     engine_name="nbops", kernel_pool=pool, progress_bar=False)
    return [sorted(o.get("data", {})) for o in out.cells[0].outputs]


def test_a_kernel_forked_after_matplotlib_was_preimported_shows_figures_as_a_new_one_would(
        tmp_path, monkeypatch):
    """matplotlib reads MPLBACKEND when imported, which a kernel sets as it starts: long
    after the server imported it. The figure must still show in the notebook."""
    monkeypatch.delenv("MPLBACKEND", raising=False)
    with KernelPool(ahead=0) as pool:
        afresh = _output_types(pool, tmp_path, PLOT)
    server = ForkServer(preimport=("matplotlib.pyplot",))
    try:
        server.wait_ready()
        assert server.ready
        with KernelPool(ahead=0, fork_server=server) as pool:
            forked = _output_types(pool, tmp_path, PLOT)
            pids = pool.live_pids()
    finally:
        server.close()
    assert afresh == [["image/png", "text/plain"]]  # the figure, inline
    assert forked == afresh
    assert not pids  # (each kernel is gone with its notebook)


def test_blas_threads_follow_the_variables_openblas_reads():
    from nbops.runtime._forkserver import blas_threads

    assert blas_threads({"OPENBLAS_NUM_THREADS": "3", "OMP_NUM_THREADS": "5"}) == 3
    assert blas_threads({"GOTO_NUM_THREADS": "4", "OMP_NUM_THREADS": "5"}) == 4
    assert blas_threads({"OMP_NUM_THREADS": "5"}) == 5
    assert blas_threads({"OPENBLAS_NUM_THREADS": "0"}) == len(os.sched_getaffinity(0))
    assert blas_threads({}) == len(os.sched_getaffinity(0))


def test_a_preimport_that_starts_a_thread_leaves_kernels_to_start_the_ordinary_way(
        tmp_path, monkeypatch, caplog):
    import logging

    caplog.set_level(logging.WARNING, logger="nbops")
    _importable(tmp_path, monkeypatch, "nbops_starts_a_thread",
                "import threading, time\n"
                "threading.Thread(target=time.sleep, args=(600,), daemon=True).start()\n")
    server = ForkServer(preimport=("nbops_starts_a_thread",))
    try:
        server.wait_ready()
        assert not server.ready
        assert "'nbops_starts_a_thread' started a thread" in (server.unforkable or "")
        with KernelPool(ahead=0, fork_server=server) as pool:
            facts = _run(pool, tmp_path, WHERE)
    finally:
        server.close()
    assert facts["ppid"] != server.pid  # started the ordinary way
    assert "cannot fork" in caplog.text and "nbops_starts_a_thread" in caplog.text


def test_a_server_started_ahead_is_adopted_and_ends_with_its_client(tmp_path):
    from nbops.runtime._fork_provisioner import start_server

    process, started = start_server(preimport=("colorsys",))
    server = ForkServer(started=started)
    try:
        server.wait_ready()
        assert server.preimport == ("colorsys",)
        with KernelPool(ahead=0, fork_server=server) as pool:
            facts = _run(pool, tmp_path, WHERE)
    finally:
        server.close()
    assert facts["ppid"] == process.pid
    assert process.wait(10) == 0  # closing the client's pipe ended it


# -- the zygote: kernel fork servers forked, not started (a sweep's trials) ----------

WHERE_AND_PRELOADED = WHERE.replace('"ppid": os.getppid()}', '"ppid": os.getppid(), '
                                    '"colorsys": "colorsys" in __import__("sys").modules}')


def test_servers_forked_by_a_zygote_fork_kernels_and_end_with_their_client(tmp_path):
    """Each build adopts its own server, forked in an instant with the zygote's imports;
    it ends when its build closes it, and the zygote reports that it has."""
    from nbops.runtime import Zygote

    zygote = Zygote(preimport=("colorsys",))
    seen = []
    try:
        for _ in range(2):
            started = zygote.spawn()
            parent = _parent(started.pid)
            server = ForkServer(started=started)
            try:
                server.wait_ready()
                assert server.ready and server.preimport == ("colorsys",)
                with KernelPool(ahead=0, fork_server=server) as pool:
                    facts = _run(pool, tmp_path, WHERE_AND_PRELOADED)
            finally:
                server.close()
            assert zygote.wait_exit(started.pid, 10) == 0  # ended with its client; reaped
            seen.append((started.pid, parent, facts))
    finally:
        zygote.close()
    (first, first_parent, first_facts), (second, second_parent, second_facts) = seen
    assert first != second  # a server per build, never shared
    assert first_parent == second_parent == zygote.process.pid  # forked, not started anew
    assert first_facts["ppid"] == first and second_facts["ppid"] == second
    assert first_facts["colorsys"] and second_facts["colorsys"]  # the zygote's import
    assert zygote.process.returncode == 0  # closing its socket ended it


def test_a_zygote_ends_when_its_client_does_and_leaves_a_working_server_to_its_build(
        tmp_path):
    from nbops.runtime import Zygote

    zygote = Zygote(preimport=("colorsys",))
    started = zygote.spawn()
    zygote.close()  # the trial server is gone; the build that adopted a server is not
    assert zygote.process.returncode == 0
    server = ForkServer(started=started)
    try:
        with KernelPool(ahead=0, fork_server=server) as pool:
            facts = _run(pool, tmp_path, WHERE)
    finally:
        server.close()
    assert facts["ppid"] == started.pid
    deadline = time.monotonic() + 10
    while _alive(started.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(started.pid)  # and it ended with its build


def test_a_zygote_whose_client_goes_before_it_is_ready_exits_without_a_traceback(tmp_path):
    """A sweep refused before its first trial closes its trial servers' zygotes while they
    still import: the zygote's "ready" then meets a closed socket. It used to print
    BrokenPipeError's traceback into the sweep's one-sentence refusal."""
    from nbops.runtime import Zygote

    log = tmp_path / "zygote.log"
    zygote = Zygote(preimport=("colorsys",), log=str(log))
    zygote._socket.close()  # the client is gone before the zygote has imported anything
    assert zygote.process.wait(timeout=30) == 0
    assert log.read_text() == ""


def test_a_zygote_whose_imports_start_a_thread_refuses_to_fork_and_says_why(
        tmp_path, monkeypatch):
    from nbops.runtime import ForkServerError, Zygote

    _importable(tmp_path, monkeypatch, "nbops_starts_a_thread",
                "import threading, time\n"
                "threading.Thread(target=time.sleep, args=(600,), daemon=True).start()\n")
    zygote = Zygote(preimport=("nbops_starts_a_thread",))
    try:
        with pytest.raises(ForkServerError, match="'nbops_starts_a_thread' started a thread"):
            zygote.spawn()
        assert zygote.process.poll() is None  # refused, not crashed: it still answers
        with pytest.raises(ForkServerError, match="started a thread"):
            zygote.spawn()
    finally:
        zygote.close()


def test_a_gone_zygote_is_said_in_one_sentence_and_leaks_no_pipe():
    from nbops.runtime import ForkServerError, Zygote

    zygote = Zygote()
    zygote.process.kill()
    zygote.process.wait()
    before = len(os.listdir("/proc/self/fd"))
    with pytest.raises(ForkServerError, match="the zygote has gone|did not answer"):
        zygote.spawn(timeout=5)
    assert len(os.listdir("/proc/self/fd")) == before
    zygote.close()


@pytest.mark.parametrize("pid", [0, -1, "12", True, None])
def test_an_impossible_pid_from_the_server_is_refused_before_anything_signals_it(pid):
    """A kernel is signalled by pid and process group: 0 would be this very build."""
    from nbops.runtime._fork_provisioner import ForkServerError, kernel_pid

    with pytest.raises(ForkServerError, match="impossible pid"):
        kernel_pid({"pid": pid})
    with pytest.raises(ForkServerError, match="no longer single-threaded"):
        kernel_pid({"error": "the fork server is no longer single-threaded"})
    assert kernel_pid({"pid": 4242}) == 4242


def test_the_budget_caps_kernels_started_ahead_but_never_a_notebook(server, tmp_path):
    """A build with one notebook left starts one kernel ahead, not `ahead` of them; a
    notebook that finds none still gets one."""
    with KernelPool(ahead=3, budget=1, fork_server=server) as pool:
        pool.prestart("python3")
        assert len(pool.live_pids()) == 1
        facts = _run(pool, tmp_path)  # takes the one started ahead
        pool.prestart("python3")
        assert pool.live_pids() == []  # the budget is spent: nothing more ahead
        again = _run(pool, tmp_path)  # forced: a notebook is never refused a kernel
        assert pool.started == 2  # every kernel it launched: the one ahead and the forced one
    assert facts["pid"] != again["pid"]
    with KernelPool(ahead=0, fork_server=server) as pool:
        pool.prestart("python3")
        assert pool.live_pids() == []  # ahead=0: nothing started before it is needed


def test_kernels_talk_over_private_ipc_sockets_removed_with_the_pool(server, tmp_path):
    pool = KernelPool(ahead=1, fork_server=server)
    try:
        assert pool.transport == "ipc"
        folder = Path(pool._socket_dir)
        assert folder.is_dir() and folder.name.startswith("nbops-kernels-")
        pool.prestart("python3")
        (kernel,) = [k for queue in pool._idle.values() for k in queue]
        assert kernel.manager.transport == "ipc"
        assert Path(kernel.manager.ip).parent == folder  # its sockets are made in there
    finally:
        pool.close()
    assert not folder.exists()
    pool.prestart("python3")  # a closed pool starts nothing
    assert pool.live_pids() == []
    with pytest.raises(RuntimeError, match="^the kernel pool is closed$"):
        pool.acquire("python3")
    pool.close()  # twice is harmless (close() inside its `with` block, then its exit)


@pytest.mark.parametrize("name, value", [
    ("PYTHONHASHSEED", "7"),  # only read when an interpreter starts
    ("MPLBACKEND", "agg"),  # read when matplotlib is imported: by a preload, at start-up
])
def test_a_kernel_started_before_a_start_up_variable_changed_is_discarded_and_killed(
        server, tmp_path, monkeypatch, name, value):
    monkeypatch.delenv(name, raising=False)
    with KernelPool(ahead=1, fork_server=server) as pool:
        pool.prestart("python3")
        (stale,) = pool.live_pids()
        monkeypatch.setenv(name, value)
        facts = _run(pool, tmp_path)
        assert facts["pid"] != stale  # a new kernel, started with the new value
        deadline = time.monotonic() + 15
        while _alive(stale) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(stale)  # and the stale one is gone, not left running


def test_top_ups_racing_for_one_kernel_name_start_no_more_than_ahead(server):
    """Each notebook's start tops the pool up in a thread of its own (refill): two top-ups
    at once must count each other's kernels still starting, or the pool starts kernels
    nobody asked for (and miscounts those on their way)."""
    import threading

    with KernelPool(ahead=2, fork_server=server) as pool:
        together = threading.Barrier(2)

        def top_up() -> None:
            together.wait()
            pool.prestart("python3")

        threads = [threading.Thread(target=top_up) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(pool.live_pids()) == 2
        pool.prestart("python3")  # two are waiting: nothing more to start
        assert len(pool.live_pids()) == 2
        assert pool.started == 2


# -- how a fork server ends, and what it says when it cannot fork -------------------


def test_the_fork_servers_command_line_names_itself_and_asks_for_its_role(capsys):
    from nbops.runtime._forkserver import main

    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m nbops.runtime._forkserver ")
    assert "one of the arguments --reply-fd --control-fd is required" in err
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())  # as argparse wraps it
    assert "--reply-fd REPLY_FD serve kernels; answer on this pipe" in shown
    assert ("--control-fd CONTROL_FD be a zygote: fork kernel fork servers, on this "
            "socket's requests") in shown


def test_a_preimport_that_exits_ends_the_server_with_code_1_and_kernels_start_anyway(
        tmp_path, monkeypatch):
    """A `preload` module that calls sys.exit('...') as it is imported: the server ends as
    Python ends on such an exit (code 1), and every notebook still gets a kernel, started
    the ordinary way."""
    from nbops.runtime import ForkServerError

    _importable(tmp_path, monkeypatch, "nbops_exits_at_import",
                "import sys\nsys.exit('no kernels from here')\n")
    server = ForkServer(preimport=("nbops_exits_at_import",))
    try:
        with pytest.raises(ForkServerError, match="did not start"):
            server.wait_ready()
        with KernelPool(ahead=0, fork_server=server) as pool:
            facts = _run(pool, tmp_path, WHERE)
    finally:
        server.close()
    assert facts["ppid"] != server.pid
    assert server._process is not None and server._process.returncode == 1


THREAD_ON_SIGNAL = ("import signal, threading, time\n"
                    "signal.signal(signal.SIGUSR1, lambda *_: threading.Thread(\n"
                    "    target=time.sleep, args=(600,), daemon=True).start())\n")


def _threads_of(pid: int, count: int) -> None:
    deadline = time.monotonic() + 15
    while len(os.listdir(f"/proc/{pid}/task")) != count and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(os.listdir(f"/proc/{pid}/task")) == count


def test_a_server_that_started_a_thread_after_its_imports_refuses_to_fork_and_says_why(
        tmp_path, monkeypatch, caplog):
    """A pre-imported module that starts a thread later (here: on a signal) makes every
    fork unsafe: the server (and a zygote) refuses each request, saying why, and the
    notebook's kernel starts the ordinary way."""
    import logging

    from nbops.runtime import ForkServerError, Zygote

    caplog.set_level(logging.WARNING, logger="nbops")
    _importable(tmp_path, monkeypatch, "nbops_threads_on_signal", THREAD_ON_SIGNAL)
    server = ForkServer(preimport=("nbops_threads_on_signal",))
    try:
        server.wait_ready()
        assert server.ready  # single-threaded when its imports were done
        os.kill(server.pid, signal.SIGUSR1)
        _threads_of(server.pid, 2)
        with KernelPool(ahead=0, fork_server=server) as pool:
            facts = _run(pool, tmp_path, WHERE)
            again = _run(pool, tmp_path, WHERE)
        assert server._process is not None and server._process.poll() is None  # refusing,
        assert server.alive  # not gone: it still reports the exits of kernels it forked
    finally:
        server.close()
    assert facts["ppid"] != server.pid and again["ppid"] != server.pid  # the ordinary way
    assert caplog.text.count("starting a kernel the ordinary way: the fork server is no "
                             "longer single-threaded") == 2  # each request refused, saying why
    zygote = Zygote(preimport=("nbops_threads_on_signal",))
    try:
        zygote.spawn().close()  # its imports are done; it can fork
        os.kill(zygote.process.pid, signal.SIGUSR1)
        _threads_of(zygote.process.pid, 2)
        with pytest.raises(ForkServerError, match="^the zygote is no longer single-threaded$"):
            zygote.spawn()
    finally:
        zygote.close()


def test_a_terminated_server_forked_by_a_zygote_kills_its_kernels_and_says_how_it_ended():
    from nbops.runtime import Zygote

    zygote = Zygote()
    try:
        started = zygote.spawn()
        server = ForkServer(started=started)
        pool = KernelPool(ahead=1, fork_server=server)
        try:
            server.wait_ready()  # otherwise the kernel would start the ordinary way
            pool.prestart("python3")
            (pid,) = pool.live_pids()
            assert _parent(pid) == started.pid
            os.kill(started.pid, signal.SIGTERM)  # as if its build died without cleaning up
            assert zygote.wait_exit(started.pid, 15) == 128 + signal.SIGTERM
            deadline = time.monotonic() + 15
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not _alive(pid)
        finally:
            pool.close()
            server.close()
    finally:
        zygote.close()



def test_a_server_forked_by_a_zygote_that_exits_with_a_message_ends_with_code_1(
        tmp_path, monkeypatch):
    """A `preload` module's signal handler calls sys.exit('...') in a server the zygote
    forked: the server ends as Python ends on such an exit (code 1), as a server started
    afresh does."""
    _importable(tmp_path, monkeypatch, "nbops_exits_on_signal",
                "import signal, sys\n"
                "signal.signal(signal.SIGUSR1, lambda *_: sys.exit('asked to leave'))\n")
    with _zygote_server(("nbops_exits_on_signal",)) as (zygote, pid, _):
        os.kill(pid, signal.SIGUSR1)
        assert zygote.wait_exit(pid, 15) == 1


def test_a_signal_sent_as_a_server_says_it_is_ready_is_never_left_waiting(
        tmp_path, monkeypatch):
    """The moment a server says it is ready it goes back to waiting for a request: a signal
    that lands just before that wait starts must still run its handler (Python runs it
    between bytecodes; a blocking read would hold it until the next request). The zygote
    waits the same way for its next request while the server's exit reaches it. Two
    hundred servers, each signalled as soon as it is ready: before the wake-up pipe, about
    one in ten waited until killed (three runs on an idle machine, each failed)."""
    from nbops.runtime import Zygote

    _importable(tmp_path, monkeypatch, "nbops_exits_on_signal",
                "import signal, sys\n"
                "signal.signal(signal.SIGUSR1, lambda *_: sys.exit('asked to leave'))\n")
    zygote = Zygote(preimport=("nbops_exits_on_signal",))
    codes = []
    try:
        for _ in range(200):
            started = zygote.spawn()
            server = ForkServer(started=started)
            try:
                server.wait_ready()
                os.kill(started.pid, signal.SIGUSR1)
                codes.append(zygote.wait_exit(started.pid, 5))
            finally:
                server.close()
            if codes[-1] is None:  # left waiting: end it, and say so below
                zygote.end_server(started.pid, 0)
    finally:
        zygote.close()
    assert codes == [1] * 200


WAKEUP = """
import json, os, signal
wakeup = signal.set_wakeup_fd(-1)
signal.set_wakeup_fd(wakeup)
pipes = set()
for fd in os.listdir("/proc/self/fd"):
    try:
        pipes.add(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        pass
print(json.dumps({"wakeup": wakeup, "pipes": sorted(p for p in pipes if p.startswith("pipe:"))}))
"""


def _pipes_of(pid: int) -> set[str]:
    """What ``pid`` has open, but its output (the build's log, which its kernels share)."""
    return {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")
            if fd not in ("1", "2")}


def test_a_forked_kernel_keeps_neither_the_servers_wakeup_pipe_nor_the_zygotes(tmp_path):
    """The server's and the zygote's signals wake their own waits through a pipe: a kernel
    forked from them holds no end of either, and its signals wake nothing, as in a kernel
    started afresh."""
    with KernelPool(ahead=0) as pool:
        afresh = _run(pool, tmp_path, WAKEUP)
    with _zygote_server() as (zygote, pid, server):
        with KernelPool(ahead=0, fork_server=server) as pool:
            forked = _run(pool, tmp_path, WAKEUP)
        shared = set(forked["pipes"]) & (_pipes_of(pid) | _pipes_of(zygote.process.pid))
    assert forked["wakeup"] == afresh["wakeup"] == -1
    assert shared == set()


THREADS = """
import json
from threadpoolctl import threadpool_info
print(json.dumps(sorted({(i["user_api"], i["num_threads"]) for i in threadpool_info()})))
"""


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs for two threads")
def test_a_kernel_forked_after_scikit_learn_was_preimported_keeps_a_new_interpreters_openmp(
        tmp_path, monkeypatch):
    """The server caps only OpenBLAS for its imports. Giving a kernel its BLAS threads back
    must leave OpenMP's (scikit-learn's) as a new interpreter sets them: here OpenBLAS reads
    GOTO_NUM_THREADS=2, OpenMP OMP_NUM_THREADS=1."""
    import subprocess
    import sys

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setenv("GOTO_NUM_THREADS", "2")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    fresh = subprocess.run([sys.executable, "-c", "import numpy, sklearn\n" + THREADS],
                           capture_output=True, text=True, check=True)
    server = ForkServer(preimport=("numpy", "sklearn"))
    try:
        server.wait_ready()
        assert server.ready
        with KernelPool(ahead=0, fork_server=server) as pool:
            forked = _run(pool, tmp_path, THREADS)
    finally:
        server.close()
    afresh = json.loads(fresh.stdout)
    assert ["openmp", 1] in afresh and ["blas", 2] in afresh
    assert forked == afresh


EXIT_WHEN_IDLE = ("import os, signal, sys, threading; "
                  "signal.signal(signal.SIGUSR1, lambda *_: sys.exit('ended by its own code')); "
                  "threading.Timer(1, os.kill, (os.getpid(), signal.SIGUSR1)).start()")


def test_a_kernel_its_own_code_ends_with_a_message_exits_1_and_takes_no_other_kernel(
        server, tmp_path):
    """Code in a kernel ends it with sys.exit('...') while it waits (here a signal handler
    a notebook could install): the kernel exits 1, as a kernel started afresh does, and the
    server's other kernels live on."""
    env = {k: v for k, v in os.environ.items() if k != "JPY_PARENT_PID"}
    other = server.fork(["-f", str(tmp_path / "other.json")], str(tmp_path), env)
    ending = server.fork(["-f", str(tmp_path / "ending.json"),
                          f"--IPKernelApp.exec_lines={EXIT_WHEN_IDLE}"], str(tmp_path), env)
    try:
        assert server.wait(ending, 30) == 1
        time.sleep(0.5)
        assert _alive(other) and server.exit_code(other) is None
    finally:
        os.killpg(other, signal.SIGKILL)
    assert server.wait(other, 10) == -signal.SIGKILL


def test_closing_the_pool_kills_a_kernel_still_in_use(server):
    """A build interrupted while a notebook runs: its kernel goes with the pool."""
    pool = KernelPool(ahead=0, fork_server=server)
    try:
        kernel = pool.acquire("python3")
        pid = kernel.pid
        assert pid is not None and pool.live_pids() == [pid]
    finally:
        pool.close()
    deadline = time.monotonic() + 15
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def test_a_kernel_that_finishes_starting_after_the_pool_closed_is_killed(server):
    """A top-up still starting a kernel when the build ends: that kernel is killed as it
    arrives, not left running."""
    import threading

    launched: list[int] = []
    closed = threading.Event()

    class SlowToStart(KernelPool):
        def _launch(self, kernel_name: str, cwd: str) -> PooledKernel:
            kernel = super()._launch(kernel_name, cwd)
            launched.append(kernel.pid)
            assert closed.wait(30)  # the pool closes while this kernel is on its way
            return kernel

    pool = SlowToStart(ahead=1, fork_server=server)
    top_up = threading.Thread(target=pool.prestart, args=("python3",))
    top_up.start()
    deadline = time.monotonic() + 30
    while not launched and time.monotonic() < deadline:
        time.sleep(0.02)
    pool.close()
    closed.set()
    top_up.join(30)
    (pid,) = launched
    deadline = time.monotonic() + 15
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)
    assert pool.live_pids() == []


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs")
def test_kernels_get_their_blas_threads_back_when_the_user_tunes_jemalloc(tmp_path, monkeypatch):
    """The user sets JE_ARROW_MALLOC_CONF (one of the two variables the server sets for its
    imports when unset): the server still caps OpenBLAS for its imports, and its kernels
    still get the BLAS threads a new interpreter gets."""
    import subprocess
    import sys

    for name in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JE_ARROW_MALLOC_CONF", "background_thread:false,narenas:1")
    fresh = subprocess.run([sys.executable, "-c", "import numpy\n" + THREADS],
                           capture_output=True, text=True, check=True)
    server = ForkServer(preimport=("numpy",))
    try:
        server.wait_ready()
        assert server.ready
        with KernelPool(ahead=0, fork_server=server) as pool:
            forked = _run(pool, tmp_path, THREADS)
    finally:
        server.close()
    afresh = json.loads(fresh.stdout)
    assert ["blas", len(os.sched_getaffinity(0))] in afresh
    assert forked == afresh


@pytest.mark.parametrize("message, fds", [(b"fork", 0), (b"fork", 1), (b"spawn", 2),
                                          (b"fork " + b"x" * 50, 2)])
def test_a_zygote_refuses_a_request_that_is_not_a_fork_with_two_or_three_descriptors(
        message, fds):
    """The control socket's protocol: `fork` with the new server's two pipe ends (and
    maybe its log). Anything else is answered with a refusal naming it, and forks nothing."""
    import socket

    from nbops.runtime import ForkServerError, Zygote

    zygote = Zygote()
    sent = [os.open(os.devnull, os.O_RDONLY) for _ in range(fds)]
    try:
        socket.send_fds(zygote._socket, [message], sent)
        with pytest.raises(ForkServerError, match=(
                f"^not a fork request: {re.escape(repr(message[:40]))} with {fds} file "
                "descriptors$")):  # a long one quoted to its first 40 bytes
            kernel_pid(zygote._answer(30), "the zygote")
        started = zygote.spawn()  # and it still forks on a proper request
        server = ForkServer(started=started)
        server.wait_ready()
        server.close()
        assert zygote.wait_exit(started.pid, 15) == 0
    finally:
        for fd in sent:
            os.close(fd)
        zygote.close()


ON_THE_PATH = """
import json
import nbops_on_the_path
print(json.dumps({"value": nbops_on_the_path.VALUE}))
"""


def test_kernels_import_from_every_pythonpath_folder_however_their_server_started(
        tmp_path, monkeypatch):
    """A module in the first PYTHONPATH folder imports in a kernel forked by a server
    started afresh and by one a zygote forked, as in a kernel started the ordinary way."""

    _importable(tmp_path, monkeypatch, "nbops_on_the_path", "VALUE = 42\n")
    seen = []
    server = ForkServer()
    try:
        server.wait_ready()
        with KernelPool(ahead=0, fork_server=server) as pool:
            seen.append(_run(pool, tmp_path, ON_THE_PATH))
    finally:
        server.close()
    with _zygote_server() as (_, _, server), KernelPool(ahead=0, fork_server=server) as pool:
        seen.append(_run(pool, tmp_path, ON_THE_PATH))
    assert seen == [{"value": 42}, {"value": 42}]
