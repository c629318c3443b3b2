"""`python -m bot add` against hostile sources (issue 17, points 2 and 5): symbolic links,
devices and FIFOs are refused with a message instead of being followed or read; sizes
hold on the bytes actually read; an id taken by another source asks for --replace; two
adds of one id at once leave one whole article.

Adding with --no-index loads no model, so each run takes a second or two; every run is
bounded in time and memory, so a source that would hang or fill memory fails the test
instead of the machine.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from run_bot import bot
from test_ingest import MARKDOWN, NEWS_PAGE

SECRET = "root:$6$s3cr3t-hash-of-the-password:19000:0:99999:7:::"
SECRET_FILE = f"Password hashes\n\n{SECRET}\n"
STORY_A = "Harbour Bridge Reopens\n\nThe Harbour Bridge reopened to traffic on Monday after a two-year repair.\n"
STORY_B = "Port Strike Ends\n\nDockers returned to work on Tuesday after a deal with the port authority.\n"


def add(*sources, articles: Path, timeout: float = 30, **env):
    return bot("add", *sources, "--no-index", articles=articles, timeout=timeout, memory_mb=1024, **env)


def refusal(result, source) -> str:
    """The one `refused` line naming `source`."""
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("refused") and str(source) in x]
    return line


def published(articles: Path) -> dict[str, str]:
    return (
        {p.name: p.read_text(encoding="utf-8", errors="replace") for p in articles.iterdir()}
        if articles.exists()
        else {}
    )


@pytest.fixture
def secret(tmp_path) -> Path:
    """A file the operator must not publish by accident (a stand-in for /etc/shadow)."""
    path = tmp_path / "private" / "shadow"
    path.parent.mkdir()
    path.write_text(SECRET_FILE)
    path.chmod(0o600)
    return path


# --- symbolic links, devices, FIFOs --------------------------------------------------------


def test_a_symbolic_link_is_refused_not_followed(secret, tmp_path):
    link = tmp_path / "story.txt"
    link.symlink_to(secret)
    r = add(link, articles=tmp_path / "articles")
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == 1
    line = refusal(r, link)
    assert "symbolic link" in line and " - " in line
    assert not any(SECRET in text for text in published(tmp_path / "articles").values())


def test_a_symbolic_link_inside_an_added_folder_is_refused_and_the_rest_added(secret, tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "library.md").write_text(MARKDOWN, encoding="utf-8")
    (folder / "notes.txt").symlink_to(secret)
    (folder / "more").symlink_to(secret.parent, target_is_directory=True)
    r = add(folder, articles=tmp_path / "articles")
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == 1
    assert "symbolic link" in refusal(r, folder / "notes.txt")
    assert "symbolic link" in refusal(r, folder / "more")
    assert any(x.startswith("added") and "library" in x for x in r.stdout.splitlines())
    files = published(tmp_path / "articles")
    assert "library.txt" in files and not any(SECRET in text for text in files.values())


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_refused_without_reading_it(device, tmp_path):
    if not Path(device).exists():
        pytest.skip(f"{device} does not exist here")
    r = add(device, articles=tmp_path / "articles")  # /dev/zero read to the end would fill memory
    assert "Traceback" not in r.stderr and "MemoryError" not in r.stderr, r.stderr[-2000:]
    assert r.returncode == 1
    line = refusal(r, device)
    assert "device" in line and " - " in line
    assert published(tmp_path / "articles") == {}


def test_a_device_named_like_an_article_is_refused(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    node = tmp_path / "zero.txt"
    os.mknod(node, 0o644 | stat.S_IFCHR, os.makedev(1, 5))  # the /dev/zero device
    r = add(node, articles=tmp_path / "articles")
    assert "Traceback" not in r.stderr and "MemoryError" not in r.stderr, r.stderr[-2000:]
    assert r.returncode == 1 and "device" in refusal(r, node)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "story.txt"
    os.mkfifo(fifo)
    r = add(fifo, articles=tmp_path / "articles", timeout=30)  # a read would block forever: TimeoutExpired
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == 1
    line = refusal(r, fifo)
    assert "pipe" in line and " - " in line


def test_a_fifo_inside_an_added_folder_is_named_and_the_rest_added(tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "library.md").write_text(MARKDOWN, encoding="utf-8")
    os.mkfifo(folder / "feed.txt")
    r = add(folder, articles=tmp_path / "articles", timeout=30)
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == 1
    assert "pipe" in refusal(r, folder / "feed.txt")
    assert set(published(tmp_path / "articles")) == {"library.txt"}


def test_the_size_limit_holds_on_the_bytes_read_not_on_the_reported_size(tmp_path, monkeypatch, capsys):
    """A file whose size the system under-reports (as /proc files and devices do) is
    refused once the bytes read pass the limit, without reading the rest into memory."""
    import tracemalloc

    from bot.app.cli import main

    big = tmp_path / "big.txt"
    with open(big, "wb") as f:
        f.write(b"Big Story\n\n")
        f.truncate(100 * 2**20)  # 100 MB, sparse: no disk used
    ino = big.stat().st_ino
    for name in ("stat", "lstat", "fstat"):
        real = getattr(os, name)

        def under_reported(*args, _real=real, **kwargs):
            st = _real(*args, **kwargs)
            if st.st_ino != ino:
                return st
            fields = list(st[:10])
            fields[6] = 100  # st_size
            return os.stat_result(fields)

        monkeypatch.setattr(os, name, under_reported)
    monkeypatch.setenv("BOT_ARTICLES_DIR", str(tmp_path / "articles"))
    tracemalloc.start()
    try:
        assert main(["add", str(big), "--no-index"]) == 1
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    out = capsys.readouterr().out
    assert out.startswith(f"refused   {big}: ") and "too large for one article" in out
    assert peak < 30 * 2**20, f"{peak / 2**20:.0f} MB held to refuse it"
    assert not (tmp_path / "articles" / "big.txt").exists()


# --- article ids ---------------------------------------------------------------------------


def test_an_id_taken_by_another_source_asks_for_replace(tmp_path):
    articles = tmp_path / "articles"
    for folder, text in (("a", STORY_A), ("b", STORY_B)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "story.txt").write_text(text, encoding="utf-8")
    first = add(tmp_path / "a" / "story.txt", articles=articles)
    assert first.returncode == 0 and first.stdout.startswith("added")
    r = add(tmp_path / "b" / "story.txt", articles=articles)
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == 1
    line = refusal(r, tmp_path / "b" / "story.txt")
    assert "--replace" in line and "story" in line
    assert (articles / "story.txt").read_text(encoding="utf-8").startswith("Harbour Bridge")  # untouched
    # The same source again, changed, is an update: no --replace needed.
    (tmp_path / "a" / "story.txt").write_text(STORY_A.replace("Monday", "Sunday"), encoding="utf-8")
    again = add(tmp_path / "a" / "story.txt", articles=articles)
    assert again.returncode == 0 and again.stdout.startswith("replaced")
    # Asked for, the other source replaces it.
    forced = bot("add", tmp_path / "b" / "story.txt", "--replace", "--no-index", articles=articles, timeout=30)
    assert forced.returncode == 0 and forced.stdout.startswith("replaced"), forced.stdout + forced.stderr
    assert (articles / "story.txt").read_text(encoding="utf-8").startswith("Port Strike")


class _TwoHosts(BaseHTTPRequestHandler):
    """One page path, a different article for each host name it is asked by."""

    def do_GET(self):
        host = self.headers.get("Host", "").split(":")[0]
        body = (NEWS_PAGE if host == "127.0.0.1" else MARKDOWN).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8" if host == "127.0.0.1" else "text/markdown")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_the_same_url_path_from_another_host_asks_for_replace(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TwoHosts)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port, articles = server.server_address[1], tmp_path / "articles"
        first = add(f"http://127.0.0.1:{port}/news/story.html", articles=articles, BOT_ALLOW_PRIVATE_URLS="1")
        assert first.returncode == 0 and first.stdout.startswith("added"), first.stdout + first.stderr
        r = add(f"http://localhost:{port}/news/story.html", articles=articles, BOT_ALLOW_PRIVATE_URLS="1")
        assert "Traceback" not in r.stderr, r.stderr
        assert r.returncode == 1 and "--replace" in refusal(r, f"http://localhost:{port}/news/story.html")
        assert "Harbour Bridge" in (articles / "story.txt").read_text(encoding="utf-8")
    finally:
        server.shutdown()
        server.server_close()


def test_concurrent_adds_of_one_id_leave_one_whole_article(tmp_path):
    """Six processes add the same long story at once: each finishes cleanly, and the
    folder ends with the whole article (never an empty or half-written one) and no
    temporary files."""
    source = tmp_path / "story.txt"
    text = "Big Harbour Story\n\n" + "".join(
        f"Paragraph {n} says the bridge reopened on Monday.\n\n" for n in range(4_500)
    )  # about 240,000 characters: as long as an article may be
    source.write_text(text, encoding="utf-8")
    articles = tmp_path / "articles"
    results = [None] * 6

    def run(n):
        results[n] = add(source, articles=articles, timeout=600)  # one after another: slow on a busy machine

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(results))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        assert "Traceback" not in r.stderr, r.stderr[-3000:]
        assert r.returncode == 0, r.stdout + r.stderr[-2000:]
    statuses = sorted(r.stdout.split()[0] for r in results)
    assert statuses == ["added"] + ["unchanged"] * 5
    assert sorted(p.name for p in articles.iterdir() if not p.name.startswith(".")) == ["story.txt"]
    assert not [p for p in articles.iterdir() if "partial" in p.name]
    assert (articles / "story.txt").read_text(encoding="utf-8").rstrip() == text.rstrip()


# --- names ---------------------------------------------------------------------------------

FORGED = "story\nadded     shadow.txt -> shadow (Password hashes).txt"  # looks like a second line


def test_a_file_name_cannot_print_a_line_of_its_own(tmp_path):
    """Control characters, line separators and undecodable bytes in a name are printed
    escaped: each source is one line, and nothing in a name moves the terminal's cursor."""
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / FORGED).write_text(STORY_A, encoding="utf-8")
    (folder / "port\u2028strike.txt").write_text(STORY_B, encoding="utf-8")
    (folder / "erase\x1b[1A\x1b[2K\r.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / "bytes-\udcff.txt").write_text(MARKDOWN, encoding="utf-8")  # the name is not UTF-8
    r = add(folder, articles=tmp_path / "articles")
    assert "Traceback" not in r.stderr, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 4, lines
    assert sorted(x.split()[0] for x in lines) == ["added", "added", "added", "refused"]
    assert not any(x.startswith("added     shadow") for x in lines)
    for shown in ("story\\nadded     shadow.txt", "port\\u2028strike.txt", "erase\\x1b[1A\\x1b[2K\\r.png", "-\\udcff"):
        assert sum(shown in x for x in lines) == 1, (shown, lines)
    assert not any(c in r.stdout for c in "\x1b\r\u2028")


# --- URLs ----------------------------------------------------------------------------------


class _Trickle(BaseHTTPRequestHandler):
    """A page that arrives one byte every 0.2 s: each read is quick, the whole takes minutes."""

    def do_GET(self):
        body = NEWS_PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for i in range(len(body)):
                self.wfile.write(body[i : i + 1])
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:  # the client gave up: expected
            pass

    def log_message(self, *args):
        pass


@pytest.mark.slow
def test_a_url_that_trickles_is_cut_off_at_the_total_timeout(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/news/slow.html"
        started = time.monotonic()
        r = add(url, articles=tmp_path / "articles", timeout=120, BOT_ALLOW_PRIVATE_URLS="1")
        took = time.monotonic() - started
        assert "Traceback" not in r.stderr, r.stderr
        assert r.returncode == 1 and "15 s" in refusal(r, url)
        assert took < 45  # 15 s for the whole download, plus the process start on a busy machine (minutes without it)
    finally:
        server.shutdown()
        server.server_close()
