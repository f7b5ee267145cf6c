"""Reading the CLI's output as a user does."""

from __future__ import annotations


def diagnostics(stdout: str) -> list[str]:
    """Each `error:` of the output's Diagnostics section, its continuation lines joined."""
    section = stdout.split("\nDiagnostics:\n", 1)[1].split("\nResources:\n", 1)[0]
    errors: list[str] = []
    for line in section.splitlines():
        if line.startswith("    error: "):
            errors.append(line.removeprefix("    error: "))
        elif line.startswith("     ") and errors:  # deeper than an error: its next line
            errors[-1] += "\n" + line.strip()
        elif line.strip():  # a resource's header or a non-error message
            errors.append("")
    return [error for error in errors if error]
