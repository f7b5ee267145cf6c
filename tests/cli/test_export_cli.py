"""`python -m provider export` as a person runs it, against a sandbox portal over HTTP."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from provider.stack import stackfile
from sandbox import Sandbox
from tests.cli.conftest import provider_cli

APP, SECRET = "local.export", "export-secret-never-printed"
GET = "telephony.externalLine.get"
AWKWARD = [  # (NUMBER, NAME, CRM_AUTO_CREATE) as a portal may hold them
    ("012345", "Leading zero", "Y"),
    ("+74951234567", "Moscow: main", "N"),
    ("74951234567", 'He said "hi" # not a comment', "Y"),
    ("yes", "Привет, отдел продаж ☎", "N"),
    ("12:30:00", "null", "Y"),
    ("1.5e10", "0x1F", "Y"),
    ("~", "- dash", "N"),
    ("0o17", "'single' quotes", "Y"),
]


@pytest.fixture
def portal():
    with Sandbox(rate=0) as sb:
        sb.add_app(APP, SECRET)
        sb.bind_event(APP)  # set up as the guides say: its handler takes the calls
        yield sb


@pytest.fixture
def tokens(portal: Sandbox) -> dict:
    return portal.issue_tokens(APP)


def export(
    cwd: Path, portal: Sandbox, tokens: dict, *args: str, **env: str
) -> subprocess.CompletedProcess:
    settings = {
        "BITRIX24_CLIENT_ID": APP,
        "BITRIX24_CLIENT_SECRET": SECRET,
        "BITRIX24_REFRESH_TOKEN": tokens["refresh_token"],
        "BITRIX24_OAUTH_SERVER": portal.url,
        "BITRIX24_TOKEN_STORE": str(cwd / ".tokens"),
    }
    return provider_cli("export", *args, cwd=cwd, **{**settings, **env})


def seed(portal: Sandbox, lines=AWKWARD) -> None:
    for number, name, crm in lines:
        portal.seed_line(APP, number, name, crm)


def declared(path: Path) -> dict[str, tuple[str, bool, bool]]:
    return {
        line.number: (line.name, line.crm_auto_create, line.adopt)
        for line in stackfile.load(path).lines
    }


def test_export_loads_back_to_exactly_the_portals_values(tmp_path, portal, tokens):
    seed(portal)
    portal.register_call(APP, "88005553535")  # a nameless line, as a call creates it
    portal.clear_log()
    out = tmp_path / "prod.yaml"

    result = export(tmp_path, portal, tokens, "--portal", portal.url, "--output", str(out))

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    methods = [e["method"] for e in portal.request_log() if e["method"] != "oauth/token"]
    assert sorted(methods) == sorted([GET, "app.info", "event.get"])  # the lines, whose they are
    expected = {number: (name, crm == "Y", True) for number, name, crm in AWKWARD}
    expected["88005553535"] = ("88005553535", True, True)  # nameless: named after its number
    assert declared(out) == expected
    text = out.read_text()
    assert text.startswith("# yaml-language-server: $schema=./schema.json\n")
    assert f"\nportal: {portal.url}\nadopt: true" in text
    numbers = [line.number for line in stackfile.load(out).lines]
    assert numbers == sorted(numbers)
    entry = text.index('- number: "88005553535"')
    assert "names it after its number" in text[text.rindex("lines:", 0, entry) : entry]
    assert "deletes nameless lines with CRM_AUTO_CREATE=Y after 90 days" in text
    assert text.count("names it after its number") == 1  # only the nameless line
    validate = provider_cli("validate", str(out))
    assert validate.returncode == 0, validate.stderr
    assert "the first `pulumi up` renames 1 of them" in result.stderr
    assert SECRET not in result.stderr and tokens["refresh_token"] not in result.stderr


def test_the_same_portal_exports_the_same_text(tmp_path, portal, tokens):
    seed(portal, reversed(AWKWARD))
    first = export(tmp_path, portal, tokens, "--portal", portal.url)
    second = export(tmp_path, portal, tokens, "--portal", portal.url)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    other = tmp_path / "other"
    other.mkdir()
    with Sandbox(rate=0) as again:  # the same lines, listed by the portal in another order
        again.add_app(APP, SECRET)
        again.bind_event(APP)
        seed(again)
        result = export(other, again, again.issue_tokens(APP), "--portal", again.url)
        assert result.stdout == first.stdout.replace(portal.url, again.url)


def test_an_existing_file_is_kept_unless_forced(tmp_path, portal, tokens):
    seed(portal)
    out = tmp_path / "prod.yaml"
    out.write_text("# mine\n")

    refused = export(tmp_path, portal, tokens, "--portal", portal.url, "--output", str(out))

    assert refused.returncode == 1
    assert refused.stderr == (
        f"export: output: {out} already exists. Fix: add --merge to add the portal's lines it"
        " lacks and keep the rest, --force to replace it, or --output - to print the export"
        " instead\n"
    )
    assert out.read_text() == "# mine\n"
    assert portal.request_log() == []  # refused before any call
    forced = export(tmp_path, portal, tokens, "--portal", portal.url, "-o", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert len(declared(out)) == len(AWKWARD)


def test_a_line_no_stack_file_can_declare_is_reported_not_dropped_silently(
    tmp_path, portal, tokens
):
    seed(portal, [("0123", "Fine", "Y"), ("495 123", "Inner space", "Y")])
    result = export(tmp_path, portal, tokens, "--portal", portal.url)
    assert result.returncode == 0, result.stderr
    assert '"0123"' in result.stdout and "495 123" not in result.stdout
    assert (
        "export: line '495 123' is not exported (number: '495 123' has U+0020 SPACE at"
        " character 4; NUMBER is matched as exact text, so it takes printable ASCII only,"
        " without spaces)"
    ) in result.stderr
    assert "no stack file can declare it, so it stays on the portal, unmanaged" in result.stderr


def test_the_portal_comes_from_the_token_store_after_auth(tmp_path, portal, tokens):
    seed(portal)
    code = portal.issue_auth_code(APP)
    env = {"BITRIX24_REFRESH_TOKEN": ""}
    authorised = provider_cli(
        "auth",
        "--code",
        stdin=code,
        BITRIX24_CLIENT_ID=APP,
        BITRIX24_CLIENT_SECRET=SECRET,
        BITRIX24_OAUTH_SERVER=portal.url,
        BITRIX24_TOKEN_STORE=str(tmp_path / ".tokens"),
    )
    assert authorised.returncode == 0, authorised.stderr
    result = export(tmp_path, portal, tokens, **env)
    assert result.returncode == 0, result.stderr
    assert f"portal: {portal.url}\n" in result.stdout


def test_without_a_portal_it_says_how_to_name_one(tmp_path, portal, tokens):
    result = export(tmp_path, portal, tokens)
    assert result.returncode == 1
    assert result.stderr == (
        "export: portal: is unknown: the credentials do not name it. "
        "Fix: pass --portal https://<your-portal>.bitrix24.com\n"
    )


def test_a_portal_without_lines_has_nothing_to_export(tmp_path, portal, tokens):
    result = export(tmp_path, portal, tokens, "--portal", portal.url)
    assert result.returncode == 1
    assert "holds no line this application can manage" in result.stderr


MINE = """\
# yaml-language-server: $schema=./schema.json
# Production lines. Ask #telephony before changing.
portal: {url}
lines:
  # the switchboard
  - number: "+74951234567"
    name: Moscow HQ        # renamed on purpose
    crm_auto_create: false
  - number: "74990000000"  # ordered 2026-11, not connected yet
    name: New office
# end of lines
"""


def test_merge_adds_missing_lines_and_keeps_the_file_as_written(tmp_path, portal, tokens):
    seed(portal)
    portal.register_call(APP, "88005553535")
    path = tmp_path / "stacks" / "prod.yaml"
    path.parent.mkdir()
    mine = MINE.format(url=portal.url)
    path.write_text(mine)

    result = export(tmp_path, portal, tokens, "--output", str(path), "--merge")

    assert result.returncode == 0, result.stderr
    merged = path.read_text()
    kept = mine.splitlines()
    assert merged.splitlines()[: len(kept) - 1] == kept[:-1]  # every line, in order
    assert merged.endswith("\n# end of lines\n")  # the footer stays last
    lines = declared(path)
    assert lines["+74951234567"] == ("Moscow HQ", False, False)  # the file's values win
    assert lines["74990000000"] == ("New office", True, False)
    for number, name, crm in AWKWARD[:1] + AWKWARD[2:]:
        assert lines[number] == (name, crm == "Y", True)
    assert lines["88005553535"] == ("88005553535", True, True)
    assert len(lines) == len(AWKWARD) + 2
    assert result.stderr.splitlines()[:2] == [
        f"export: {path}:6: '+74951234567' is name 'Moscow: main', crm_auto_create false on the"
        " portal and name 'Moscow HQ', crm_auto_create false here; kept: the next `pulumi up`"
        " sets this file's values",
        f"export: {path}:9: '74990000000' is declared here but not on the portal; kept: the"
        " next `pulumi up` adds it (remove the entry if the line should be gone)",
    ]
    assert f"added {len(AWKWARD)} lines of {portal.url} to {path}" in result.stderr

    again = export(tmp_path, portal, tokens, "--output", str(path), "--merge")
    assert again.returncode == 0, again.stderr
    assert path.read_text() == merged  # nothing left to add
    assert "added 0 lines" in again.stderr
    assert "next: review" in again.stderr


def test_merge_inserts_before_a_key_that_follows_the_list(tmp_path, portal, tokens):
    seed(portal, AWKWARD[:2])
    path = tmp_path / "prod.yaml"
    path.write_text(
        f'portal: {portal.url}\nlines:\n- number: "012345"\n  name: Zero\n\n'
        "# portal-wide\nadopt: false\n"
    )
    result = export(tmp_path, portal, tokens, "--output", str(path), "--merge")
    assert result.returncode == 0, result.stderr
    assert path.read_text() == (
        f'portal: {portal.url}\nlines:\n- number: "012345"\n  name: Zero\n'
        "# added by `python -m provider export --merge`: on the portal, missing here\n"
        '- number: "+74951234567"\n  name: "Moscow: main"\n  crm_auto_create: false\n'
        "  adopt: true\n\n# portal-wide\nadopt: false\n"
    )


def test_merge_refuses_a_broken_file_before_any_call(tmp_path, portal, tokens):
    path = tmp_path / "prod.yaml"
    path.write_text(f"portal: {portal.url}\nlines:\n  - number: 1.5e10\n")
    result = export(tmp_path, portal, tokens, "--output", str(path), "--merge")
    assert result.returncode == 1
    assert result.stderr.startswith(f"export: {path}:3:13: number: 1.5e10 without quotes")
    assert portal.request_log() == []


def test_a_merge_the_stack_file_could_not_hold_writes_nothing(tmp_path, portal, tokens):
    seed(portal, AWKWARD[:1])
    path = tmp_path / "prod.yaml"
    full = "".join(f'  - number: "7495{n:07d}"\n' for n in range(stackfile.MAX_LINES))
    path.write_text(f"portal: {portal.url}\nlines:\n{full}")
    before = path.read_text()

    result = export(tmp_path, portal, tokens, "--output", str(path), "--merge")

    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"export: output: nothing written: the text for {path} would not load back as it should"
        f" ({path}:3:3: file: holds more than 2,000 entries. Fix: keep at most 2,000 entries in"
        " one list or mapping). Fix: copy the missing entries by hand from `python -m provider"
        " export --output -`"
    )
    assert path.read_text() == before
    assert list(tmp_path.glob(".export-*")) == []  # the temporary file is gone


def test_merge_into_a_missing_file_says_to_leave_out_merge(tmp_path, portal, tokens):
    path = tmp_path / "prod.yaml"
    result = export(tmp_path, portal, tokens, "--output", str(path), "--merge")
    assert (result.returncode, result.stderr) == (
        1,
        f"export: --merge: {path} does not exist. Fix: leave out --merge to write it\n",
    )
    assert not path.exists()


def test_through_a_webhook_the_export_stops_with_one_message(tmp_path, portal) -> None:
    """A webhook lists the lines of no application (a SIP connector's number here), which no
    application can take over: exporting them would make `adopt: true` add new lines."""
    code = "exportwebhookcode0123456789"
    portal.add_webhook(user_id=1, code=code)
    portal.add_sip_line("74950001122", "Office PBX")
    result = provider_cli(
        "export",
        "--portal",
        portal.url,
        cwd=tmp_path,
        BITRIX24_WEBHOOK_URL=f"{portal.url}/rest/1/{code}/",
    )
    assert result.returncode == 1 and result.stdout == ""
    (message,) = result.stderr.splitlines()
    assert message.startswith("export: webhook mode neither reads nor writes lines")
    assert message.count("Fix:") == 1 and "Fix: use OAuth" in message
    assert code not in result.stderr and portal.request_log() == []
