"""Addresses of page N of a source's list, for back-fill. Polling always reads page 1."""

from __future__ import annotations

from urllib.parse import urljoin

from monitor.config.sources import RequestSpec, Source


class NoPaging(ValueError):
    pass


def page_request(source: Source, page: int) -> tuple[str, RequestSpec]:
    if page < 1:
        raise ValueError("pages start at 1")
    if page == 1:
        return source.url, source.request
    if source.page_url:
        return urljoin(source.url, source.page_url.format(n=page, n0=page - 1)), source.request
    if source.page_param:
        request = source.request
        if request.method == "POST" and request.form is not None:
            return source.url, request.model_copy(update={"form": {**request.form, source.page_param: str(page)}})
        if request.json_body is not None:
            body = {**request.json_body, source.page_param: page}
            return source.url, request.model_copy(update={"json_body": body})
        params = {**(request.params or {}), source.page_param: str(page)}
        return source.url, request.model_copy(update={"params": params})
    raise NoPaging(f"source '{source.name}' has neither page_url nor page_param: it cannot be paged back")
