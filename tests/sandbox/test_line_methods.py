"""The four telephony.externalLine methods, their values and every documented error."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from sandbox import Sandbox

from .conftest import APP, Portal, error_of

ADD, UPDATE = "telephony.externalLine.add", "telephony.externalLine.update"
GET, DELETE = "telephony.externalLine.get", "telephony.externalLine.delete"
TIME_FIELDS = {
    "start",
    "finish",
    "duration",
    "processing",
    "date_start",
    "date_finish",
    "operating",
    "operating_reset_at",
}


def test_add_get_update_delete_round_trip(portal: Portal) -> None:
    assert portal.ok(ADD, NUMBER="+74951234567", NAME="Office", CRM_AUTO_CREATE="N") == {"ID": 1}
    assert portal.ok(GET) == [{"NUMBER": "+74951234567", "NAME": "Office", "CRM_AUTO_CREATE": "N"}]
    assert portal.ok(UPDATE, NUMBER="+74951234567", NAME="Sales") == {"ID": "1"}
    assert portal.ok(GET) == [{"NUMBER": "+74951234567", "NAME": "Sales", "CRM_AUTO_CREATE": "N"}]
    assert portal.ok(DELETE, NUMBER="+74951234567") == []
    assert portal.ok(GET) == []


def test_add_defaults_name_to_empty_and_crm_to_y(portal: Portal) -> None:
    portal.ok(ADD, NUMBER="100")
    assert portal.ok(GET) == [{"NUMBER": "100", "NAME": "", "CRM_AUTO_CREATE": "Y"}]


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("Y", "Y"),
        ("N", "N"),
        ("y", "N"),
        (True, "N"),
        (1, "N"),
        ("1", "N"),
        ("yes", "N"),
    ],
)
def test_crm_auto_create_is_y_only_for_the_string_y(portal: Portal, sent, stored) -> None:
    portal.ok(ADD, NUMBER="100", CRM_AUTO_CREATE=sent)
    portal.ok(ADD, NUMBER="200", CRM_AUTO_CREATE="Y" if stored == "N" else "N")
    portal.ok(UPDATE, NUMBER="200", CRM_AUTO_CREATE=sent)
    assert [line["CRM_AUTO_CREATE"] for line in portal.ok(GET)] == [stored, stored]


def test_number_is_trimmed_then_matched_exactly(portal: Portal) -> None:
    portal.ok(ADD, NUMBER="  +74951234567\t")
    portal.ok(ADD, NUMBER="74951234567")
    assert [line["NUMBER"] for line in portal.ok(GET)] == ["+74951234567", "74951234567"]
    assert portal.ok(UPDATE, NUMBER=" 74951234567 ", NAME="no plus") == {"ID": "2"}
    assert portal.ok(GET)[0]["NAME"] == ""


def test_update_changes_only_the_fields_given_and_never_the_number(portal: Portal) -> None:
    portal.ok(ADD, NUMBER="100", NAME="Office", CRM_AUTO_CREATE="N")
    portal.ok(UPDATE, NUMBER="100", CRM_AUTO_CREATE="Y", NEW_NUMBER="200")
    portal.ok(UPDATE, NUMBER="100", NAME="")
    assert portal.ok(GET) == [{"NUMBER": "100", "NAME": "", "CRM_AUTO_CREATE": "Y"}]


def test_ids_grow_and_are_never_reused(portal: Portal, sandbox: Sandbox) -> None:
    assert portal.ok(ADD, NUMBER="100") == {"ID": 1}
    portal.ok(DELETE, NUMBER="100")
    assert portal.ok(ADD, NUMBER="100") == {"ID": 2}
    assert sandbox.lines(APP) == [{"ID": 2, "NUMBER": "100", "NAME": "", "CRM_AUTO_CREATE": "Y"}]


@pytest.mark.parametrize("method", [ADD, UPDATE, DELETE])
@pytest.mark.parametrize("number", [None, "", "   "])
def test_number_should_not_be_empty(portal: Portal, method: str, number: str | None) -> None:
    params = {"NAME": "x"} if number is None else {"NUMBER": number, "NAME": "x"}
    assert error_of(portal.call(method, **params)) == (400, "", "NUMBER should not be empty")


def test_line_already_exists(portal: Portal) -> None:
    portal.ok(ADD, NUMBER="100")
    assert error_of(portal.call(ADD, NUMBER=" 100")) == (400, "", "Line already exists")


@pytest.mark.parametrize("method", [UPDATE, DELETE])
def test_could_not_find_line(portal: Portal, method: str) -> None:
    reply = portal.call(method, NUMBER=" +7 495 ", NAME="x")
    assert error_of(reply) == (400, "", "Could not find line with number +7 495")


def test_there_are_no_fields_to_update(portal: Portal) -> None:
    portal.ok(ADD, NUMBER="100")
    reply = portal.call(UPDATE, NUMBER="100", NAME=None)
    assert error_of(reply) == (400, "", "There are no fields to update")


@pytest.mark.parametrize("number", [{}, {"NUMBER": ""}, {"NUMBER": "404"}])
def test_no_fields_is_checked_before_the_number(portal: Portal, number: dict) -> None:
    """vi_rest.php refuses an empty update before the helper looks at NUMBER."""
    reply = portal.call(UPDATE, **number)
    assert error_of(reply) == (400, "", "There are no fields to update")


def test_db_error_on_add_by_switch_and_by_overlong_values(portal: Portal, sandbox) -> None:
    assert error_of(portal.call(ADD, NUMBER="1" * 51)) == (400, "", "DB error")
    assert error_of(portal.call(ADD, NUMBER="100", NAME="n" * 256)) == (400, "", "DB error")
    portal.ok(ADD, NUMBER="1" * 50, NAME="n" * 255)
    # addExternalLine does not look before it inserts: a failing insert is "DB error"
    # whether or not the number is taken, and so is a taken number with an overlong name.
    assert error_of(portal.call(ADD, NUMBER="1" * 50, NAME="n" * 256)) == (400, "", "DB error")
    sandbox.configure(db_error=True)
    assert error_of(portal.call(ADD, NUMBER="200")) == (400, "", "DB error")
    assert error_of(portal.call(ADD, NUMBER="1" * 50)) == (400, "", "DB error")
    assert len(portal.ok(GET)) == 1


def test_error_code_switch_gives_the_documented_code(portal: Portal, sandbox) -> None:
    sandbox.configure(error_code="ERROR_CORE")
    reply = portal.call(DELETE, NUMBER="100")
    assert error_of(reply) == (400, "ERROR_CORE", "Could not find line with number 100")


def test_lines_belong_to_their_application(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.add_app("app.2", "secret2")
    other = sandbox.issue_tokens("app.2")["access_token"]
    portal.ok(ADD, NUMBER="100", NAME="mine")
    assert portal.call(ADD, token=other, NUMBER="100", NAME="theirs").json()["result"] == {"ID": 2}
    assert portal.ok(GET) == [{"NUMBER": "100", "NAME": "mine", "CRM_AUTO_CREATE": "Y"}]
    assert portal.call(GET, token=other).json()["result"][0]["NAME"] == "theirs"
    portal.ok(DELETE, NUMBER="100")
    assert [line["NAME"] for line in sandbox.lines("app.2")] == ["theirs"]


def test_json_suffix_form_body_query_params_and_any_case(portal: Portal) -> None:
    url, token = portal.sb.url + "/rest/", portal.tokens["access_token"]
    reply = portal.http.post(
        url + "telephony.externalLine.add.json",
        data={"auth": token, "NUMBER": "100", "NAME": "form"},
    )
    assert reply.json()["result"] == {"ID": 1}
    reply = portal.http.post(
        url + "TELEPHONY.EXTERNALLINE.ADD", params={"auth": token, "NUMBER": "200", "NAME": "query"}
    )
    assert reply.json()["result"] == {"ID": 2}
    reply = portal.http.get(url + "telephony.externalLine.get", params={"auth": token})
    assert [line["NAME"] for line in reply.json()["result"]] == ["form", "query"]


def test_successes_carry_the_time_block_and_errors_only_in_the_docs_reading(
    portal: Portal, sandbox: Sandbox
) -> None:
    failing = (lambda: portal.call(DELETE, NUMBER="1"), lambda: portal.call(GET, token=None))
    assert all("time" not in call().json() for call in failing)  # the rest module's answer
    sandbox.configure(error_time_block=True)  # the docs: "every response"
    for reply in (portal.call(GET), *(call() for call in failing)):
        block = reply.json()["time"]
        assert set(block) == TIME_FIELDS
        assert block["finish"] >= block["start"]
        assert block["date_start"][:4].isdigit() and "T" in block["date_start"]


def test_malformed_json_is_refused(portal: Portal) -> None:
    reply = portal.http.post(
        portal.sb.url + "/rest/scope", data=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert error_of(reply) == (400, "INVALID_REQUEST", "Malformed JSON body")


def test_concurrent_adds_of_one_number_create_exactly_one_line(sandbox: Sandbox) -> None:
    portals = [Portal(sandbox) for _ in range(8)]
    barrier = threading.Barrier(len(portals))

    def add(portal: Portal) -> int:
        barrier.wait()
        return portal.call(ADD, NUMBER="100").status_code

    with ThreadPoolExecutor(len(portals)) as pool:
        statuses = sorted(pool.map(add, portals))
    assert statuses == [200] + [400] * 7
    assert len(sandbox.lines(APP)) == 1


def test_legacy_lines_lose_the_flag_and_an_update_without_name_empties_it(
    portal: Portal, sandbox: Sandbox
) -> None:
    """voximplant before 23.0.0, as its older helper.php writes lines."""
    sandbox.configure(legacy_lines=True)
    portal.ok(ADD, NUMBER="100", NAME="Reception", CRM_AUTO_CREATE="N")
    assert portal.ok(GET) == [{"NUMBER": "100", "NAME": "Reception"}]
    portal.ok(UPDATE, NUMBER="100", CRM_AUTO_CREATE="N")  # no NAME: written empty
    assert portal.ok(GET) == [{"NUMBER": "100", "NAME": ""}]
    sandbox.configure(legacy_lines=False)
    assert portal.ok(GET) == [{"NUMBER": "100", "NAME": "", "CRM_AUTO_CREATE": "Y"}]


def test_a_refused_database_write_is_a_500_error_core(portal: Portal, sandbox: Sandbox) -> None:
    portal.ok(ADD, NUMBER="100", NAME="Reception")
    sandbox.configure(sql_error=True)
    for method, params in ((UPDATE, {"NAME": "x"}), (DELETE, {})):
        reply = portal.call(method, NUMBER="100", **params)
        assert error_of(reply) == (500, "ERROR_CORE", "SQL query error!")
    assert error_of(portal.call(DELETE, NUMBER="404"))[2] == "Could not find line with number 404"
    sandbox.configure(sql_error=False)
    assert portal.ok(GET) == [{"NUMBER": "100", "NAME": "Reception", "CRM_AUTO_CREATE": "Y"}]


def test_a_shared_time_budget_blocks_every_caller_of_the_method(sandbox: Sandbox) -> None:
    sandbox.configure(time_budget=0.01, call_cost=0.02, shared_time_budget=True)
    first = Portal(sandbox)
    sandbox.add_app("local.other", "other-secret")
    other = sandbox.issue_tokens("local.other")["access_token"]
    assert first.call(GET).status_code == 200
    assert error_of(first.call(GET, token=other))[:2] == (429, "OPERATION_TIME_LIMIT")
    sandbox.configure(shared_time_budget=False)  # one budget per application
    assert first.call(GET, token=other).status_code == 200
