"""Where rotated OAuth tokens live between runs.

Every refresh rotates the refresh token and kills the old one, so the newest pair
must be kept where the next run (a new process, next week) finds it, and neither
in git nor in Pulumi state. One JSON file per (OAuth server, client id) under a
private directory: the directory 0700 (tightened if it already existed wider, and
given a `.gitignore` of `*`), each file 0600, written atomically (temp
file + rename), and every read-refresh-write cycle held under an exclusive lock
(the `filelock` package: flock on POSIX, LockFileEx on Windows) so two stacks or
pipelines sharing the application never both spend the same refresh token (the
loser would be locked out with invalid_grant).

Which refresh token to use when both the store and the stack config have one:
the store records the `seed`, a fingerprint of the configured token its chain
descends from, and `spent`, the fingerprints of every refresh token the chain
has traded in since (the newest CHAIN_KEPT). A config token that is the seed or
one of those is an ancestor of the store's: the store holds its newest
descendant, use the store. Any other config token: the user authorised again
and set a new one, use config (the store is overwritten on the next rotation).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import filelock

from provider.bitrix24.errors import CredentialsError

log = logging.getLogger(__name__)

DEFAULT_DIRECTORY = "~/.config/bitrix24-lines"
FORMAT = 2  # bump when the file layout changes; a file of another format is refused
READABLE = (1, FORMAT)  # format 1 had no `spent`: its chains start empty
CHAIN_KEPT = 1000  # spent fingerprints remembered: 17 bytes each, years of hourly rotation
PRIVATE_DIRECTORY = 0o700
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def fingerprint(token: str) -> str:
    """A short, irreversible name for a token, safe to write next to it or to log."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Saved:
    """The newest token pair of one application and what the OAuth server said about it."""

    seed: str  # fingerprint of the configured refresh token this chain descends from
    refresh_token: str = field(repr=False)
    access_token: str | None = field(default=None, repr=False)
    expires: float | None = None  # unix time the access token dies, when known
    client_endpoint: str = ""  # "https://<portal>/rest/"
    scope: str = ""
    member_id: str = ""
    spent: tuple[str, ...] = ()  # fingerprints of the refresh tokens traded in, oldest first
    refreshed_at: float | None = None  # unix time this pair was issued; None in older files

    def __post_init__(self) -> None:
        object.__setattr__(self, "spent", tuple(self.spent))  # JSON gives a list

    def spending(self) -> tuple[str, ...]:
        """`spent` once this pair's refresh token has been traded for the next pair."""
        return (*self.spent, fingerprint(self.refresh_token))[-CHAIN_KEPT:]

    def descends_from(self, seed: str) -> bool:
        """Whether the refresh token with fingerprint `seed` is this chain's start or spent."""
        return seed == self.seed or seed in self.spent


@dataclass(frozen=True)
class Chosen:
    """The tokens a new OAuth session starts from, and the seed its rotations record."""

    seed: str | None
    refresh_token: str | None = field(repr=False)
    access_token: str | None = field(repr=False)
    saved: Saved | None  # the store's entry, when it won


def choose(saved: Saved | None, refresh_token: str | None, access_token: str | None) -> Chosen:
    """Apply the precedence rule (module docstring) to the store's entry and the config."""
    if refresh_token is None:
        if saved is not None:
            return Chosen(saved.seed, saved.refresh_token, saved.access_token, saved)
        return Chosen(None, None, access_token, None)
    seed = fingerprint(refresh_token)
    if saved is not None and saved.descends_from(seed):
        return Chosen(saved.seed, saved.refresh_token, saved.access_token, saved)
    return Chosen(seed, refresh_token, access_token, None)


def _safe(text: str) -> str:
    return "".join(ch if ch in _SAFE else "_" for ch in text)


class Slot:
    """The store entry of one application while its lock is held."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> Saved | None:
        """The saved entry, or None when there is none yet.

        A file of another FORMAT (another version of the provider wrote it) is a
        CredentialsError, not "no entry": its token may be the only live one, and
        treating it as absent would spend the config's token and overwrite the file.
        """
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            found = data["format"]
            if found not in READABLE:
                raise CredentialsError(
                    f"the token store file {self.path} has format {found!r}; this version of"
                    f" the provider reads format {FORMAT}",
                    "run the provider version that wrote it, or delete the file and set a"
                    " fresh token: pulumi config set --secret bitrix24:refreshToken <token>",
                )
            return Saved(**data["tokens"])
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as err:
            raise CredentialsError(
                f"the token store file {self.path} is unreadable ({type(err).__name__})",
                "delete it and set a fresh token: pulumi config set --secret "
                "bitrix24:refreshToken <token>",
            ) from None

    def write(self, saved: Saved) -> None:
        """Replace the entry atomically: readers see the old file or the new, never half."""
        body = json.dumps(
            {"format": FORMAT, "updated_at": time.time(), "tokens": asdict(saved)}, indent=1
        )
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:  # mkstemp makes it 0600
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        if not hasattr(os, "O_DIRECTORY"):  # Windows cannot open a directory to sync it:
            return  # the rename is then as durable as the file system makes it
        directory = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


class TokenStore:
    """A directory of token files, one per (OAuth server, client id)."""

    def __init__(self, directory: str | os.PathLike[str] = DEFAULT_DIRECTORY) -> None:
        self.directory = Path(directory).expanduser()

    def __repr__(self) -> str:
        return f"TokenStore({str(self.directory)!r})"

    def path(self, oauth_server: str, client_id: str) -> Path:
        """The file of one application; readable names, so a person can find and delete it."""
        host = urlsplit(oauth_server).netloc or oauth_server
        return self.directory / f"{_safe(client_id)}@{_safe(host)}.json"

    def _ensure_directory(self) -> None:
        """Make the directory private (0700) and unreachable by git, new or not.

        A pre-existing directory open to others is tightened, with a warning: the
        files are 0600 anyway, but their names (client ids) and the lock files
        should not be listable or replaceable by other users. OSError when that fails.
        """
        if not self.directory.is_dir():
            self.directory.mkdir(mode=PRIVATE_DIRECTORY, parents=True, exist_ok=True)
            self.directory.chmod(PRIVATE_DIRECTORY)  # mkdir's mode is filtered by the umask
        mode = stat.S_IMODE(self.directory.stat().st_mode)
        if mode & ~PRIVATE_DIRECTORY:
            log.warning(
                "the token store %s was open to other users (mode %o); making it %o",
                self.directory,
                mode,
                PRIVATE_DIRECTORY,
            )
            self.directory.chmod(PRIVATE_DIRECTORY)
        # A store pointed into a repository by mistake must still never be committed.
        ignore = self.directory / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n", encoding="utf-8")

    @contextlib.contextmanager
    def locked(self, oauth_server: str, client_id: str) -> Iterator[Slot]:
        """Hold the application's lock (across threads and processes) while using its entry.

        The lock is a separate, never-deleted file: the entry itself is replaced by
        rename on every write, so a lock on it would guard a file nobody reads next.
        """
        path = self.path(oauth_server, client_id)
        # A new lock object per use: each holds its own file handle, so two threads of one
        # process exclude each other as two processes do. No silent fallback to a lock by
        # file existence, which a killed run would leave behind.
        lock = filelock.FileLock(
            path.with_suffix(".lock"), mode=0o600, fallback_to_soft=False, preserve_lock_file=True
        )
        try:
            self._ensure_directory()
            lock.acquire()
        except OSError as err:
            raise CredentialsError(
                f"the token store {self.directory} is not usable ({err.strerror})",
                "point bitrix24:tokenStore (or BITRIX24_TOKEN_STORE) at a private, writable"
                " directory outside any repository",
            ) from None
        try:
            yield Slot(path)
        finally:
            lock.release()

    def load(self, oauth_server: str, client_id: str) -> Saved | None:
        """The application's entry, read under its lock."""
        if not self.path(oauth_server, client_id).exists():
            return None
        with self.locked(oauth_server, client_id) as slot:
            return slot.read()
