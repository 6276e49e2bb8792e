"""A real OpenLDAP server (Debian's ``slapd``) for the directory login tests.

Started per test session in a temporary folder with its own configuration (no ``slapd.d``, nothing
outside the folder touched), in the foreground as a child process, listening on two free ports of
127.0.0.1: plain LDAP (for StartTLS) and LDAPS, both with a certificate from a throwaway CA.
"""

from __future__ import annotations

import base64
import shutil
import socket
import subprocess
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from tests.sso.tls import TestCA

BASE_DN = "dc=vinhphuc,dc=gov,dc=vn"
PEOPLE = f"ou=people,{BASE_DN}"
BIND_DN = f"cn=lms-doc,ou=services,{BASE_DN}"
BIND_PASSWORD = "doc-thu-muc-2026"


@dataclass(frozen=True)
class Person:
    uid: str
    name: str
    password: str
    mail: str | None

    @property
    def dn(self) -> str:
        return f"uid={self.uid},{PEOPLE}"


# Vietnamese names in NFC, as the directory of a province holds them
PEOPLE_IN_DIRECTORY = (
    Person("thuyhang", "Nguyễn Thị Thủy Hằng", "Hoa-sen-2026", "thuyhang@vinhphuc.gov.vn"),
    Person("quang.tv", "Trần Văn Quang", "Mật-khẩu-thư-Quảng", "quang.tv@vinhphuc.gov.vn"),
    Person("mai.lt", "Lê Thị Mai", "Khong-co-thu-1", None),  # an entry without an e-mail address
    Person("duc.pm", "Phạm Minh Đức", "Ngoai-danh-sach-1", "duc.pm@vinhphuc.gov.vn"),  # not an official here
)


def _attr(name: str, value: str) -> str:
    value = unicodedata.normalize("NFC", value)
    if value.isascii():
        return f"{name}: {value}"
    return f"{name}:: {base64.b64encode(value.encode()).decode()}"


def directory_ldif(people=PEOPLE_IN_DIRECTORY) -> str:
    entries = [
        [
            f"dn: {BASE_DN}",
            "objectClass: dcObject",
            "objectClass: organization",
            "dc: vinhphuc",
            _attr("o", "Ủy ban nhân dân tỉnh Vĩnh Phúc"),
        ],
        [f"dn: {PEOPLE}", "objectClass: organizationalUnit", "ou: people"],
        [f"dn: ou=services,{BASE_DN}", "objectClass: organizationalUnit", "ou: services"],
        [
            f"dn: {BIND_DN}",
            "objectClass: organizationalRole",
            "objectClass: simpleSecurityObject",
            "cn: lms-doc",
            f"userPassword: {BIND_PASSWORD}",
        ],
    ]
    for p in people:
        family, *rest = p.name.split()
        entry = [
            f"dn: {p.dn}",
            "objectClass: inetOrgPerson",
            f"uid: {p.uid}",
            _attr("cn", p.name),
            _attr("sn", family),
            _attr("givenName", rest[-1]),
            _attr("userPassword", p.password),
        ]
        if p.mail:
            entry.append(f"mail: {p.mail}")
        entries.append(entry)
    return "\n\n".join("\n".join(e) for e in entries) + "\n"


def _config(folder: Path, ca: TestCA) -> str:
    return f"""\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {folder}/slapd.pid
TLSCACertificateFile {ca.ca_file}
TLSCertificateFile {ca.cert_file}
TLSCertificateKeyFile {ca.key_file}
database mdb
maxsize 16777216
directory {folder}/db
suffix "{BASE_DN}"
rootdn "cn=admin,{BASE_DN}"
rootpw admin-{BIND_PASSWORD}
# passwords are only compared on bind; the directory is read by the service account alone
access to attrs=userPassword by anonymous auth by * none
access to * by dn.exact="{BIND_DN}" read by self read by * none
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.05)
    return False


@dataclass
class Slapd:
    folder: Path
    ldap_port: int = 0
    ldaps_port: int = 0
    proc: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def starttls_url(self) -> str:
        return f"ldap://localhost:{self.ldap_port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://localhost:{self.ldaps_port}"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


def start_slapd(folder: Path, ca: TestCA) -> Slapd:
    slapd, slapadd = shutil.which("slapd") or "/usr/sbin/slapd", shutil.which("slapadd") or "/usr/sbin/slapadd"
    if not Path(slapd).exists():
        raise RuntimeError("slapd is not installed: run `bash scripts/system-packages.sh --test` (slapd, ldap-utils)")
    (folder / "db").mkdir(parents=True)
    conf = folder / "slapd.conf"
    conf.write_text(_config(folder, ca))
    ldif = folder / "directory.ldif"
    ldif.write_text(directory_ldif(), encoding="utf-8")
    subprocess.run([slapadd, "-q", "-f", str(conf), "-l", str(ldif)], check=True, capture_output=True)
    last_error = ""
    for _attempt in range(5):  # a probed port can be taken by another job before slapd binds it
        server = Slapd(folder, free_port(), free_port())
        urls = f"ldap://127.0.0.1:{server.ldap_port}/ ldaps://127.0.0.1:{server.ldaps_port}/"
        # -d 0: stay in the foreground (a child of the tests, ended by them), log nothing
        with open(folder / "slapd.log", "wb") as log:
            server.proc = subprocess.Popen([slapd, "-f", str(conf), "-h", urls, "-d", "0"], stdout=log, stderr=log)
        if _wait_for_port(server.ldap_port, server.proc) and _wait_for_port(server.ldaps_port, server.proc):
            return server
        server.stop()
        last_error = (folder / "slapd.log").read_text(errors="replace")
    raise RuntimeError(f"slapd did not start: {last_error[-500:]}")
