"""`wegwijs check-links` end to end, as an editor runs it: a copy of faq/ whose sources all
point at a real HTTPS server on 127.0.0.1 (its own certificate; the internet is never asked),
one page gone, one server refusing HEAD, one entry's site refusing connections. The report
is printed, the exit code says a link is dead, and the run lands in the database for the
editors' review page; `--no-save` leaves the last saved run alone."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import re
import shutil
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bot.__main__ import main
from bot.config import PROJECT_ROOT
from bot.db.migrate import migrate
from bot.db.session import make_engine, make_sessionmaker
from bot.faq.layers import national_paths, version_of
from bot.faq.link_store import LinkCheckRun, latest_link_check
from bot.faq.links import links_by_entry
from bot.faq.schema import load_knowledge_base
from bot.insights.knowledge import entry_files
from bot.stack import free_port
from tests.bot.faq.link_server import StatusHandler

BANK = "money_bank_account"  # its first source: gone (404)
DOCTOR = "health_huisarts"  # its first source: a server that refuses HEAD (405), GET works
NEIGHBOURS = "housing_neighbours"  # its sources: a port where nothing listens
URL_LINE = re.compile(r"""(url:\s*["']?)https://[^/\s"']+""")
OVERRIDE = re.compile(r"(overrides:\s*\{entry:\s*(\w+),\s*version:\s*)(\w+)")


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key; the test trusts it through SSL_CERT_FILE."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class Site:
    """Every source's server: 200 for any path, except the ones the test names."""

    url: str
    gone: set[str]
    head_refused: set[str]


def handler_for(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(StatusHandler):
        def status(self) -> int:
            path = urlsplit(self.path).path
            if path in site.gone:
                return 404
            if path in site.head_refused and self.command == "HEAD":
                return 405
            return 200

    return Handler


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # httpx trusts it (trust_env)
    made = Site("", set(), set())
    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), handler_for(made))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    made.url = f"https://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield made
    finally:
        httpd.shutdown()
        httpd.server_close()


def renewed(root: Path, found: re.Match[str]) -> str:
    national = next(path for path in national_paths(root / "faq") if path.stem == found[2])
    return f"{found[1]}{version_of(national)}"


def local_faq(root: Path, site: Site, closed: str) -> dict[str, list[str]]:
    """A copy of faq/ whose every source is on `site` (same paths), NEIGHBOURS's on
    `closed`; every link it cites, with the entries that cite it."""
    shutil.copytree(PROJECT_ROOT / "faq", root / "faq")
    for path in (root / "faq").rglob("*.yml"):
        text = path.read_text(encoding="utf-8")
        path.write_text(URL_LINE.sub(rf"\g<1>{site.url}", text), encoding="utf-8")
    for path in (root / "faq" / "local").rglob("*.yml"):  # each override names its version
        text = path.read_text(encoding="utf-8")
        path.write_text(OVERRIDE.sub(lambda found: renewed(root, found), text), encoding="utf-8")
    neighbours = root / entry_files(root, "almere")[NEIGHBOURS]
    text = neighbours.read_text(encoding="utf-8")
    neighbours.write_text(text.replace(site.url, closed), encoding="utf-8")
    cited_by = links_by_entry(load_knowledge_base(root / "faq", municipality="almere"))
    hosts = {urlsplit(url).netloc for url in cited_by}
    assert hosts == {urlsplit(site.url).netloc, urlsplit(closed).netloc}  # no internet
    return cited_by


def first_source(cited_by: dict[str, list[str]], entry_id: str, host: str) -> str:
    return next(url for url, ids in cited_by.items() if entry_id in ids and host in url)


def stored(database_url: str) -> LinkCheckRun | None:
    async def read() -> LinkCheckRun | None:
        engine = make_engine(database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                return await latest_link_check(session)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_the_check_is_printed_and_saved_for_the_review_page(
    site: Site,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = tmp_path / "project"
    closed = f"https://127.0.0.1:{free_port()}"
    cited_by = local_faq(root, site, closed)
    host = urlsplit(site.url).netloc
    gone = first_source(cited_by, BANK, host)
    head_refused = first_source(cited_by, DOCTOR, host)
    site.gone.add(urlsplit(gone).path)
    site.head_refused.add(urlsplit(head_refused).path)
    refused = {url for url in cited_by if url.startswith(closed)}
    assert refused
    database_url = f"sqlite:///{tmp_path / 'wegwijs.db'}"
    migrate(database_url)
    monkeypatch.setenv("WEGWIJS_ROOT", str(root))
    monkeypatch.setenv("WEGWIJS_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MUNICIPALITY", "almere")
    before = dt.datetime.now(dt.timezone.utc)

    assert main(["check-links", "--timeout", "5", "--concurrency", "4"]) == 1  # a link is dead
    printed = capsys.readouterr()
    dead = {gone, *refused}
    assert f"{len(cited_by) - len(dead)} of {len(cited_by)} links answer; {len(dead)} dead." in (
        printed.out
    )
    assert "Saved for the editors' review page" in printed.out
    assert f"  {gone}: 404 (cited by {', '.join(cited_by[gone])})" in printed.err.splitlines()
    assert printed.err.count("ConnectError") == len(refused)

    run = stored(database_url)
    assert run is not None
    assert before <= run.checked_at <= dt.datetime.now(dt.timezone.utc)
    assert set(run.results) == set(cited_by)  # every link the knowledge base cites
    assert run.results[gone].status == 404
    assert run.results[head_refused].status == 200  # GET after the refused HEAD
    assert {url for url, result in run.results.items() if result.dead} == dead
    assert {run.results[url].error for url in refused} == {"ConnectError"}

    # a report only: the saved run stays as it was, the exit code still says a link is dead
    site.gone.clear()
    assert main(["check-links", "--timeout", "5", "--no-save"]) == 1
    printed = capsys.readouterr()
    assert "Saved" not in printed.out
    assert stored(database_url) == run

    # a database not migrated yet: the report still, then a different exit code
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'not-migrated.db'}")
    assert main(["check-links", "--timeout", "5"]) == 2
    assert "run `wegwijs migrate` first, or pass --no-save" in capsys.readouterr().err
