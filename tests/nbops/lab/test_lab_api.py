"""The server extension's JSON API in a real ``nbops lab`` (issue 30): only the server's
token or a logged-in browser session with its XSRF token gets an answer or changes
anything, and bad requests get one sentence, before anything starts.

One JupyterLab on an unbuilt copy of the reference project for the module; no
build runs (each write here is refused before it could start one).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from lab_server import TOKEN, LabServer, running_lab

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, copy_project) -> Iterator[LabServer]:
    project = copy_project(tmp_path_factory.mktemp("lab-api") / "project")
    with running_lab(project) as server:
        yield server


@pytest.fixture
def with_token(lab: LabServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=lab.url, headers={"Authorization": f"token {TOKEN}"},
                      timeout=60) as client:
        yield client


def _no_build_started(lab: LabServer) -> bool:
    return not (lab.project / ".nbops" / "lab").exists()


def test_requests_without_the_token_are_refused(lab: LabServer) -> None:
    with httpx.Client(base_url=lab.url, timeout=60) as anonymous:
        for path in ("/nbops/api/pipeline", "/nbops/api/model", "/nbops/api/tasks/train/runs"):
            assert anonymous.get(path).status_code == 403, path
        wrong = {"Authorization": "token not-the-token"}
        assert anonymous.get("/nbops/api/pipeline", headers=wrong).status_code == 403
        for path, body in (("/nbops/api/builds", {"task": "ingest"}),
                           ("/nbops/api/model/promote", {"model": "churn", "version": 1,
                                                         "reason": "r"}),
                           ("/nbops/api/model/rollback", {"model": "churn", "reason": "r"})):
            assert anonymous.post(path, json=body).status_code == 403, path
            assert anonymous.post(path, json=body, headers=wrong).status_code == 403, path
    assert _no_build_started(lab)


def test_a_browser_session_writes_only_with_the_xsrf_token(lab: LabServer) -> None:
    with httpx.Client(base_url=lab.url, timeout=60) as browser:
        browser.get(f"/lab?token={TOKEN}")  # logs in: a session cookie and the _xsrf cookie
        xsrf = browser.cookies.get("_xsrf")
        assert xsrf
        assert browser.get("/nbops/api/pipeline").status_code == 200  # reading: the cookie
        body = {"task": "ingest", "env": {"no_such_key": "1"}}
        refused = browser.post("/nbops/api/builds", json=body)
        assert refused.status_code == 403
        assert "_xsrf" in refused.json()["message"]
        # with the header the request reaches nbops, which refuses the unknown key itself
        answered = browser.post("/nbops/api/builds", json=body, headers={"X-XSRFToken": xsrf})
        assert answered.status_code == 400
        assert answered.json()["error"] == "env.yaml has no value 'no_such_key' to override"
    assert _no_build_started(lab)


def test_pipeline_of_an_unbuilt_project(with_token: httpx.Client) -> None:
    answer = with_token.get("/nbops/api/pipeline")
    assert answer.status_code == 200
    view = answer.json()
    assert view["runs"] == 0 and view["latest_run"] is None and view["build"] is None
    assert [t["name"] for t in view["tasks"]] == ["ingest", "validate", "features", "train",
                                                   "evaluate"]
    for task in view["tasks"]:
        assert task["state"] == "out of date"
        assert task["reasons"] == ["no product"]
        assert task["last_run"] is None
        assert task["path"] == f"notebooks/{task['name']}.py"
    assert view["tasks"][3]["upstream"] == ["features"]
    assert with_token.get("/nbops/api/tasks/train/runs").json() == {"task": "train", "runs": []}
    model = with_token.get("/nbops/api/model").json()
    assert model == {"model": "churn", "registered": False, "champion": None,
                     "challenger": None, "versions": []}


@pytest.mark.parametrize(("path", "body", "sentence"), [
    ("/nbops/api/builds", {"task": "no_such_task"}, "the pipeline has no task 'no_such_task'"),
    ("/nbops/api/builds", {"env": {"model.max_depth": ""}}, "the override of model.max_depth "
                                                             "is empty"),
    ("/nbops/api/builds", {"env": {"model..x": "1"}}, "'model..x' is not an env.yaml key"),
    ("/nbops/api/builds", [1, 2], "the request body is not a JSON object"),
    ("/nbops/api/model/promote", {"model": "churn", "reason": "r"},
     "promote needs a version number"),
])
def test_bad_requests_get_one_sentence_and_start_nothing(
    lab: LabServer, with_token: httpx.Client, path: str, body: object, sentence: str
) -> None:
    answer = with_token.post(path, json=body)
    assert answer.status_code == 400
    assert answer.json()["error"] == sentence
    assert "Traceback" not in answer.text
    assert _no_build_started(lab)


def test_unknown_runs_and_models_are_named(with_token: httpx.Client) -> None:
    answer = with_token.get("/nbops/api/runs/latest/tasks/train/parameters")
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("No runs recorded in")
    promote = with_token.post("/nbops/api/model/promote",
                              json={"model": "churn", "version": 1, "reason": "why not"})
    assert promote.status_code == 400
    assert "churn" in promote.json()["message"]
