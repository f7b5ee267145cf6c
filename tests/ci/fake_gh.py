#!/usr/bin/env python3
"""A stand-in for the `gh` CLI, for the few calls the GitHub workflow makes.

GitHub is not reachable from the tests, so this keeps a pull request's comments
(one list for every pull request, whose number is checked against `pr` when set), the
pull requests each commit came with (`pulls`, by commit) and the environments' secrets
in a JSON file (FAKE_GH_STATE), and answers:

    gh api --paginate repos/R/issues/N/comments --jq EXPR      (EXPR run by the real jq)
    gh api repos/R/commits/SHA/pulls --jq EXPR                 the pull requests of a commit
    gh api --method POST repos/R/issues/N/comments -F body=@FILE
    gh api --method PATCH repos/R/issues/comments/ID -F body=@FILE
    gh secret set NAME --env ENV --repo R                      (the value on stdin)

Anything else fails loudly, so a workflow change the fake does not know is seen.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if not os.environ.get("GH_TOKEN"):
        print("gh: GH_TOKEN is not set", file=sys.stderr)
        return 4
    state_path = Path(os.environ["FAKE_GH_STATE"])
    state = json.loads(state_path.read_text())
    state.setdefault("calls", []).append(argv)
    code = handle(state, argv)
    state_path.write_text(json.dumps(state))
    return code


def handle(state: dict, argv: list[str]) -> int:
    if argv[:2] == ["secret", "set"]:
        name, env = argv[2], argv[argv.index("--env") + 1]
        state.setdefault("secrets", {})[f"{env}/{name}"] = sys.stdin.read().strip()
        return 0
    if argv[0] != "api":
        return unknown(argv)
    method = argv[argv.index("--method") + 1] if "--method" in argv else "GET"
    path = next(arg for arg in argv[1:] if arg.startswith("repos/"))
    comments = state.setdefault("comments", [])
    issue = re.fullmatch(r"repos/[^/]+/[^/]+/issues/(\d+)/comments", path)
    if issue and str(state.get("pr", issue.group(1))) != issue.group(1):
        print(f"fake gh: HTTP 404: no pull request {issue.group(1)}", file=sys.stderr)
        return 1
    if method == "GET" and issue:
        return jq(argv, comments)
    if method == "GET" and (commit := re.fullmatch(r"repos/[^/]+/[^/]+/commits/(\w+)/pulls", path)):
        return jq(argv, state.get("pulls", {}).get(commit.group(1), []))
    body = Path(argv[argv.index("-F") + 1].removeprefix("body=@")).read_text()
    if method == "POST" and issue:
        comments.append({"id": 1000 + len(comments), "body": body})
        return 0
    if method == "PATCH" and (found := re.fullmatch(r"repos/.+/issues/comments/(\d+)", path)):
        (comment,) = [c for c in comments if c["id"] == int(found.group(1))]
        comment["body"] = body
        return 0
    return unknown(argv)


def jq(argv: list[str], data: object) -> int:
    """What `gh api ... --jq EXPR` prints: the real jq's output on `data`."""
    expr = argv[argv.index("--jq") + 1]
    done = subprocess.run(
        ["jq", "-r", expr], input=json.dumps(data), capture_output=True, text=True
    )
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    return done.returncode


def unknown(argv: list[str]) -> int:
    print(f"fake gh: unexpected call: {argv}", file=sys.stderr)
    return 99


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
