"""Download a file from a list of mirrors, verified and written atomically.

Mirrors are tried in order; each gets a few attempts with a short back-off for
transient failures (dropped connections, timeouts, 5xx). A 4xx answer is final
for that mirror. The body is streamed to a temporary file beside the target,
checked by the caller's ``verify`` function, and only then renamed into place,
so an interrupted or corrupt download never leaves a file that looks valid.
"""

from __future__ import annotations

import http.client
import os
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from .._io import atomic_open
from ..errors import DigitlabError, DownloadError

USER_AGENT = "digitlab-downloader"


class _Permanent(Exception):
    """A failure that retrying the same URL will not fix (HTTP 4xx)."""


def _fetch_once(url: str, dest: Path, timeout: float, verify: Callable[[Path], None]) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with atomic_open(dest) as out:
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                shutil.copyfileobj(response, out, length=1 << 20)
                declared = response.headers.get("Content-Length")
                # http.client returns short reads quietly when the peer hangs up mid-body
                if declared is not None and out.tell() != int(declared):
                    raise http.client.IncompleteRead(b"", int(declared) - out.tell())
        except urllib.error.HTTPError as e:
            if 400 <= e.code < 500:
                raise _Permanent(f"HTTP {e.code} {e.reason}") from None
            raise
        out.flush()
        verify(Path(out.name))  # raising here discards the temporary file


def download(
    urls: list[str],
    dest: str | os.PathLike,
    verify: Callable[[Path], None],
    *,
    attempts: int = 3,
    timeout: float = 30.0,
    backoff: float = 1.0,
) -> Path:
    """Fetch the first of ``urls`` that yields a file passing ``verify``.

    ``verify(path)`` receives the downloaded temporary file and raises a
    DigitlabError if it is wrong (for example a checksum mismatch); a wrong
    file is not retried from the same mirror. Returns ``dest``. Raises
    DownloadError listing every URL and why it failed.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    for url in urls:
        for attempt in range(1, attempts + 1):
            try:
                _fetch_once(url, dest, timeout, verify)
                return dest
            except _Permanent as e:
                failures.append(f"{url}: {e}")
                break
            except DigitlabError as e:
                failures.append(f"{url}: downloaded file rejected: {e}")
                break
            except (urllib.error.URLError, http.client.HTTPException, OSError, TimeoutError) as e:
                reason = getattr(e, "reason", None) or e
                if attempt == attempts:
                    failures.append(f"{url}: {type(e).__name__}: {reason} (after {attempts} attempts)")
                else:
                    time.sleep(backoff * attempt)
    tried = "; ".join(failures) or "no URLs were given"
    raise DownloadError(
        f"could not download {dest.name}: {tried}. "
        f"To supply it by hand, download {dest.name} from any mirror and put it in {dest.parent}"
    )
