"""Drives the real `pulumi` CLI on a throw-away copy of the project.

Each test gets its own project folder (the repo's Pulumi.yaml, __main__.py and
provider/ linked in, a stacks/ folder of its own), its own PULUMI_HOME and its
own state backend (a folder, or a database of tests/e2e/postgres.py), so tests
never see each other's stacks or the demo's.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
PULUMI_BIN = REPO / ".cache" / "pulumi" / "bin"
TIMEOUT = 600


@dataclass
class PulumiProject:
    """A project folder plus the environment every `pulumi` call in it runs with."""

    root: Path
    stack: str
    # Not in tracebacks: the env holds the backend URL (a postgres:// one, its password).
    env: dict[str, str] = field(default_factory=dict, repr=False)
    transcript: list[str] = field(default_factory=list, repr=False)
    secrets: dict[str, str] = field(default_factory=dict, repr=False)  # what must never leak

    @classmethod
    def create(
        cls, root: Path, stack: str, env: dict[str, str], backend: str | None = None
    ) -> PulumiProject:
        """A new project folder. `backend` is a state backend URL (`file://…`, `postgres://…`)
        to share state with other folders, as another CI run does; by default a folder of its
        own, `.pulumi-state`."""
        backend = backend or f"file://{root / '.pulumi-state'}"
        root.mkdir(parents=True, exist_ok=True)
        for name in ("Pulumi.yaml", "__main__.py", "provider", ".venv"):
            (root / name).symlink_to(REPO / name)
        (root / "stacks").mkdir()
        base = {
            key: value
            for key, value in os.environ.items()
            # PG*: libpq's settings, which a postgres:// backend URL would inherit
            if not key.startswith(("BITRIX24_", "PULUMI_", "PG"))
        }
        base.update(
            PATH=f"{PULUMI_BIN}{os.pathsep}{REPO / '.venv' / 'bin'}{os.pathsep}{base['PATH']}",
            PULUMI_HOME=str(root / ".pulumi-home"),
            PULUMI_BACKEND_URL=backend,
            PULUMI_CONFIG_PASSPHRASE="e2e-test",
            PULUMI_SKIP_UPDATE_CHECK="true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
            BITRIX24_TOKEN_STORE=str(root / ".tokens"),
        )
        base.update(env)
        if backend.startswith("file://"):
            Path(backend.removeprefix("file://")).mkdir(exist_ok=True)
        project = cls(root, stack, base)
        project.run("stack", "select", "--create", stack)
        return project

    def write_stack(self, data: dict[str, Any] | str) -> Path:
        path = self.root / "stacks" / f"{self.stack}.yaml"
        text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
        path.write_text(text)
        return path

    def command(self, *args: str) -> list[str]:
        """The argv of `pulumi <args>` in this folder, on this stack, with no prompt."""
        cmd = ["pulumi", *args, "--non-interactive", "--cwd", str(self.root)]
        if args[0] not in ("stack", "config"):
            cmd += ["--stack", self.stack]
        return cmd

    def run(
        self,
        *args: str,
        check: bool = True,
        env: dict[str, str] | None = None,
        stdin: str = "",
        timeout: float = TIMEOUT,
    ):
        cmd = self.command(*args)
        # A preview persists nothing, yet the engine serialises the whole deployment after
        # every step of it unless told not to: skip that, as the README advises for CI.
        quick = {"PULUMI_SKIP_CHECKPOINTS": "true"} if "preview" in args[:1] else {}
        result = subprocess.run(
            cmd,
            env={**self.env, **quick, **(env or {})},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        self.transcript.append(f"$ {' '.join(args)}\n{result.stdout}\n{result.stderr}")
        if check and result.returncode != 0:
            raise AssertionError(
                f"pulumi {' '.join(args)} exited {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    def config_set(self, key: str, value: str, *, secret: bool = False) -> None:
        """Set a config value the way a careful person does: through stdin, not argv."""
        flags = ["--secret"] if secret else []
        self.run("config", "set", "--stack", self.stack, key, *flags, stdin=value)

    def connect(self, portal: Any, client_id: str, client_secret: str) -> dict[str, str]:
        """Give the stack a fresh token pair from a sandbox `portal` the way a user would: as
        secret stack config. Returns the secrets handed out, to check none of them leaks."""
        tokens = portal.issue_tokens(client_id)
        self.config_set("bitrix24:clientId", client_id)
        self.config_set("bitrix24:clientSecret", client_secret, secret=True)
        self.config_set("bitrix24:refreshToken", tokens["refresh_token"], secret=True)
        self.config_set("bitrix24:accessToken", tokens["access_token"], secret=True)
        self.config_set("bitrix24:oauthServer", portal.url)
        return {"client_secret": client_secret, **tokens}

    def up(self, *extra: str, check: bool = True):
        return self.run("up", "--yes", "--skip-preview", *extra, check=check)

    def preview_json(self, *extra: str, check: bool = True) -> dict[str, Any]:
        result = self.run("preview", "--json", *extra, check=check)
        return json.loads(result.stdout)

    def state(self) -> dict[str, Any]:
        return json.loads(self.run("stack", "export", "--stack", self.stack).stdout)

    def line_resources(self) -> dict[str, dict[str, Any]]:
        """The ExternalLine resources in state, by number."""
        resources = self.state()["deployment"].get("resources", [])
        return {
            res["outputs"]["number"]: res
            for res in resources
            if res["type"] == "pulumi-python:dynamic/bitrix24:ExternalLine"
        }
