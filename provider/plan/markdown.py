"""A plan (provider.plan.changes) as Markdown for a pull-request or merge-request comment.

The shape borrows what reviewers praise elsewhere: a table of old and new values
per changed line (octoDNS), a banner on top when lines go away (tfcmt), a one-line
summary that no fold hides (Atlantis), and a cut to the comment size limit that
keeps the summary (pulumi/actions). GitHub and GitLab render the same text.

The first line is a hidden marker naming the stacks, e.g.
`<!-- bitrix24-lines:stack=dev -->`; a bot finds its own comment by that whole line,
so `dev` never matches `dev-tokyo`'s comment.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence

from provider.plan.changes import Kind, LineChange, StackPlan

LIMIT = 65_000  # GitHub refuses comments over 65,535 characters; leave room for a footer
OPEN_ROWS = 25  # a longer table starts folded, so the comments around it stay readable
NOT_SAID = "calls checked when the change is applied"  # a preview whose program said nothing
ERROR_CHARS = 4_000  # per error: a runaway message must not push the table out
_MARKDOWN = re.compile(r"([\\`*_\[\]|~])")


def marker(stacks: Iterable[str]) -> str:
    """The hidden first line a bot searches for; Pulumi stack names hold no `,` or space."""
    return f"<!-- bitrix24-lines:stack={','.join(sorted(set(stacks)))} -->"


def render(plans: Sequence[StackPlan], limit: int = LIMIT) -> str:
    """The comment for `plans`, at most `limit` characters.

    When the tables do not fit, every table is cut to the same number of rows (the
    largest that fits); headings, banners, summaries and errors always stay.
    """
    most = max((len(plan.changes) for plan in plans), default=0)
    return fit(lambda rows: _render(plans, rows), most, limit)


def fit(build: Callable[[int], str], most: int, limit: int) -> str:
    """`build(rows)` with the most rows per table (at most `most`) that keeps it within
    `limit` characters; cut with a note when even no rows are too many."""
    text = build(most)
    if len(text) <= limit:
        return text
    low, high = 0, most
    while low < high:
        rows = (low + high + 1) // 2
        if len(build(rows)) <= limit:
            low = rows
        else:
            high = rows - 1
    text = build(low)
    if len(text) > limit:  # too many stacks for one comment even without tables
        note = "\n\n_Cut here: the comment size limit. Split the stacks into several comments._\n"
        text = text[: limit - len(note)] + note
    return text


def _render(plans: Sequence[StackPlan], rows: int) -> str:
    parts = [marker(plan.stack for plan in plans)]
    for plan in plans:
        parts.extend(_section(plan, rows))
    return "\n\n".join(parts) + "\n"


def _section(plan: StackPlan, rows: int) -> list[str]:
    if plan.failed:
        return [
            f"### Bitrix24 lines: stack {_code(plan.stack)}: preview failed",
            "> [!CAUTION]\n> **The preview failed**, so this is not a plan. "
            "Fix what it says below and push again.",
            *(_fenced(error[:ERROR_CHARS]) for error in plan.errors),
        ]
    where = f" on {_text(plan.portal)}" if plan.portal else ""
    parts = [f"### Bitrix24 lines: stack {_code(plan.stack)}{where}"]
    if plan.destructive:
        parts.append(_banner(plan))
    if plan.count(Kind.DELETE):
        parts.append(_calls(plan))
    parts.extend(_quoted("[!NOTE]", warning[:ERROR_CHARS]) for warning in plan.warnings)
    if plan.portal_moves:
        old, new = plan.portal_moves
        parts.append(f"Portal: {_text(old)} → {_text(new)}")
    parts.append(f"**{summary(plan)}**")
    if plan.changes:
        parts.append(_table(plan, rows))
    return parts


def summary(plan: StackPlan) -> str:
    """One line, e.g. `+2 added, ~3 changed, -1 deleted, 40 unchanged`, or `No changes`."""
    unchanged = f"{plan.unchanged:,} unchanged"
    if not plan.changes:
        return f"No changes, {unchanged}"
    counts = [
        ("+{:,} added", plan.count(Kind.ADD), True),
        ("+{:,} adopted", plan.count(Kind.ADOPT), False),
        ("~{:,} changed", plan.count(Kind.UPDATE), True),
        ("±{:,} replaced", plan.count(Kind.REPLACE), False),
        ("-{:,} deleted", plan.count(Kind.DELETE), True),
    ]
    shown = [form.format(n) for form, n, always in counts if n or always]
    return ", ".join([*shown, unchanged])


def _banner(plan: StackPlan) -> str:
    """tfcmt's habit: what cannot be undone by reverting the pull request comes first."""
    deleted, replaced = plan.count(Kind.DELETE), plan.count(Kind.REPLACE)
    what, why = [], []
    if deleted:
        what.append(f"deletes {_lines(deleted)}")
        why.append(
            "a deleted line's name and CRM flag are lost, and the PBX integration's next call on"
            " that number makes the line again, nameless"
        )
    if replaced:
        what.append(f"replaces {_lines(replaced)}")
        why.append("a replaced line is deleted and added again, with a new ID")
    return (
        f"> [!WARNING]\n> **This plan {' and '.join(what)}**: {'; '.join(why)}. "
        "Check those rows before merging."
    )


def _calls(plan: StackPlan) -> str:
    """Each deleted line's calls, as the in-use guard found them or will look them up."""
    rows = [
        f"- {_code(change.number)}: {_text(plan.calls.get(change.number, NOT_SAID))}"
        for change in plan.changes
        if change.kind is Kind.DELETE
    ]
    return "\n".join(
        [
            "**Calls on the lines it deletes** (the in-use guard stops `pulumi up` before any"
            " change when one carried calls and `retire:` does not list it):",
            *rows,
        ]
    )


def _quoted(alert: str, text: str) -> str:
    """A GitHub/GitLab alert box holding plain text, line by line."""
    return "\n".join([f"> {alert}", *(f"> {_text(line)}" for line in text.splitlines())])


def _table(plan: StackPlan, rows: int) -> str:
    shown = plan.changes[:rows]
    fold = "<details open>" if len(plan.changes) <= OPEN_ROWS else "<details>"
    lines = [
        f"{fold}\n<summary>{_lines(len(plan.changes))} to change</summary>\n",
        "| operation | number | name | CRM flag |",
        "| --- | --- | --- | --- |",
        *(_row(change) for change in shown),
    ]
    hidden = len(plan.changes) - len(shown)
    if hidden:
        lines.append(
            f"\n_…and {_lines(hidden)} more, cut to fit the comment size limit: "
            f"`pulumi preview --diff --stack {plan.stack}` lists them all._"
        )
    lines.append("\n</details>")
    return "\n".join(lines)


def _row(change: LineChange) -> str:
    def pair(get, show) -> str:
        old = get(change.old) if change.old else None
        new = get(change.new) if change.new else None
        if change.old is None or change.new is None or old == new:
            return show(new if change.new else old)
        return f"{show(old)} → {show(new)}"

    cells = [
        change.label,
        pair(lambda v: v.number, _code),
        pair(lambda v: v.name, _name),
        pair(lambda v: v.crm_auto_create, _flag),
    ]
    return "| " + " | ".join(cells) + " |"


def _name(value: str | None) -> str:
    return "_(known after apply)_" if value is None else _text(value)


def _flag(value: bool | None) -> str:
    return "_(known after apply)_" if value is None else ("yes" if value else "no")


def _lines(n: int) -> str:
    return f"{n:,} line{'' if n == 1 else 's'}"


def _text(value: str) -> str:
    """Plain text in a table cell: no markup, no HTML, no @mention or #reference."""
    value = html.escape(" ".join(value.split()), quote=False)
    value = value.replace("#", "&#35;").replace("@", "&#64;")
    return _MARKDOWN.sub(r"\\\1", value)


def _code(value: str) -> str:
    """A code span that the value's own backticks cannot close, safe in a table cell."""
    ticks = "`" * (max((len(run) for run in re.findall(r"`+", value)), default=0) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{ticks}{pad}{value.replace('|', chr(92) + '|')}{pad}{ticks}"


def _fenced(text: str) -> str:
    """A code block that the text's own backtick runs cannot close."""
    fence = "`" * max(3, max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence}text\n{text}\n{fence}"
