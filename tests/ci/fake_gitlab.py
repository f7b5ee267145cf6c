"""A stand-in for the few GitLab REST calls the GitLab CI file makes, on loopback.

    GET  /api/v4/projects/P/merge_requests/M/notes        list the notes
    POST /api/v4/projects/P/merge_requests/M/notes        body=... adds one
    PUT  /api/v4/projects/P/merge_requests/M/notes/ID     body=... edits one
    PUT  /api/v4/projects/P/variables/NAME                value=..., filter[environment_scope]=...
    GET  /api/v4/projects/P/repository/commits/SHA/merge_requests    the commit's merge requests

Each request must carry the PRIVATE-TOKEN the test expects for it; anything else is
a 404, so a changed call in the CI file is seen.
"""

from __future__ import annotations

import json
import re
import threading
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class FakeGitLab:
    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = tokens  # "notes" and "variables": the token each kind of call needs
        self.notes: list[dict] = []
        self.variables: dict[str, str] = {}
        self.merge_requests: dict[str, list[dict]] = {}  # by commit: [{"iid", "state"}]
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/api/v4"

    def __enter__(self) -> FakeGitLab:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self.route("GET")

            def do_POST(self) -> None:
                self.route("POST")

            def do_PUT(self) -> None:
                self.route("PUT")

            def route(self, method: str) -> None:
                path = self.path.split("?", 1)[0]
                notes = re.fullmatch(
                    r"/api/v4/projects/\d+/merge_requests/\d+/notes(?:/(\d+))?", path
                )
                variable = re.fullmatch(r"/api/v4/projects/\d+/variables/(\w+)", path)
                commit = re.fullmatch(
                    r"/api/v4/projects/\d+/repository/commits/(\w+)/merge_requests", path
                )
                kind = "notes" if notes or commit else "variables" if variable else None
                if kind is None or self.headers.get("PRIVATE-TOKEN") != fake.tokens[kind]:
                    return self.reply(404, {"message": "404 Not Found"})
                form = self.form()
                if commit and method == "GET":
                    return self.reply(200, fake.merge_requests.get(commit.group(1), []))
                if notes and method == "GET":
                    return self.reply(200, fake.notes)
                if notes and method == "POST" and not notes.group(1):
                    fake.notes.append({"id": 500 + len(fake.notes), "body": form["body"]})
                    return self.reply(201, fake.notes[-1])
                if notes and method == "PUT" and notes.group(1):
                    (note,) = [n for n in fake.notes if n["id"] == int(notes.group(1))]
                    note["body"] = form["body"]
                    return self.reply(200, note)
                if variable and method == "PUT":
                    scope = form["filter[environment_scope]"]
                    fake.variables[f"{scope}/{variable.group(1)}"] = form["value"].strip()
                    return self.reply(200, {})
                return self.reply(404, {"message": "404 Not Found"})

            def form(self) -> dict[str, str]:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                kind = self.headers.get("Content-Type", "")
                if kind.startswith("multipart/form-data"):
                    message = BytesParser(policy=HTTP).parsebytes(
                        f"Content-Type: {kind}\r\n\r\n".encode() + raw
                    )
                    return {
                        part.get_param("name", header="content-disposition"): part.get_content()
                        for part in message.iter_parts()
                    }
                return {key: values[0] for key, values in parse_qs(raw.decode()).items()}

            def reply(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
