"""The source catalogue (`sources.toml`): one `[[source]]` table per watched list page or API."""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from monitor.config.errors import ConfigError, locate, raise_all, read_toml, validation_problems
from monitor.extract import registry
from monitor.memo import by_identity

SOURCES_ENV = "CGT_MONITOR_SOURCES"

# What a source's selectors rest on: real page bytes in the tests (`recorded`), public code or notes about the
# page with synthetic rows in the tests (`reference`), or nothing checked yet (`unverified`). Users judge how
# far a source's silence can be trusted by this, so it is required of every entry.
Evidence = Literal["recorded", "reference", "unverified"]
EVIDENCE_LEVELS: tuple[Evidence, ...] = ("recorded", "reference", "unverified")


class RequestSpec(BaseModel):
    """How to ask for the list: most sources are a plain GET; JSON APIs often want a form POST."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["GET", "POST"] = "GET"
    form: dict[str, str] | None = None
    json_body: dict[str, Any] | None = Field(default=None, alias="json")
    params: dict[str, str] | None = None
    headers: dict[str, str] = Field(default_factory=dict)


class CaptureSpec(BaseModel):
    """The list is the answer to the site's own request: its list page is opened in the browser and the
    request its script makes to the source's `url` is captured, with whatever the site's script added to it
    (an anti-bot token in the query string, say). Page N (back-fill) is asked from that same page, through
    its XMLHttpRequest, as the page's own request was made but with `page_param` set to N."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    page: str = Field(min_length=1)  # the list page whose script requests `url`; relative to `url`


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$", max_length=64)
    agency: str = Field(min_length=1)
    region: str = Field(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3}){0,2}$")
    url: str
    kind: str
    # what the source's structure rests on; a source that says nothing is a guess until shown otherwise
    evidence: Evidence = "unverified"
    # what the evidence is: the fixture, the page's URL and recording date and who recorded it; or the public
    # reference; or why nothing better exists (required with "recorded" and "reference")
    evidence_note: str = ""
    label: str = ""
    language: str = "zh"
    enabled: StrictBool = True
    interval_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    encoding: str | None = None  # override when a site lies about its charset
    follow: StrictBool = False
    # "general": this list's titles seldom name their subject (a government's policy documents, answers to
    # deputies): every new notice is followed, and one whose text treats CGT is relevant at the body level
    titles: Literal["specific", "general"] = "specific"
    key_pattern: str | None = None  # regex whose first group is the notice's stable id
    # back-fill paging: a URL template for page N (>= 2), relative to `url` ({n} = N, {n0} = N - 1, e.g.
    # "index_{n0}.html"), or the form/query field that carries N for APIs (e.g. "pageNum")
    page_url: str | None = None
    page_param: str | None = None
    # TLS: extra CA/intermediate certificates (a PEM file, relative to the catalogue or in monitor/certs/)
    # for sites that serve an incomplete chain; insecure_tls turns verification off and is reported as such
    ca_file: str | None = None
    insecure_tls: StrictBool = False
    # how to fetch: plain HTTP; a real browser (JS cookie challenges); or HTTP first, the browser on a challenge
    fetch: Literal["http", "browser", "auto"] = "http"
    browser_headless: StrictBool | None = None  # None: the deployment default; False runs it under Xvfb
    browser_wait_for: str | None = None  # CSS selector proving the real page loaded (default: the row selector)
    min_delay_s: float | None = Field(default=None, ge=0)  # politeness override for this source's host
    deadline_s: float | None = Field(default=None, gt=0)  # the whole check's time limit ([fetch] default)
    # a list whose newest notice is older than this is suspect (frozen); 0: a list that may stay still
    stale_after_days: int = Field(default=180, ge=0, le=3650)
    request: RequestSpec = Field(default_factory=RequestSpec)
    capture: CaptureSpec | None = None  # the list is what the site's own page requests (see CaptureSpec)
    extract: dict[str, Any] = Field(default_factory=dict)  # validated by the extractor of `kind`: see `options`

    @field_validator("url")
    @classmethod
    def _absolute_http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an absolute http(s) URL")
        return value

    @field_validator("key_pattern")
    @classmethod
    def _compiles_with_group(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            pattern = re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        if pattern.groups < 1:
            raise ValueError("needs one capturing group: the stable id")
        return value

    @field_validator("evidence_note")
    @classmethod
    def _a_claim_says_what_it_rests_on(cls, value: str, info: ValidationInfo) -> str:
        evidence = info.data.get("evidence", "unverified")
        if evidence != "unverified" and not value.strip():
            raise ValueError(f'evidence = "{evidence}" needs a note: the fixture, URL and date, or the reference')
        return value

    @field_validator("capture")
    @classmethod
    def _capture_in_a_browser_on_its_site(cls, value: CaptureSpec | None, info: ValidationInfo) -> CaptureSpec | None:
        url, fetch = info.data.get("url"), info.data.get("fetch")
        if value is None or url is None:
            return value
        if fetch == "http":
            raise ValueError(
                'needs a browser: set fetch = "browser" (the site\'s own page makes the request) '
                'or "auto" (plain HTTP first, the page when challenged)'
            )
        if info.data.get("page_url"):
            raise ValueError("pages through page_param (the page's own request with that field set to N), not page_url")
        page, site = urlsplit(urljoin(url, value.page)), urlsplit(url).netloc.lower()
        if page.scheme not in ("http", "https") or page.netloc.lower() != site:
            raise ValueError(
                f"page '{value.page}' is not on the source's own site ({site}): "
                'give its path, e.g. "/zdyz/listpage/…", which is resolved against url'
            )
        return value

    @model_validator(mode="after")
    def _general_titles_are_followed(self) -> Source:
        if self.titles == "general" and "follow" in self.model_fields_set and not self.follow:
            raise ValueError('titles = "general" needs the detail pages: drop follow = false')
        return self

    @property
    def follows(self) -> bool:
        """Whether new notices are followed to their detail pages (and attachments)."""
        return self.follow or self.titles == "general"

    @property
    def capture_page(self) -> str | None:
        """The absolute address of the list page whose own request is captured, if the source has one."""
        return urljoin(self.url, self.capture.page) if self.capture else None

    @property
    def host(self) -> str:
        return self.url.split("/")[2].lower()

    @property
    def options(self) -> BaseModel:
        """`[source.extract]` as its extractor's typed options, validated once per distinct table."""
        return _source_options(self)


@by_identity()
def _source_options(source: Source) -> BaseModel:
    # asked on every check: the table's JSON form (the key of the cache below) is made once per source object
    return _options(source.kind, json.dumps(source.extract, sort_keys=True, ensure_ascii=False))


@lru_cache(maxsize=1024)
def _options(kind: str, extract_json: str) -> BaseModel:
    # kept outside the model: a cache inside it would make two equal sources compare unequal
    return registry.parse_options(kind, json.loads(extract_json))


def bundled_catalogue() -> Path:
    """The catalogue shipped with the package (a wheel), or the repository's own in a checkout."""
    packaged = resources.files("monitor").joinpath("bundled/sources.toml")
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "sources.toml"


def resolve_sources_path(explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    if env := os.environ.get(SOURCES_ENV):
        return Path(env)
    local = Path("sources.toml")
    return local if local.is_file() else bundled_catalogue()


def parse_sources(data: dict[str, Any], text: str, path: Path) -> list[Source]:
    """Validate a parsed catalogue: every problem of the file at once, each naming file:line, the source
    and the field."""
    unknown = set(data) - {"source"}
    if unknown:
        key = sorted(unknown)[0]
        raise ConfigError(
            path, f"unknown top-level key '{key}' (expected [[source]] tables)", line=locate(text, key, None)
        )
    raw_sources = data.get("source", [])
    if not isinstance(raw_sources, list):
        raise ConfigError(path, "'source' must be an array of tables: write [[source]]")
    sources: list[Source] = []
    problems: list[ConfigError] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_sources):
        label = f"[[source]] #{index + 1}" + (f" ({raw['name']})" if isinstance(raw.get("name"), str) else "")
        try:
            source = Source.model_validate(raw)
        except ValidationError as exc:
            problems += validation_problems(exc, path, text, "source", index, label)
            kind, extract = raw.get("kind"), raw.get("extract", {})
            if kind in registry.kinds() and isinstance(extract, dict):  # its selectors are checked all the same
                try:
                    registry.parse_options(kind, extract)
                except ValidationError as options_exc:
                    problems += validation_problems(options_exc, path, text, "source", index, label, ["extract"])
            continue
        if source.kind not in registry.kinds():
            problems.append(
                ConfigError(
                    path,
                    f"field 'kind': unknown kind '{source.kind}' (known: {', '.join(registry.kinds())})",
                    line=locate(text, "source", index, ["kind"]),
                    where=label,
                )
            )
            continue
        try:
            source.options  # noqa: B018  (validated here, once, so errors point at the file)
        except ValidationError as exc:
            # locate() walks [source.extract] sub-tables, so prefix the path
            problems += validation_problems(exc, path, text, "source", index, label, prefix=["extract"])
            continue
        if source.name in seen:
            problems.append(
                ConfigError(
                    path,
                    f"field 'name': duplicate source name '{source.name}' "
                    f"(first defined in [[source]] #{seen[source.name] + 1})",
                    line=locate(text, "source", index, ["name"]),
                    where=label,
                    hint="names are the sources' identity in the store: each must be unique",
                )
            )
            continue
        seen[source.name] = index
        sources.append(source)
    raise_all(problems)
    return sources


def load_sources(path: Path | None = None) -> list[Source]:
    resolved = resolve_sources_path(path)
    data, text = read_toml(resolved)
    return parse_sources(data, text, resolved)
