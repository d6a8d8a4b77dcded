"""Deployment settings: database, fetch politeness, channels and subscriptions (not in sources.toml)."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Collection
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator, model_validator

from monitor.classify.taxonomy import doc_types, topics
from monitor.config.errors import ConfigError, describe, locate, raise_all, read_toml

CONFIG_ENV = "CGT_MONITOR_CONFIG"
DATA_ENV = "CGT_MONITOR_DATA"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class FetchSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_agent: str = "cgt-monitor/0.1 (+regulatory notice watcher; polite polling)"
    timeout_s: float = Field(default=30.0, gt=0)
    max_bytes: int = Field(default=8_000_000, gt=0)
    per_host_concurrency: int = Field(default=2, ge=1)
    per_host_min_delay_s: float = Field(default=1.0, ge=0)
    retries: int = Field(default=2, ge=0, le=10)
    backoff_s: float = Field(default=2.0, ge=0)
    max_concurrent_checks: int = Field(default=8, ge=1)
    # a host that refused us (WAF 403, 429) is left alone for refusal_backoff_s, doubling per refusal up to
    # refusal_backoff_max_s, then polled one request at a time at least refused_host_spacing_s apart
    refusal_backoff_s: float = Field(default=300.0, gt=0)
    refusal_backoff_max_s: float = Field(default=6 * 3600.0, gt=0)
    refused_host_spacing_s: float = Field(default=10.0, ge=0)
    # a host whose hand-off cookies never opened it goes straight to the browser for this long
    browser_only_h: float = Field(default=6.0, gt=0)
    # one check, connect to last byte, detail pages and attachments included (a source may set its own)
    check_deadline_s: float = Field(default=300.0, gt=0)
    # hosts (or host:port) on private or local addresses that redirects and follow-ups may reach anyway;
    # a source's own host is always reachable
    allow_private: list[str] = Field(default_factory=list)


class BrowserSettings(BaseModel):
    """The shared browser for sources with fetch = "browser" | "auto" (Playwright driving Chromium)."""

    model_config = ConfigDict(extra="forbid")

    executable_path: str = "/usr/bin/chromium"
    cdp_url: str | None = None  # attach to an existing Chrome (e.g. http://127.0.0.1:9222) instead of launching
    headless: StrictBool = True
    max_pages: int = Field(default=2, ge=1, le=16)
    page_timeout_s: float = Field(default=45.0, gt=0)
    # a browser with no fetch for this long is closed (its hand-off cookies keep serving the plain client) and
    # launched again when a fetch needs it; 0 keeps it open until the daemon stops
    idle_close_s: float = Field(default=300.0, ge=0, allow_inf_nan=False)
    extra_args: list[str] = Field(default_factory=list)


class ScheduleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jitter_s: int = Field(default=120, ge=0)
    dispatch_every_s: int = Field(default=30, ge=1)
    startup_spread_s: float = Field(default=60.0, ge=0)  # the first checks after a start, spread over this
    # on SIGTERM, checks still running after this long are abandoned (nothing half-written: each check
    # writes in one transaction) so the daemon always stops promptly
    stop_grace_s: float = Field(default=8.0, ge=0)
    timezone: str = "Asia/Shanghai"


class DeliverySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    retry_base_s: float = Field(default=60.0, gt=0)
    retry_max_s: float = Field(default=3600.0, gt=0)
    give_up_after_h: float = Field(default=72.0, gt=0)
    claim_lease_s: float = Field(default=600.0, gt=0)  # how long a sender owns a row it is sending
    # one send of one alert to one channel is stopped after this long (it is retried later, with back-off);
    # channels are sent to side by side, so a stuck one never holds up another
    send_timeout_s: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _send_ends_within_its_claim(self) -> DeliverySettings:
        # a send still running when its claim ends could be taken over and sent again by another instance
        if self.send_timeout_s >= self.claim_lease_s:
            raise ValueError(
                f"send_timeout_s ({self.send_timeout_s:g}) must be shorter than claim_lease_s ({self.claim_lease_s:g})"
            )
        return self


class OpsSettings(BaseModel):
    """When a broken source or channel becomes an operator alert (to subscriptions with ops = true)."""

    model_config = ConfigDict(extra="forbid")

    source_failures: int = Field(default=3, ge=1)  # consecutive failed checks (error, blocked, rot, suspect)
    channel_failures: int = Field(default=3, ge=1)  # consecutive failed sends of one alert to a channel
    # how often a database that refuses writes (full disk, read-only) is tried again
    store_probe_s: float = Field(default=30.0, gt=0, allow_inf_nan=False)


class Channel(BaseModel):
    """A named destination: one or more apprise URLs. `urls` may hold ${ENV} references (secrets)."""

    model_config = ConfigDict(extra="forbid")

    urls: list[str] = Field(min_length=1)
    format: Literal["text", "markdown", "html"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _single_url(cls, data: Any) -> Any:
        if isinstance(data, dict) and "url" in data:
            data = {**data}
            url = data.pop("url")
            data["urls"] = [url, *data.get("urls", [])]
        return data

    def resolved_urls(self) -> list[str]:
        return [expand_env(url) for url in self.urls]

    def masked_urls(self) -> list[str]:
        return [mask_url(url) for url in self.urls]


class Subscription(BaseModel):
    """Who gets what: filters over the notice's verdict and origin, and how often."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    channels: list[str] = Field(min_length=1)
    mode: Literal["immediate", "digest"] = "immediate"
    digest_at: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")  # local time of day
    digest_weekday: int | None = Field(default=None, ge=0, le=6)  # 0 = Monday; unset = daily
    relevant_only: StrictBool = True
    # "title": only notices whose title is about CGT; "title+body" also those whose text treats CGT under a
    # general title (a plan with a CGT chapter), alerted with the passage quoted
    relevance: Literal["title", "title+body"] = "title+body"
    min_score: float = 0.0
    agencies: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    doc_types: list[str] = Field(default_factory=list)
    terms: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    # chat channels hold immediate alerts during these local hours, e.g. "22:00-08:00"; e-mail is unaffected
    quiet_hours: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
    ops: StrictBool = False  # receives operator alerts (broken sources and channels) instead of notices


class WebUser(BaseModel):
    """A desk user: an argon2 hash of the password (`cgt-monitor users hash`) and a role."""

    model_config = ConfigDict(extra="forbid")

    password_hash: str = Field(pattern=r"^\$argon2(id|i|d)\$")
    role: Literal["viewer", "reviewer", "admin"] = "viewer"
    # reads feeds, the calendar, exports and the API with ?token=… (a calendar app cannot sign in); never writes
    token_hash: str | None = Field(default=None, pattern=r"^sha256:[0-9a-f]{64}$")


class WebSettings(BaseModel):
    """The review desk: served by the daemon when enabled, and by `cgt-monitor serve`."""

    model_config = ConfigDict(extra="forbid")

    enabled: StrictBool = False
    host: str = "127.0.0.1"  # loopback unless opened on purpose
    port: int = Field(default=8750, ge=1, le=65535)
    public_url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+")  # what alerts link to
    # signs the session cookies; a ${ENV} reference, or unset: a random key kept in the data directory
    secret_key: str | None = None
    cookie_secure: StrictBool | None = None  # Secure cookies; unset: when public_url is https
    session_hours: float = Field(default=12.0, gt=0)
    # clients on these networks may read without signing in (writes always need a signed-in reviewer)
    read_networks: list[str] = Field(default_factory=lambda: ["127.0.0.1/32", "::1/128"])
    page_size: int = Field(default=50, ge=5, le=500)
    users: dict[str, WebUser] = Field(default_factory=dict)

    @field_validator("read_networks")
    @classmethod
    def _networks(cls, networks: list[str]) -> list[str]:
        for network in networks:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(f"'{network}' is not a network (e.g. 192.168.1.0/24)") from None
        return networks

    @field_validator("users")
    @classmethod
    def _user_names(cls, users: dict[str, WebUser]) -> dict[str, WebUser]:
        for name in users:
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}", name):
                raise ValueError(f"'{name}' is not a user name (letters, digits, . _ -)")
        return users

    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return bool(self.public_url and self.public_url.startswith("https://"))


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    database_url: str | None = None
    data_dir: Path | None = None
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    browser: BrowserSettings = Field(default_factory=BrowserSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    ops: OpsSettings = Field(default_factory=OpsSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    # a document reposted by another source within this many days is one notice with several sightings
    duplicate_window_days: int = Field(default=30, ge=0)
    # the daemon deletes the record of checks (runs) older than this many days, once a day; 0 keeps all
    keep_runs_days: int = Field(default=180, ge=0, le=36_500)
    channels: dict[str, Channel] = Field(default_factory=dict)
    subscription: list[Subscription] = Field(default_factory=list)

    def state_dir(self) -> Path:
        if self.data_dir is not None:
            return self.data_dir
        if env := os.environ.get(DATA_ENV):
            return Path(env)
        import platformdirs  # only for a deployment that names no data directory

        return Path(platformdirs.user_data_dir("cgt-monitor", appauthor=False))

    def resolved_database_url(self) -> str:
        if self.database_url:
            return expand_env(self.database_url)
        return f"sqlite:///{self.state_dir() / 'cgt-monitor.db'}"


def expand_env(value: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ConfigError("environment", f"${{{name}}} is referenced but not set")
        return os.environ[name]

    return _ENV_REF.sub(replace, value)


_TOKENISH = re.compile(r"(?<![\w$.{-])[A-Za-z0-9_\-]{12,}(?![\w.}])")


def mask_url(url: str) -> str:
    """Hide secrets in a URL (or a message quoting one) for display; ${ENV} references stay as written.

    Starred: inline passwords, token-like query values, and long token-like parts of the address itself,
    where chat services put their keys (wecombot://KEY, tgram://BOT:TOKEN/chat, discord://id/token).
    """
    masked = re.sub(r"(://[^:/@\s?#]+:)(?!\$\{)[^@/\s?#]+@", r"\1***@", url)
    masked = re.sub(r"((?:token|key|secret|password|pass|access_token)=)(?!\$\{)[^&\s]+", r"\1***", masked, flags=re.I)
    scheme, sep, rest = masked.partition("://")
    if not sep:
        return _TOKENISH.sub(_star, masked)
    return scheme + sep + _TOKENISH.sub(_star, rest)


def secrets_in(url: str) -> set[str]:
    """The parts of a (resolved) channel URL that are secret: what `mask_url` stars in it."""
    found = set(re.findall(r"://[^:/@\s?#]+:([^@/\s?#]+)@", url))
    found |= {m[1] for m in re.findall(r"((?:token|key|secret|password|pass|access_token)=)([^&\s]+)", url, re.I)}
    _, sep, rest = url.partition("://")
    found |= set(_TOKENISH.findall(rest if sep else ""))
    return {secret for secret in found if len(secret) >= 4}


def redact(text: str, url: str) -> str:
    """`text` (a service's error message, say) with the secrets of `url` starred, and nothing else touched."""
    for secret in sorted(secrets_in(url), key=len, reverse=True):
        text = text.replace(secret, secret[:3] + "***")
    return text


def _star(match: re.Match[str]) -> str:
    token = match.group(0)
    return token[:3] + "***"


def _subscription_or_none(raw: object) -> Subscription | None:
    try:
        return Subscription.model_validate(raw)
    except ValidationError:
        return None


def _reference_problems(
    subscriptions: list[Subscription | None], channels: Collection[str], path: Path, text: str
) -> list[ConfigError]:
    """Cross-table rules: names unique, channels known and listed once, filters naming what exists. A slip
    here would otherwise make every alert of a notice collide with itself, or a filter match nothing.
    (`None`: a subscription that failed validation, reported already.)"""
    problems: list[ConfigError] = []
    first_of: dict[str, int] = {}
    for index, sub in enumerate(subscriptions):
        if sub is None:
            continue
        where = f"[[subscription]] #{index + 1} ({sub.name})"

        def problem(field: str, message: str, hint: str | None = None, where: str = where, index: int = index) -> None:
            problems.append(ConfigError(path, message, locate(text, "subscription", index, [field]), where, hint))

        if sub.name in first_of:
            problem(
                "name",
                f"field 'name': duplicate subscription name '{sub.name}' "
                f"(first defined in [[subscription]] #{first_of[sub.name] + 1})",
                "names must be unique",
            )
        first_of.setdefault(sub.name, index)
        repeated = sorted({channel for channel in sub.channels if sub.channels.count(channel) > 1})
        if repeated:
            problem("channels", f"field 'channels': channel '{repeated[0]}' is listed more than once")
        for channel in dict.fromkeys(sub.channels):
            if channel not in channels:
                known = ", ".join(sorted(channels)) or "none defined"
                problem("channels", f"field 'channels': unknown channel '{channel}' (known: {known})")
        for field, values, known_values in (
            ("doc_types", sub.doc_types, doc_types()),
            ("topics", sub.topics, topics()),
        ):
            for value in values:
                if value not in known_values:
                    problem(field, f"field '{field}': unknown value '{value}' (known: {', '.join(known_values)})")
        for region in sub.regions:
            if not _REGION.match(region):
                problem("regions", f"field 'regions': '{region}' is not a region code", "e.g. CN, CN-GD, CN-GD-SZ")
    return problems


def _url_key(text: str, channel: str) -> tuple[str, int | None]:
    """Whether [channels.NAME] writes `url` or `urls`, and on which line: errors name what the file says."""
    lines = text.splitlines()
    for key in ("url", "urls"):
        line = locate(text, f"channels.{channel}", None, [key])
        if line and re.match(rf"^\s*{key}\s*=", lines[line - 1]):
            return key, line
    return "url", locate(text, f"channels.{channel}", None)


_REGION = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3}){0,2}$")


def unset_secrets(settings: Settings, path: Path | None, text: str) -> list[ConfigError]:
    """${NAME} references whose variable is not set here: warnings, since secrets are read at send time
    (a service's environment file may hold what this shell does not)."""
    warnings = []
    for name, configured in settings.channels.items():
        for url in configured.urls:
            for ref in _ENV_REF.findall(url):
                if ref not in os.environ:
                    key, line = _url_key(text, name)
                    warnings.append(
                        ConfigError(
                            path or "environment",
                            f"field '{key}': ${{{ref}}} is not set in this environment",
                            line=line if path else None,
                            where=f"[channels.{name}]",
                            hint="the service reads it from its environment file when it sends",
                        )
                    )
    return warnings


def resolve_config_path(explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit
    if env := os.environ.get(CONFIG_ENV):
        return Path(env)
    return None


def read_settings(path: Path | None = None, data_dir: Path | None = None) -> tuple[Settings, str]:
    """The deployment file (or the embedded default) and its text; every problem of the file at once."""
    resolved = resolve_config_path(path)
    text = ""
    if resolved is None:
        settings = Settings()
    else:
        data, text = read_toml(resolved)
        try:
            settings = Settings.model_validate(data)
        except ValidationError as exc:
            # the cross-table rules too, on what did validate: every problem of the file in one pass
            problems = _settings_problems(exc, resolved, text)
            raw_channels = data.get("channels")
            raw_subs = data.get("subscription")
            if isinstance(raw_subs, list):
                channels = list(raw_channels) if isinstance(raw_channels, dict) else []
                problems += _reference_problems([_subscription_or_none(s) for s in raw_subs], channels, resolved, text)
            raise_all(sorted(problems, key=lambda problem: problem.line or 0))
        raise_all(_reference_problems(list(settings.subscription), settings.channels, resolved, text))
        if settings.data_dir is not None and not settings.data_dir.is_absolute():
            settings = settings.model_copy(update={"data_dir": resolved.parent / settings.data_dir})
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    return settings, text


def load_settings(path: Path | None = None, data_dir: Path | None = None) -> Settings:
    """Load the deployment file; without one, the embedded default (SQLite, no channels)."""
    return read_settings(path, data_dir)[0]


def _settings_problems(exc: ValidationError, path: Path, text: str) -> list[ConfigError]:
    """Each error named with its table ([fetch], [channels.x], [[subscription]] #n) and field."""
    problems = []
    for error in exc.errors():
        loc = list(error["loc"])
        if len(loc) > 1 and isinstance(loc[1], int):
            table, index, inner, where = str(loc[0]), loc[1], loc[2:], f"[[{loc[0]}]] #{loc[1] + 1}"
        elif loc and loc[0] == "channels" and len(loc) > 1:
            table, index, inner, where = f"channels.{loc[1]}", None, loc[2:], f"[channels.{loc[1]}]"
        elif len(loc) > 1:
            table, index, inner, where = str(loc[0]), None, loc[1:], f"[{loc[0]}]"
        else:
            table, index, inner, where = "", None, loc, "top level"
        if table:
            line = locate(text, table, index, inner)
        else:
            line = next(
                (
                    n
                    for n, row in enumerate(text.splitlines(), 1)
                    if loc and re.match(rf"^\s*{re.escape(str(loc[0]))}\s*=", row)
                ),
                None,
            )
        field = ".".join(str(p) for p in inner) or table
        message, hint = describe(error)
        problems.append(ConfigError(path, f"field '{field}': {message}", line=line, where=where, hint=hint))
    return problems


def catalogue_problems(settings: Settings, sources: list[Any], path: Path | None, text: str) -> list[ConfigError]:
    """Subscription filters naming agencies, regions or sources the catalogue does not have: such a filter
    would silently match nothing."""
    agencies = {source.agency.casefold() for source in sources}
    regions = {source.region for source in sources}
    names = {source.name for source in sources}
    problems = []
    for index, sub in enumerate(settings.subscription):
        where = f"[[subscription]] #{index + 1} ({sub.name})"
        checks: tuple[tuple[str, list[str], list[str]], ...] = (
            (
                "agencies",
                [a for a in sub.agencies if a.casefold() not in agencies],
                sorted({s.agency for s in sources}),
            ),
            (
                "regions",
                [r for r in sub.regions if not any(x == r or x.startswith(r + "-") for x in regions)],
                sorted(regions),
            ),
            ("sources", [n for n in sub.sources if n not in names], []),
        )
        for field, unknown, known in checks:
            for value in unknown:
                hint = f"the catalogue has: {', '.join(known)}" if known else "see `cgt-monitor sources list`"
                line = locate(text, "subscription", index, [field]) if path else None
                message = f"field '{field}': no source in the catalogue has '{value}'"
                problems.append(ConfigError(path or "settings", message, line, where, hint))
    return problems


def example_deployment() -> Path:
    """The commented starter deployment file, as packaged (a wheel) or in a checkout (`examples/`)."""
    packaged = resources.files("monitor").joinpath("bundled/cgt-monitor.example.toml")
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "examples" / "cgt-monitor.toml"
