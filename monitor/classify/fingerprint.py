"""A fingerprint of what a notice is about, equal for the same document reposted by another agency."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_BOOK_TITLE = re.compile(r"《([^《》]{4,})》")
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def title_fingerprint(title: str) -> str:
    """The quoted document name (《…》) when there is one, else the whole title; punctuation and width ignored.

    "国家药监局关于发布《X》的通告" (NMPA), "国家药监局药审中心关于发布《X》的通告" (CDE) and a province's
    "转发…《X》的通知" share one fingerprint; a draft "《X（征求意见稿）》" does not share the final's.
    """
    text = unicodedata.normalize("NFKC", title).lower()
    quoted = _BOOK_TITLE.findall(text)
    core = "|".join(quoted) if quoted else text
    return hashlib.sha256(_NOISE.sub("", core).encode()).hexdigest()[:32]
