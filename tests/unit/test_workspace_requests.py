"""`healthmon job run|status` up to the requests it builds (pure: no Spark, no network): the tests that need no Spark (the rest, and the context, in tests/spark/test_workspace_jobs.py)."""

from __future__ import annotations

import inspect
from pathlib import Path
from unittest.mock import call, create_autospec

import pytest
import yaml
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound
from databricks.sdk.mixins.jobs import JobsExt
from databricks.sdk.service._internal import Wait
from databricks.sdk.service.iam import CurrentUserAPI, User
from databricks.sdk.service.jobs import BaseJob, Run, RunNowResponse

from framework.errors import WorkspaceError
from framework.surfaces.cli import _parser
from framework.surfaces.workspace_jobs import (
    WAIT_TIMEOUT,
    describe_run,
    find_job,
    get_run_request,
    is_dev_copy,
    job_command,
    list_jobs_request,
    run_now_request,
)

ROOT = Path(__file__).resolve().parents[2]

def workspace() -> WorkspaceClient:
    w = create_autospec(WorkspaceClient, instance=True)
    w.jobs = create_autospec(JobsExt, instance=True)  # properties are not specced by create_autospec
    w.current_user = create_autospec(CurrentUserAPI, instance=True)
    return w

def job(job_id: int, name: str, creator: str = "ops@example.com") -> BaseJob:
    return BaseJob.from_dict({"job_id": job_id, "creator_user_name": creator, "settings": {"name": name}})

def args(*argv: str):
    return _parser().parse_args(["job", *argv])

RUNNING = Run.from_dict({
    "run_id": 901, "job_id": 42, "run_name": "gold_hydration",
    "run_page_url": "https://adb-1.azuredatabricks.net/?o=1#job/42/run/901",
    "state": {"life_cycle_state": "RUNNING", "state_message": "In run"},
    "tasks": [
        {"task_key": "plan", "run_id": 1, "state": {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS", "state_message": ""}},
        {"task_key": "layer_0", "run_id": 2, "state": {"life_cycle_state": "RUNNING", "state_message": "In run"},
         "for_each_task": {"inputs": "[]", "task": {"task_key": "layer_0_table"},
                           "stats": {"task_run_stats": {"total_iterations": 5, "succeeded_iterations": 3,
                                                        "failed_iterations": 1, "active_iterations": 1}}}},
        {"task_key": "layer_1", "run_id": 3, "state": {"life_cycle_state": "BLOCKED", "state_message": ""}},
        {"task_key": "summary", "run_id": 4, "state": {"life_cycle_state": "PENDING", "state_message": ""}},
    ],
})

FAILED = Run.from_dict({
    "run_id": 902, "job_id": 42, "run_name": "gold_hydration", "run_page_url": "https://h/#job/42/run/902",
    "state": {"life_cycle_state": "TERMINATED", "result_state": "FAILED", "state_message": "1 of 3 tasks failed"},
    "tasks": [
        {"task_key": "plan", "state": {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS"}},
        {"task_key": "summary", "state": {"life_cycle_state": "TERMINATED", "result_state": "FAILED",
                                          "state_message": "run r1: fact_usage FAILED"}},
    ],
})

def test_run_request_without_filters_sends_every_job_parameter_explicitly():
    assert run_now_request(42) == {"job_id": 42, "job_parameters": {"domain": "", "tables": "", "full_refresh": "false"}}

def test_run_request_with_filters_and_full_refresh_joins_lists_with_commas():
    request = run_now_request(42, domains=["billing", "lakeflow"], tables=["fact_usage", "dim_job"], full_refresh=True)
    assert request == {"job_id": 42, "job_parameters": {"domain": "billing,lakeflow", "tables": "fact_usage,dim_job", "full_refresh": "true"}}
    inspect.signature(JobsExt.run_now).bind(None, **request)  # the real method accepts exactly these

def test_job_parameters_are_the_deployed_jobs_parameters():
    resource = yaml.safe_load((ROOT / "resources" / "gold_hydration.job.yml").read_text())["resources"]["jobs"]["gold_hydration"]
    assert set(run_now_request(1)["job_parameters"]) == {p["name"] for p in resource["parameters"]}
    assert resource["name"] == "gold_hydration"

def test_list_and_get_run_requests():
    assert list_jobs_request("gold_hydration") == {"name": "gold_hydration", "limit": 100}
    assert list_jobs_request() == {"limit": 100}
    assert get_run_request(901) == {"run_id": 901}
    for method, request in ((JobsExt.list, list_jobs_request("x")), (JobsExt.get_run, get_run_request(1))):
        inspect.signature(method).bind(None, **request)

def test_dev_copy_names():
    assert is_dev_copy("[dev alice_smith] gold_hydration", "gold_hydration")
    assert is_dev_copy("[dev alice] Gold_Hydration", "gold_hydration")
    assert not is_dev_copy("gold_hydration", "gold_hydration")
    assert not is_dev_copy("[dev alice] gold_hydration_v2", "gold_hydration")
    assert not is_dev_copy("[prod] gold_hydration", "gold_hydration")

def test_job_found_by_exact_name():
    w = workspace()
    w.jobs.list.side_effect = [iter([job(42, "gold_hydration")]), iter([job(7, "other")])]
    assert find_job(w, "gold_hydration").job_id == 42
    assert w.jobs.list.call_args_list == [call(name="gold_hydration", limit=100), call(limit=100)]
    w.current_user.me.assert_not_called()  # no development copies: no need to know who we are

def test_development_copy_of_the_caller_is_found_among_others():
    w = workspace()
    w.jobs.list.side_effect = [iter([]), iter([
        job(5, "[dev bob] gold_hydration", "bob@example.com"),
        job(6, "[dev alice] gold_hydration", "alice@example.com"),
        job(7, "[dev alice] healthmon_bootstrap", "alice@example.com"),
    ])]
    w.current_user.me.return_value = User.from_dict({"userName": "alice@example.com"})
    assert find_job(w, "gold_hydration").job_id == 6

def test_production_job_and_own_development_copy_are_ambiguous():
    w = workspace()
    w.jobs.list.side_effect = [iter([job(42, "gold_hydration")]), iter([job(6, "[dev alice] gold_hydration", "alice@example.com")])]
    w.current_user.me.return_value = User.from_dict({"userName": "alice@example.com"})
    with pytest.raises(WorkspaceError) as err:
        find_job(w, "gold_hydration")
    assert str(err.value) == ("2 jobs match 'gold_hydration': 42 'gold_hydration', 6 '[dev alice] gold_hydration'; "
                              "pass --job-id N or the exact --job-name")

def test_no_job_names_what_was_found_and_what_to_do():
    w = workspace()
    w.jobs.list.side_effect = [iter([]), iter([job(5, "[dev bob] gold_hydration", "bob@example.com")])]
    w.current_user.me.return_value = User.from_dict({"userName": "alice@example.com"})
    with pytest.raises(WorkspaceError) as err:
        find_job(w, "gold_hydration")
    assert str(err.value) == (
        "no job named 'gold_hydration' and no development copy '[dev ...] gold_hydration' created by alice@example.com; "
        "development copies of other users: 5 '[dev bob] gold_hydration'; deploy the bundle (databricks bundle deploy) or pass --job-id N"
    )

def test_an_exact_development_name_needs_one_list_call():
    w = workspace()
    w.jobs.list.side_effect = [iter([job(6, "[dev alice] gold_hydration")])]
    assert find_job(w, "[dev alice] gold_hydration").job_id == 6
    assert w.jobs.list.call_args_list == [call(name="[dev alice] gold_hydration", limit=100)]

def test_status_lists_the_run_state_and_every_task():
    assert describe_run(RUNNING).splitlines() == [
        "run 901 of job 42 (gold_hydration): RUNNING",
        "message: In run",
        "url: https://adb-1.azuredatabricks.net/?o=1#job/42/run/901",
        "task     state       result   detail",
        "-------  ----------  -------  " + "-" * 52,
        "plan     TERMINATED  SUCCESS",
        "layer_0  RUNNING              3/5 iterations succeeded, 1 failed, 1 active; In run",
        "layer_1  BLOCKED",
        "summary  PENDING",
    ]

def test_status_falls_back_to_the_newer_status_field():
    run = Run.from_dict({"run_id": 3, "job_id": 4, "run_name": "gold_hydration",
                         "status": {"state": "TERMINATED", "termination_details": {"code": "SUCCESS", "message": "done"}}})
    assert describe_run(run) == "run 3 of job 4 (gold_hydration): TERMINATED SUCCESS\nmessage: done"

def test_status_command_gets_the_run_and_prints_it():
    w, lines = workspace(), []
    w.jobs.get_run.return_value = FAILED
    assert job_command(args("status", "902"), client=w, out=lines.append) == 0
    w.jobs.get_run.assert_called_once_with(run_id=902)
    assert lines[0].splitlines()[:3] == ["run 902 of job 42 (gold_hydration): TERMINATED FAILED",
                                         "message: 1 of 3 tasks failed", "url: https://h/#job/42/run/902"]
    assert "summary  TERMINATED  FAILED   run r1: fact_usage FAILED" in lines[0]

def test_an_sdk_error_names_what_was_being_done():
    w = workspace()
    w.jobs.get_run.side_effect = NotFound("Run 999 does not exist.", error_code="RESOURCE_DOES_NOT_EXIST")
    with pytest.raises(WorkspaceError, match=r"^reading run 999: NotFound: Run 999 does not exist\.$"):
        job_command(args("status", "999"), client=w, out=print)

def started(w, run_id: int) -> Wait:
    """What the real ``jobs.run_now`` returns: the SDK's ``Wait`` bound to its own waiter."""
    return Wait(w.jobs.wait_get_run_job_terminated_or_skipped, response=RunNowResponse(run_id=run_id), run_id=run_id)

def test_run_by_id_sends_the_filters_and_points_at_the_run():
    w, lines = workspace(), []
    w.jobs.run_now.return_value = started(w, 901)
    w.jobs.get_run.return_value = RUNNING
    code = job_command(args("run", "--job-id", "42", "--domain", "billing", "--table", "fact_usage", "--table", "dim_sku"), client=w, out=lines.append)
    assert code == 0
    w.jobs.list.assert_not_called()
    w.jobs.run_now.assert_called_once_with(job_id=42, job_parameters={"domain": "billing", "tables": "fact_usage,dim_sku", "full_refresh": "false"})
    w.jobs.wait_get_run_job_terminated_or_skipped.assert_not_called()
    assert lines == [
        "job 42: started run 901 (domain='billing' tables='fact_usage,dim_sku' full_refresh='false')",
        "url: https://adb-1.azuredatabricks.net/?o=1#job/42/run/901",
        "follow it: healthmon job status 901",
    ]

def test_run_by_name_with_wait_polls_and_exits_1_when_the_run_failed():
    w, lines, progress = workspace(), [], []
    w.jobs.list.side_effect = [iter([job(42, "gold_hydration")]), iter([])]
    w.jobs.run_now.return_value = started(w, 902)
    w.jobs.wait_get_run_job_terminated_or_skipped.return_value = FAILED
    code = job_command(args("run", "--full-refresh", "--wait"), client=w, out=lines.append, progress=progress.append)
    assert code == 1
    w.jobs.run_now.assert_called_once_with(job_id=42, job_parameters={"domain": "", "tables": "", "full_refresh": "true"})
    waited = w.jobs.wait_get_run_job_terminated_or_skipped.call_args
    assert waited.kwargs["run_id"] == 902 and waited.kwargs["timeout"] == WAIT_TIMEOUT
    waited.kwargs["callback"](RUNNING)  # the SDK calls it on every poll; a new state is printed once
    waited.kwargs["callback"](RUNNING)
    assert progress == ["run 901: RUNNING"]
    assert lines[0] == "job 42 'gold_hydration': started run 902 (domain='' tables='' full_refresh='true')"
    assert lines[1].startswith("run 902 of job 42 (gold_hydration): TERMINATED FAILED")

def test_job_arguments_parse():
    a = args("run", "--job-name", "[dev alice] gold_hydration", "--table", "a", "--table", "b", "--full-refresh", "--wait", "--profile", "dev")
    assert (a.command, a.verb, a.job_id, a.job_name, a.tables, a.domains, a.full_refresh, a.wait, a.profile) == \
        ("job", "run", None, "[dev alice] gold_hydration", ["a", "b"], None, True, True, "dev")
    s = args("status", "123")
    assert (s.verb, s.run_id, s.profile) == ("status", 123, None)

def test_job_id_and_job_name_exclude_each_other(capsys):
    with pytest.raises(SystemExit) as exit_:
        args("run", "--job-id", "1", "--job-name", "x")
    assert exit_.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
