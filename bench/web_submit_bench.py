"""Time from pressing "Submit the request" to the commit, through ``tenantry serve``, on the
benchmark history.

Run: python bench/web_submit_bench.py [REPO] [--runs N]

REPO defaults to /tmp/tenantry-bench (see bench/README.md); it is cloned first
(``git clone --shared``), so the requests' branches never land in it. The server is started
on the clone with a token scoped to one tenant; once it has warmed up (HEAD's billing
history for the read API, and every spec file parsed once for the pages), each run posts
the confirm page's form for a new user with two SKUs and times the answer (the 303 to the
request's page: the branch exists by then).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

DEFAULT_REPO = Path("/tmp/tenantry-bench")
TENANT = "t0500"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", nargs="?", type=Path, default=DEFAULT_REPO)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    exe = str(Path(sys.executable).parent / "tenantry")
    with tempfile.TemporaryDirectory(prefix="web-bench-") as tmp:
        clone = Path(tmp) / "repo"
        subprocess.run(["git", "clone", "-q", "--shared", str(args.repo), str(clone)],
                       check=True)
        token = subprocess.run([exe, "-C", str(clone), "token", "create", "--name",
                                "Bench Customer", "--scope", f"tenant:{TENANT}"],
                               check=True, capture_output=True, text=True).stdout.split()[0]
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = subprocess.Popen([exe, "-C", str(clone), "serve", "--port", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            run(f"http://127.0.0.1:{port}/web", token, clone, args.runs)
        finally:
            server.terminate()
            server.wait()


def run(url: str, token: str, clone: Path, runs: int) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    started = time.perf_counter()
    while True:
        try:
            opener.open(url + "/sign-in", data=urllib.parse.urlencode(
                {"token": token}).encode(), timeout=600)
        except urllib.error.HTTPError as exc:
            if exc.code == 303:
                break
        except OSError:
            time.sleep(1)
    page = opener.open(f"{url}/tenants/{TENANT}/users/new", timeout=900).read().decode()
    print(f"server up and the add-user page shown after {time.perf_counter() - started:.1f} s")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    times = []
    for i in range(runs):
        form = urllib.parse.urlencode([
            ("csrf", csrf[1]), ("op", "add-user"), ("user", f"webbench{i}"),
            ("upn", f"webbench{i}@{TENANT}.example"), ("display_name", f"Web Bench {i}"),
            ("skus", "M365-BP"), ("skus", "SUPPORT")]).encode()
        t0 = time.perf_counter()
        try:
            opener.open(f"{url}/tenants/{TENANT}/changes", data=form, timeout=900)
            raise SystemExit("the submit did not redirect to the request's page")
        except urllib.error.HTTPError as exc:
            assert exc.code == 303, exc.code
        times.append(time.perf_counter() - t0)
        branch = subprocess.run(["git", "-C", str(clone), "for-each-ref", "--format=%(refname)",
                                 f"refs/heads/requests/*-add-webbench{i}"],
                                capture_output=True, text=True, check=True).stdout.strip()
        assert branch, f"no branch for run {i}"
    print(f"submit to commit over HTTP, {runs} runs: first {times[0]:.2f} s, median "
          f"{statistics.median(times):.2f} s, min {min(times):.2f} s")


if __name__ == "__main__":
    main()
