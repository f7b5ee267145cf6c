"""What the merge's `up` did (provider.plan.applied), as Markdown for the pull request.

The plan comment (provider.plan.markdown) told the reviewers what merging would do;
this report tells them what it did, in the same table: each line the run added,
adopted, changed or deleted, the ones whose hand-made drift it wrote back marked as
such. A run that stopped leads with its one message and its fix, then lists what it
had already changed, if anything.

Its hidden first line, e.g. `<!-- bitrix24-lines:applied=dev -->`, differs from the
plan's, so the pipeline that edits its report never touches the plan comment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from provider.plan import markdown
from provider.plan.applied import AppliedRun

# What the reviewers do about a stopped run: the message says what; this says where.
STOPPED = (
    "> [!CAUTION]\n> **`pulumi up` stopped**: the stack's lines are not all as merged. "
    "Fix what it says below in a new pull request (or as the message says), then run the "
    "pipeline again."
)


def marker(stacks: Iterable[str]) -> str:
    """The hidden first line of a report; never a prefix of a plan comment's marker."""
    return f"<!-- bitrix24-lines:applied={','.join(sorted(set(stacks)))} -->"


def render(runs: Sequence[AppliedRun], limit: int = markdown.LIMIT) -> str:
    """The report of `runs`, at most `limit` characters, tables cut as the plan's are."""
    most = max((len(run.plan.changes) for run in runs), default=0)
    return markdown.fit(lambda rows: _render(runs, rows), most, limit)


def _render(runs: Sequence[AppliedRun], rows: int) -> str:
    parts = [marker(run.plan.stack for run in runs)]
    for run in runs:
        parts.extend(_section(run, rows))
    return "\n\n".join(parts) + "\n"


def _section(run: AppliedRun, rows: int) -> list[str]:
    plan = run.plan
    where = f" on {markdown._text(plan.portal)}" if plan.portal else ""
    outcome = "`pulumi up` stopped" if run.stopped else "applied"
    parts = [f"### Bitrix24 lines: stack {markdown._code(plan.stack)}{where}: {outcome}"]
    if run.stopped:
        parts.append(STOPPED)
        parts.extend(markdown._fenced(error[: markdown.ERROR_CHARS]) for error in plan.errors)
    parts.extend(
        markdown._quoted("[!NOTE]", warning[: markdown.ERROR_CHARS]) for warning in plan.warnings
    )
    if run.repaired:
        parts.append(
            f"> [!NOTE]\n> **{markdown._lines(run.repaired)} had drifted** on the portal "
            "(changed there by hand) and the run wrote the stack file's values back: the "
            "rows marked _drift written back_."
        )
    done = "Changed before it stopped" if run.stopped else "Applied"
    if plan.changes or not run.stopped:
        parts.append(f"**{done}: {markdown.summary(plan)}**")
    if plan.changes:
        parts.append(_table(run, rows))
    return parts


def _table(run: AppliedRun, rows: int) -> str:
    changed = run.plan.changes
    shown = changed[:rows]
    fold = "<details open>" if len(changed) <= markdown.OPEN_ROWS else "<details>"
    lines = [
        f"{fold}\n<summary>{markdown._lines(len(changed))} changed</summary>\n",
        "| operation | number | name | CRM flag |",
        "| --- | --- | --- | --- |",
        *(markdown._row(change) for change in shown),
    ]
    if hidden := len(changed) - len(shown):
        lines.append(
            f"\n_…and {markdown._lines(hidden)} more, cut to fit the comment size limit: the "
            "job's log lists them all._"
        )
    lines.append("\n</details>")
    return "\n".join(lines)
