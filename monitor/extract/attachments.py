"""Text of notice attachments (PDF, DOCX, DOC/WPS, OFD), each read in a child process under limits.

Attachments come from third-party sites: a malformed or hostile file may hang or exhaust a parser, so every
file is read by `python -m monitor.extract.attachments FILE` with a CPU, memory and wall-clock cap, and a page cap.
A scanned PDF (pages without a text layer) is reported as such, not crashed on.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

MAX_PAGES = 60
MAX_CHARS = 200_000
MAX_BYTES = 30_000_000


@dataclass(frozen=True)
class Extracted:
    text: str
    kind: str  # pdf, docx, doc, ofd, unsupported
    pages: int | None = None
    scanned: bool = False  # pages but no text layer: an image scan
    error: str | None = None


def _pdf(path: Path) -> Extracted:
    from pypdf import PdfReader

    reader = PdfReader(path)
    pages = reader.pages[:MAX_PAGES]
    text = "\n".join((page.extract_text() or "") for page in pages)
    return Extracted(text[:MAX_CHARS], "pdf", len(reader.pages), scanned=bool(pages) and not text.strip())


def _docx(path: Path) -> Extracted:
    import docx

    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return Extracted("\n".join(parts)[:MAX_CHARS], "docx")


def _doc(path: Path) -> Extracted:
    antiword = shutil.which("antiword")
    if antiword is None:
        return Extracted("", "doc", error="antiword is not installed (apt-get install antiword)")
    result = subprocess.run([antiword, "-m", "UTF-8.txt", str(path)], capture_output=True, timeout=30)
    if result.returncode != 0:
        return Extracted("", "doc", error=result.stderr.decode(errors="replace").strip()[:200])
    return Extracted(result.stdout.decode("utf-8", "replace")[:MAX_CHARS], "doc")


def _ofd(path: Path) -> Extracted:
    """OFD (GB/T 33190) is a zip of XML pages; the text sits in TextCode elements."""
    from xml.etree import ElementTree  # only an OFD attachment needs an XML parser

    texts: list[str] = []
    with zipfile.ZipFile(path) as archive:
        pages = sorted(n for n in archive.namelist() if n.lower().endswith("content.xml"))
        for name in pages[:MAX_PAGES]:
            root = ElementTree.fromstring(archive.read(name))
            texts += [el.text or "" for el in root.iter() if el.tag.endswith("TextCode")]
    return Extracted("".join(texts)[:MAX_CHARS], "ofd", len(pages), scanned=bool(pages) and not "".join(texts).strip())


_READERS = {".pdf": _pdf, ".docx": _docx, ".doc": _doc, ".wps": _doc, ".ofd": _ofd}


def _kind_of(path: Path) -> str:
    head = path.read_bytes()[:8]
    if head.startswith(b"%PDF"):
        return ".pdf"
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: Word 97-2003 and WPS
        return ".doc"
    if head.startswith(b"PK"):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
        return ".docx" if "word/document.xml" in names else ".ofd" if "OFD.xml" in names else ".zip"
    return path.suffix.lower()


def read_here(path: Path) -> Extracted:
    """Read a file in this process (the child side of `extract_text`)."""
    suffix = _kind_of(path)
    reader = _READERS.get(suffix)
    if reader is None:
        return Extracted("", "unsupported", error=f"no reader for {suffix or 'this file'}")
    try:
        return reader(path)
    except Exception as exc:  # a broken file is reported, never raised into the pipeline
        return Extracted("", suffix.lstrip("."), error=f"{type(exc).__name__}: {exc}"[:300])


def _limit_child(cpu_s: int, memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def extract_text(path: Path, timeout_s: float = 60.0, cpu_s: int = 30, memory_mb: int = 1024) -> Extracted:
    """Read `path` in a child process under CPU, memory and time limits."""
    if path.stat().st_size > MAX_BYTES:
        return Extracted("", "unsupported", error=f"larger than {MAX_BYTES} bytes")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "monitor.extract.attachments", str(cpu_s), str(memory_mb), str(path)],
            capture_output=True,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired:
        return Extracted("", "unknown", error=f"took longer than {timeout_s:.0f}s")
    if result.returncode != 0:
        return Extracted(
            "",
            "unknown",
            error=f"reader stopped (exit {result.returncode}): "
            + result.stderr.decode(errors="replace").strip()[-200:],
        )
    return Extracted(**json.loads(result.stdout))


if __name__ == "__main__":
    # the child limits itself first: no preexec_fn, which is unsafe in the threaded parent
    _limit_child(int(sys.argv[1]), int(sys.argv[2]) * 1024 * 1024)
    extracted = read_here(Path(sys.argv[3]))
    print(json.dumps(extracted.__dict__, ensure_ascii=False))
