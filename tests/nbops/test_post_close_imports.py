"""The post-close steps cost nothing on builds they have nothing to do for.

Every ``ploomber build`` makes each step of :data:`nbops.hooks.POST_CLOSE_STEPS`;
a module-level import of numpy, scipy, pandas, scikit-learn or skops there
cost a no-op rebuild 1.6 s (monitoring) to 5 s (registry) before this was fixed.
"""

import json
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
