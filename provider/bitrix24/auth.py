"""Credentials for the REST client: an OAuth application, or an incoming webhook.

OAuth is the documented way to call the telephony.externalLine methods and the only
one the lines API uses: a webhook is accepted (for `auth --check` and a plain preview),
but it sees other lines than an application's, so provider.bitrix24.lines sends
nothing through it (`webhook_refused`, docs/bitrix24-facts.md).

The REST client sees only the small `Auth` interface: where to send a method,
what token to put in the body, and `renew()` after the portal said expired_token.
Refreshing happens only then (or once the known expiry has passed), never per
call nor on a timer, which could get the application blocked.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import requests

from provider.bitrix24 import redact, urls
from provider.bitrix24.errors import CredentialsError, ReauthorizationRequired
from provider.bitrix24.oauth import AUTHORISE_FIX, Grant, exchange_code, token_request
from provider.bitrix24.settings import SETTINGS, how_to_set, read
from provider.bitrix24.tokenstore import (
    CHAIN_KEPT,
    DEFAULT_DIRECTORY,
    Saved,
    TokenStore,
    choose,
    fingerprint,
)
from provider.bitrix24.urls import Problem

log = logging.getLogger(__name__)

DEFAULT_OAUTH_SERVER = "https://oauth.bitrix.info"


@dataclass(frozen=True)
class AuthInfo:
    """What a credential is, without any secret: for `python -m provider auth check`."""

    mode: str  # "oauth" or "webhook"
    portal: str  # from the token reply's client_endpoint, "" until known
    client_id: str
    scope: str
    expires: float | None
    refreshed_at: float | None = None  # when the refresh-token chain last moved, if known


class Auth(Protocol):
    """What the REST client needs from a credential."""

    def url(self, portal: str, method: str) -> str:
        """The address of `method` on `portal` (no secret unless the mode puts one there)."""
        ...

    def token(self) -> str | None:
        """The access token for the body's `auth`, or None when the URL authorises."""
        ...

    def renew(self, stale: str | None) -> None:
        """Replace the token `stale` the portal called expired (once for all threads)."""
        ...

    def reread(self, stale: str | None) -> bool:
        """Whether a newer access token than `stale` is at hand (this process's, or one
        another process saved), now the current one. Never refreshes: the portal said
        `stale` is unknown, which a refresh elsewhere does to the token it replaces."""
        ...

    def info(self) -> AuthInfo:
        """What this credential is, as far as known without asking the portal."""
        ...

    def identity(self, *, learn: bool = False) -> str:
        """The portal's member_id, the same under any address; "" when not known. `learn`
        may spend a token refresh to find out."""
        ...


def _checked_url(setting: str, url: str) -> str:
    """Refuse what provider.bitrix24.urls refuses: the token or webhook code must not leak."""
    url = url.strip()
    problem = urls.problem(url)
    if problem is Problem.NOT_HTTP:
        raise CredentialsError(f"{setting} is not an http(s) URL", "write https://<host>/...")
    if problem is Problem.CREDENTIALS:
        raise CredentialsError(
            f"{setting} carries a user name or password, which would be sent in every request",
            "remove the user:password@ part; Bitrix24 authorises with tokens, not in the URL",
        )
    if problem is Problem.PLAIN_HTTP:
        host = urlsplit(url).hostname
        raise CredentialsError(
            f"{setting} uses plain http on {host}; credentials would travel unencrypted",
            "use https (plain http is accepted for loopback addresses only)",
        )
    return url


class Webhook:
    """An incoming webhook `https://<portal>/rest/<user_id>/<code>/`: the URL authorises."""

    def __init__(self, url: str) -> None:
        url = _checked_url("bitrix24:webhookUrl", url)
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) != 3 or segments[0] != "rest" or not segments[1].isdigit():
            raise CredentialsError(
                "bitrix24:webhookUrl is not an incoming webhook address",
                "copy it from the portal: https://<portal>/rest/<user id>/<code>/",
            )
        self.portal = urls.origin(url)
        self.user_id = segments[1]
        self._code = segments[2]
        redact.remember(self._code)

    def __repr__(self) -> str:
        return f"Webhook(portal={self.portal!r}, user_id={self.user_id!r})"

    def url(self, portal: str, method: str) -> str:
        return f"{portal}/rest/{self.user_id}/{self._code}/{method}"

    def token(self) -> None:
        return None

    def renew(self, stale: str | None) -> None:
        raise CredentialsError(
            "the portal called the webhook's credentials expired",
            "create a new incoming webhook and set bitrix24:webhookUrl to it, or use OAuth",
        )

    def reread(self, stale: str | None) -> bool:
        return False  # a webhook's code does not change under it

    def info(self) -> AuthInfo:
        return AuthInfo("webhook", self.portal, "", "", None)

    def identity(self, *, learn: bool = False) -> str:
        return ""  # a webhook carries no portal identity


class OAuth:
    """A local application's tokens; refreshes them when the portal says so, and keeps
    the rotated pair in the token store for the next run."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        refresh_token: str | None = None,
        access_token: str | None = None,
        oauth_server: str = DEFAULT_OAUTH_SERVER,
        store: TokenStore | None = None,
        spent_fix: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`spent_fix` replaces the fix of a refused `refresh_token` (not the store's);
        `clock` is what the access token's expiry is compared with, so a test can move
        past it without waiting."""
        self.client_id = client_id
        self._clock = clock
        self._configured = refresh_token
        self._spent_fix = spent_fix
        self.oauth_server = _checked_url("bitrix24:oauthServer", oauth_server).rstrip("/")
        self._secret = client_secret
        self._store = store
        self._lock = threading.Lock()
        self._session = requests.Session()
        saved = store.load(self.oauth_server, client_id) if store else None
        chosen = choose(saved, refresh_token, access_token)
        if chosen.refresh_token is None and chosen.access_token is None:
            looked = store.path(self.oauth_server, client_id) if store else "no token store"
            raise CredentialsError(
                f"no refresh token for {client_id} in the stack config, the environment or"
                f" the token store ({looked})",
                f"{how_to_set('refresh_token')}; or authorise: python -m provider auth --code",
            )
        self._seed = chosen.seed
        self._state = chosen.saved or Saved(
            seed=chosen.seed or "",
            refresh_token=chosen.refresh_token or "",
            access_token=chosen.access_token,
        )
        redact.remember(
            client_secret,
            refresh_token,
            access_token,
            self._state.refresh_token,
            self._state.access_token,
        )

    def __repr__(self) -> str:
        return f"OAuth(client_id={self.client_id!r}, oauth_server={self.oauth_server!r})"

    def url(self, portal: str, method: str) -> str:
        return f"{portal}/rest/{method}"

    def token(self) -> str | None:
        """The current access token; renewed first if there is none or its expiry passed."""
        state = self._state
        if self._expired(state):
            self.renew(state.access_token)
            state = self._state
        return state.access_token

    def renew(self, stale: str | None) -> None:
        with self._lock:
            current = self._state
            if current.access_token != stale and not self._expired(current):
                return  # another thread renewed while we waited for the lock
            if self._store is None:
                self._state = self._refreshed(current)
                return
            with self._store.locked(self.oauth_server, self.client_id) as slot:
                saved = slot.read()
                rotated = saved and saved.refresh_token != current.refresh_token
                if saved and rotated and saved.seed == self._seed:
                    current = self._state = saved  # another process rotated the pair
                    if current.access_token != stale and not self._expired(current):
                        return
                self._state = self._refreshed(current)
                try:
                    slot.write(self._state)
                except OSError as err:
                    raise CredentialsError(
                        f"the refreshed tokens could not be saved to {slot.path} ({err.strerror});"
                        " the next run will find only a spent refresh token",
                        f"make the token store writable, then {AUTHORISE_FIX}",
                    ) from None

    def reread(self, stale: str | None) -> bool:
        with self._lock:
            if self._state.access_token != stale:
                return True  # another thread refreshed meanwhile
            if self._store is None:
                return False
            with self._store.locked(self.oauth_server, self.client_id) as slot:
                saved = slot.read()
            if (
                saved is None
                or saved.seed != self._seed
                or saved.access_token in (None, stale)
                or self._expired(saved)
            ):
                return False
            self._state = saved  # another process refreshed, and killed `stale` doing so
            return True

    def identity(self, *, learn: bool = False) -> str:
        """The member_id of the last token reply. Before any reply (the access token came
        from config) only a refresh can tell, as the OAuth server alone says which portal a
        token belongs to: `learn` spends one, and the store keeps the answer."""
        state = self._state
        if learn and not state.member_id and state.refresh_token:
            self.renew(state.access_token)
        return self._state.member_id

    def _expired(self, state: Saved) -> bool:
        return state.access_token is None or bool(state.expires and self._clock() >= state.expires)

    def _refreshed(self, current: Saved) -> Saved:
        if not current.refresh_token:
            raise CredentialsError(
                f"the access token of {self.client_id} has expired and no refresh token is set",
                how_to_set("refresh_token"),
            )
        try:
            grant = token_request(
                self.oauth_server,
                {
                    "grant_type": "refresh_token",
                    "client_id": self.client_id,
                    "client_secret": self._secret,
                    "refresh_token": current.refresh_token,
                },
                session=self._session,
            )
        except ReauthorizationRequired as err:
            if self._spent_fix is None or current.refresh_token != self._configured:
                raise
            raise ReauthorizationRequired(err.reason, self._spent_fix) from None
        log.info(
            "refreshed the access token of %s (valid until %s)",
            self.client_id,
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(grant.expires or 0)),
        )
        return _saved(self._seed or "", grant, current.spending())  # the chain remembers it

    def info(self) -> AuthInfo:
        """What the last token reply (or the store) said, secrets left out."""
        state = self._state
        return AuthInfo(
            "oauth",
            _portal_of(state.client_endpoint),
            self.client_id,
            state.scope,
            state.expires,
            state.refreshed_at,
        )


def _portal_of(client_endpoint: str) -> str:
    """ "https://<portal>/rest/" -> "https://<portal>"."""
    return client_endpoint.removesuffix("/").removesuffix("/rest")


def _saved(seed: str, grant: Grant, spent: tuple[str, ...] = ()) -> Saved:
    return Saved(
        seed,
        grant.refresh_token,
        grant.access_token,
        grant.expires,
        grant.client_endpoint,
        grant.scope,
        grant.member_id,
        spent,
        time.time(),
    )


def _application(config: Mapping[str, str], environ: Mapping[str, str]) -> tuple[str, str]:
    """(client id, client secret), or CredentialsError naming what to set."""
    client_id = read(config, environ, "client_id")
    if client_id is None:
        raise CredentialsError(
            "no Bitrix24 credentials are configured",
            f"{how_to_set('client_id', secret=False)}, {how_to_set('client_secret')} and"
            f" {how_to_set('refresh_token')}; or {how_to_set('webhook_url')}",
        )
    secret = read(config, environ, "client_secret")
    if secret is None:
        raise CredentialsError(
            f"bitrix24:clientSecret is not set for {client_id}", how_to_set("client_secret")
        )
    return client_id, secret


def _oauth_server(config: Mapping[str, str], environ: Mapping[str, str]) -> str:
    server = read(config, environ, "oauth_server") or DEFAULT_OAUTH_SERVER
    return _checked_url("bitrix24:oauthServer", server).rstrip("/")


def _config_hides_environment(config: Mapping[str, str], environ: Mapping[str, str]) -> str | None:
    """The fix for a spent refresh token in config while the environment has another: config
    wins, so the pipeline's fresh token is never used until the config's is removed."""
    key, env = SETTINGS["refresh_token"]
    in_config, in_environ = (config.get(key) or "").strip(), (environ.get(env) or "").strip()
    if not in_config or not in_environ or in_config == in_environ:
        return None
    return (
        f"remove the stack's spent token, which hides {env} (config wins over the environment):"
        f" pulumi config rm {key}"
    )


def _store(config: Mapping[str, str], environ: Mapping[str, str]) -> TokenStore:
    """The configured store; one set to an empty value is an error, not the default:
    an unset variable in a pipeline would otherwise send tokens to the home folder."""
    directory = read(config, environ, "token_store")
    if directory is None:
        key, env = SETTINGS["token_store"]
        empty = [name for name, source in ((key, config), (env, environ)) if name in source]
        if empty:
            raise CredentialsError(
                f"{' and '.join(empty)} {'is' if len(empty) == 1 else 'are'} set but empty",
                f"point it at a private directory outside any repository, or unset it to use"
                f" {DEFAULT_DIRECTORY}",
            )
    return TokenStore(directory or DEFAULT_DIRECTORY)


def _chosen_webhook(config: Mapping[str, str], environ: Mapping[str, str]) -> str | None:
    """The webhook URL when these settings choose webhook mode (no client id), else None."""
    return (
        None
        if read(config, environ, "client_id") is not None
        else read(config, environ, "webhook_url")
    )


def uses_webhook(config: Mapping[str, str], environ: Mapping[str, str]) -> bool:
    """Whether these settings choose webhook mode: a webhook URL and no client id."""
    return _chosen_webhook(config, environ) is not None


def webhook_refused() -> CredentialsError:
    """Why webhook mode sends no externalLine call at all (docs/bitrix24-facts.md)."""
    return CredentialsError(
        "webhook mode neither reads nor writes lines: a webhook reaches only the lines of no"
        " application, never those an application (OAuth) made, which are all the lines this"
        " provider manages, and among its lines one number can repeat (other webhooks', the"
        " SIP connector's); a refresh through it would read another line or none, and a write"
        " could add a second line or change someone else's",
        "use OAuth: create a local application with the telephony scope, set"
        " bitrix24:clientId, bitrix24:clientSecret and bitrix24:refreshToken"
        " (docs/real-portal.md), and remove bitrix24:webhookUrl; a plain `pulumi preview`"
        " makes no call to the lines and works meanwhile",
    )


def settings_from(config: Mapping[str, str], environ: Mapping[str, str]) -> Auth:
    """Build the credential from the stack config, falling back to the environment.

    Each key is looked up in `config` first (`bitrix24:clientId`, ...), then in
    `environ` (`BITRIX24_CLIENT_ID`, ...): config wins, so a stack can override a
    developer's shell. OAuth is used when a client id is set; otherwise a webhook
    URL; otherwise CredentialsError names the settings to provide.
    """
    webhook_url = _chosen_webhook(config, environ)
    if webhook_url is not None:
        return Webhook(webhook_url)
    client_id, secret = _application(config, environ)
    return OAuth(
        client_id,
        secret,
        refresh_token=read(config, environ, "refresh_token"),
        access_token=read(config, environ, "access_token"),
        oauth_server=_oauth_server(config, environ),
        store=_store(config, environ),
        spent_fix=_config_hides_environment(config, environ),
    )


def known_portal(config: Mapping[str, str], environ: Mapping[str, str]) -> str | None:
    """The portal these credentials belong to, when they say: a webhook's address, or the
    one the OAuth server named in the last token reply the token store kept."""
    return settings_from(config, environ).info().portal or None


def authorise(
    config: Mapping[str, str],
    environ: Mapping[str, str],
    code: str,
    server_domain: str | None = None,
) -> AuthInfo:
    """`python -m provider auth --code`: trade an authorization code for the first
    pair and keep it in the token store, where every later run finds it.

    A refresh token still set in config is recorded as the pair's seed, so the store
    supersedes it; otherwise that spent token would win as a "re-authorisation". The
    chain it replaces is remembered as spent, so a config anywhere still holding one of
    its tokens is superseded too. An unreadable entry is simply replaced: this is how
    a person gets past one. `server_domain`, from the address the portal redirected to,
    is the OAuth server the portal uses: another one than configured would refuse the
    code, so say so first.
    """
    client_id, secret = _application(config, environ)
    server = _oauth_server(config, environ)
    if server_domain and server_domain != urlsplit(server).netloc:
        raise CredentialsError(
            f"the portal uses the OAuth server {server_domain}, bitrix24:oauthServer is {server}",
            f"set it to that server's address: {how_to_set('oauth_server', secret=False)} with"
            f" https://{server_domain}, then authorise again with a new code",
        )
    grant = exchange_code(server, client_id, secret, code)
    seed = fingerprint(read(config, environ, "refresh_token") or grant.refresh_token)
    with _store(config, environ).locked(server, client_id) as slot:
        try:
            replaced = slot.read()
        except CredentialsError:
            replaced = None
        spent = (replaced.seed, *replaced.spending())[-CHAIN_KEPT:] if replaced else ()
        slot.write(_saved(seed, grant, spent))
    return AuthInfo(
        "oauth", _portal_of(grant.client_endpoint), client_id, grant.scope, grant.expires
    )


def newest_refresh_token(config: Mapping[str, str], environ: Mapping[str, str]) -> str:
    """The refresh token the next run must start from, for pipelines that keep it in a
    secret store of their own (README: "Credentials for pipelines")."""
    client_id, _ = _application(config, environ)
    server = _oauth_server(config, environ)
    store = _store(config, environ)
    saved = store.load(server, client_id)
    chosen = choose(saved, read(config, environ, "refresh_token"), None)
    if chosen.refresh_token is None:
        raise CredentialsError(
            f"no refresh token is known for {client_id} (not in the config, the environment or"
            f" the token store's {store.path(server, client_id)})",
            AUTHORISE_FIX,
        )
    return chosen.refresh_token


def chain_refreshed_at(config: Mapping[str, str], environ: Mapping[str, str]) -> float | None:
    """When the stored chain last moved: read before a check, which may move it itself."""
    client_id, _ = _application(config, environ)
    saved = _store(config, environ).load(_oauth_server(config, environ), client_id)
    return saved.refreshed_at if saved else None
