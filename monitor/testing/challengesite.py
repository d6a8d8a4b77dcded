"""A local site behind an imitation of the "瑞数" JS cookie challenge and an IP-level burst firewall.

It behaves as NMPA, NHC and CDE do towards a client, so the browser path can be tested and demonstrated
offline on 127.0.0.1:

- a request without a valid cookie gets HTTP 412, a server-set HttpOnly cookie and a small page: a <meta>
  holding a nonce, inline `$_ts` settings and an external script that computes a second cookie from the
  nonce (JavaScript only), sets it and reloads;
- with both cookies the real page is served (static files and unknown paths are not protected); the
  cookies are bound to the User-Agent that first used them and expire after `uses` requests, after which
  the challenge comes back;
- pages that passed still carry the inline `$_ts` script, as the real sites' do;
- `signed` paths (an API) also require the token the site's script appends to the query string of the page's
  own XMLHttpRequest calls (`?MmEwMD=…`, computed from the script's cookie, the path and the time, as the
  real script hooks `XMLHttpRequest.open` for the jQuery pages it guards): cookies alone do not open them,
  nor does a fetch() that passes the hook by; a request without it gets the challenge again;
- `burst` answers more than N requests within a window with the firewall's 403 page for a while.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs, urlencode, urlsplit

from monitor.testing.localsite import LocalSite, Page, SeenRequest

SEED_COOKIE = "FSSBBIl1UgzbN7NO"  # set by the server, HttpOnly
TOKEN_COOKIE = "FSSBBIl1UgzbN7NP"  # computed by the script
QUERY_TOKEN = "MmEwMD"  # appended by the script to the page's own XMLHttpRequest URLs
TOKEN_TTL_S = 300  # how old (or how far ahead) the time in a query token may be
SCRIPT_PATH = "/4QbVtADbnLVIc/c.FxJzG50F.c6e1f2b.js"
_META_ID = "9DhefwqGPrzGxEp9hPaoag"
_ROUNDS = 200

_SCRIPT = (
    """(function () {
  var TOKEN = "__TOKEN__";
  function h(s) {
    var x = 0x811c9dc5;
    for (var r = 0; r < __ROUNDS__; r++) {
      for (var i = 0; i < s.length; i++) { x = Math.imul(x ^ s.charCodeAt(i), 0x01000193) >>> 0; }
    }
    return ("0000000" + x.toString(16)).slice(-8);
  }
  window._$fb = function () {};
  var ts = window.$_ts || {};
  if (ts.challenge) {
    document.cookie = TOKEN + "=" + h(document.getElementById(ts.mid).content) + "; path=/";
    location.reload();
    return;
  }
  var found = document.cookie.match(new RegExp("(?:^|; )" + TOKEN + "=([^;]*)"));
  var token = found ? found[1] : "";
  function sign(url) {
    var u = new URL(url, location.href);
    if (u.host === location.host) {
      var t = String(Math.floor(Date.now() / 1000));
      u.searchParams.set("__QUERY__", t + "." + h(token + u.pathname + t));
    }
    return u.toString();
  }
  var open = XMLHttpRequest.prototype.open;
  XMLHttpRequest.prototype.open = function (method, url) {
    var args = Array.prototype.slice.call(arguments);
    args[1] = sign(url);
    return open.apply(this, args);
  };
})();
""".replace("__TOKEN__", TOKEN_COOKIE)
    .replace("__ROUNDS__", str(_ROUNDS))
    .replace("__QUERY__", QUERY_TOKEN)
)

_TS_SETTINGS = (
    '<meta id="{mid}" content="{nonce}" r=\'m\'>'
    "<script type=\"text/javascript\" r='m'>$_ts=window['$_ts'];if(!$_ts)$_ts={{}};$_ts.nsd={nsd};"
    '$_ts.cd="{cd}";$_ts.mid="{mid}";{flag}if($_ts.lcd)$_ts.lcd();</script>'
    f'<script type="text/javascript" charset="utf-8" src="{SCRIPT_PATH}" r=\'m\'></script>'
)

_CHALLENGE_PAGE = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" \
"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
{settings}</head>
<body>
</body>
</html>
<script type="text/javascript" r='m'>_$fb();</script>
"""

WAF_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>403</title></head>
<body><div class="middle-box"><h1>403</h1><h3 class="font-bold">Forbidden</h3>
<div class="error-desc"><p>请不要使用非法的URL地址访问</p><p>最可能的原因是：</p>
<p>·&nbsp;您正在试图非法攻击</p><p>·&nbsp;您访问的URL地址不被允许</p></div></div></body></html>
""".encode()


_LIST_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title></head>
<body><ul id="list"></ul>
<script>
// what the site's list pages do on load: $.ajax({{url, type: "post", data}}) and render data.records
(function () {{
  var xhr = new XMLHttpRequest();
  xhr.open("POST", {api});
  xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8");
  xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
  xhr.onload = function () {{
    var list = document.getElementById("list");
    try {{
      JSON.parse(xhr.responseText).data.records.forEach(function (r) {{
        var li = document.createElement("li");
        li.textContent = r.title;
        list.appendChild(li);
      }});
    }} catch (e) {{ list.setAttribute("data-error", String(xhr.status)); }}
  }};
  xhr.send({body});
}})();
</script></body></html>
"""


def api_list_page(api: str, form: Mapping[str, str], title: str = "列表") -> bytes:
    """A list page of the site whose own script posts `form` to `api` (through the hooked XMLHttpRequest) and
    renders the records it gets back, as CDE's list pages do."""
    return _LIST_PAGE.format(title=title, api=json.dumps(api), body=json.dumps(urlencode(form))).encode()


def digest(text: str) -> str:
    """The script's hash (32-bit FNV-1a, repeated), computed the same way on the server."""
    x = 0x811C9DC5
    for _ in range(_ROUNDS):
        for char in text:
            x = ((x ^ ord(char)) * 0x01000193) & 0xFFFFFFFF
    return f"{x:08x}"


def query_token(token: str, path: str, at: float) -> str:
    """The query token the script appends to a request for `path` at time `at`, given its cookie `token`."""
    t = str(int(at))
    return f"{t}.{digest(token + path + t)}"


def query_token_valid(value: str | None, token: str, path: str) -> bool:
    """Made by the script for this path, with this session's cookie, recently."""
    t, _, _ = (value or "").partition(".")
    if not t.isdigit() or abs(time.time() - int(t)) > TOKEN_TTL_S:
        return False
    return value == query_token(token, path, int(t))


@dataclass(frozen=True)
class Burst:
    """The firewall: more than `max_requests` within `window_s` bans the client for `ban_s`."""

    max_requests: int
    window_s: float
    ban_s: float


@dataclass
class _Session:
    nonce: str
    uses_left: int
    user_agent: str | None = None

    @property
    def token(self) -> str:
        return digest(self.nonce)


class ChallengeSite(LocalSite):
    def __init__(
        self,
        *,
        uses: int = 20,
        signed: set[str] | frozenset[str] = frozenset(),
        challenge: bool = True,
        burst: Burst | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host, port)
        self.uses = uses
        self.signed = frozenset(signed)
        self.challenge = challenge
        self.burst = burst
        self.challenges = 0  # 412 pages served
        self.passes = 0  # real pages served to a client holding valid cookies
        self.refusals = 0  # firewall 403s
        self.unsigned = 0  # requests to a signed path refused for want of a valid query token
        self._sessions: dict[str, _Session] = {}
        self._recent: deque[float] = deque()
        self._banned_until = 0.0
        self._state = threading.Lock()
        self._passed_settings = _ts_settings(secrets.token_urlsafe(24), challenge=False).encode()

    def respond(self, request: SeenRequest) -> Page:
        path = urlsplit(request.path).path
        with self._state:
            if self._refused(request.at):
                self.refusals += 1
                return Page(WAF_PAGE, status=403, etag=False)
            if path == SCRIPT_PATH:
                return Page(_SCRIPT.encode(), content_type="application/javascript", etag=False)
            with self._lock:
                protected = path in self.pages  # the site's pages and APIs; not its static files or 404s
            if not (self.challenge and protected):
                return super().respond(request)
            cookies = _cookies(request.headers.get("Cookie", ""))
            session = self._sessions.get(cookies.get(SEED_COOKIE, ""))
            agent = request.headers.get("User-Agent")
            if session is None or cookies.get(TOKEN_COOKIE) != session.token or session.user_agent not in (None, agent):
                return self._challenge(new_session=True)
            if path in self.signed and not query_token_valid(_query(request.path, QUERY_TOKEN), session.token, path):
                self.unsigned += 1
                return self._challenge(new_session=False)
            session.user_agent = agent
            session.uses_left -= 1
            if session.uses_left <= 0:
                del self._sessions[cookies[SEED_COOKIE]]
            self.passes += 1
        return self._with_settings(super().respond(request))

    def _refused(self, now: float) -> bool:
        if self.burst is None:
            return False
        if now < self._banned_until:
            return True
        self._recent.append(now)
        while self._recent and self._recent[0] < now - self.burst.window_s:
            self._recent.popleft()
        if len(self._recent) > self.burst.max_requests:
            self._banned_until = now + self.burst.ban_s
            self._recent.clear()
            return True
        return False

    def _challenge(self, new_session: bool) -> Page:
        self.challenges += 1
        nonce = secrets.token_urlsafe(24)
        headers: dict[str, str] = {}
        if new_session:
            seed = secrets.token_hex(16)
            self._sessions[seed] = _Session(nonce, self.uses)
            headers["Set-Cookie"] = f"{SEED_COOKIE}={seed}; Path=/; HttpOnly"
        body = _CHALLENGE_PAGE.format(settings=_ts_settings(nonce, challenge=True)).encode()
        return Page(body, status=412, headers=headers, etag=False)

    def _with_settings(self, page: Page) -> Page:
        """The real page as the sites serve it after the challenge: the inline settings are still there."""
        if page.status != 200 or not (page.content_type or "").startswith("text/html"):
            return page
        head = page.body.find(b"<head>")
        at = head + len(b"<head>") if head >= 0 else 0
        return Page(
            page.body[:at] + self._passed_settings + page.body[at:],
            status=page.status,
            content_type=page.content_type,
            headers=page.headers,
            etag=page.etag,
            delay_s=page.delay_s,
        )


def _ts_settings(nonce: str, challenge: bool) -> str:
    flag = "$_ts.challenge=1;" if challenge else ""
    nsd, cd = secrets.randbelow(99999), secrets.token_hex(48)
    return _TS_SETTINGS.format(mid=_META_ID, nonce=nonce, nsd=nsd, cd=cd, flag=flag)


def _cookies(header: str) -> dict[str, str]:
    jar = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def _query(path: str, name: str) -> str | None:
    values = parse_qs(urlsplit(path).query).get(name)
    return values[0] if values else None
