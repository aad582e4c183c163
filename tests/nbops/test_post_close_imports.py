"""The post-close steps cost nothing on builds they have nothing to do for.

Every ``ploomber build`` makes each step of :data:`nbops.hooks.POST_CLOSE_STEPS`;
a module-level import of numpy, scipy, pandas, scikit-learn or skops there
cost a no-op rebuild 1.6 s (monitoring) to 5 s (registry) before this was fixed.
"""

import json
import os
import subprocess
import sys

HEAVY = ("numpy", "scipy", "pandas", "sklearn", "skops", "pyarrow", "nbconvert")


def test_making_the_post_close_steps_imports_no_data_library():
    code = ("import json, sys\nfrom nbops.hooks import POST_CLOSE_STEPS\n"
            "steps = [make() for make in POST_CLOSE_STEPS]\n"
            "names = [s.name for s in steps]\n"
            "assert names == ['registry', 'card', 'monitoring', 'reports', 'push'], names\n"
            f"print(json.dumps(sorted(h for h in {HEAVY!r} if h in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []


#: What a build without a registry: section or a remote never needs: the registry's
#: configuration, gates, operations and promotion, the remote's stores and the push.
UNNEEDED = ("nbops.registry._config", "nbops.registry._gates", "nbops.registry._operations",
            "nbops.registry._promotion", "nbops.remote._store", "nbops.remote._azure",
            "nbops.sync._push")


def test_a_build_without_registry_or_remote_loads_neither(tmp_path):
    (tmp_path / "pipeline.yaml").write_text("tasks: []\n")
    code = ("import json, sys, types\nfrom nbops.core import Project\n"
            "from nbops.hooks import POST_CLOSE_STEPS\n"
            "steps = {s.name: s for s in (make() for make in POST_CLOSE_STEPS)}\n"
            "closed = types.SimpleNamespace(project=Project(sys.argv[1]), run_id='r', env={},\n"
            "                               status='succeeded')\n"
            "steps['registry'].prepare(closed)\n"
            "steps['registry'].run(closed)  # no registry: section, nothing to register\n"
            "steps['push'].run(closed)  # no remote, auto push off\n"
            f"print(json.dumps(sorted(m for m in {UNNEEDED!r} if m in sys.modules)))")
    env = {k: v for k, v in os.environ.items() if k != "NBOPS_AUTO_PUSH"}
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                         text=True, check=True, env=env).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []
