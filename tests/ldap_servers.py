"""Real directory servers for the ldap tests: an OpenLDAP slapd and a Samba AD DC, on loopback.

Both start in a temporary folder and are stopped by PID; nothing is started globally, and
nothing outside the folder is written (Samba's template aside, see ``samba_template``).

* slapd: a ``slapd.conf`` of our own (core, cosine, inetorgperson, nis; mdb with
  ``dbnosync``; the memberof, refint and ppolicy overlays), seeded with ``slapadd``: up in
  about 0.1 s on a free port.
* Samba: ``samba-tool domain provision`` takes ~7 s, so it runs once per machine into a
  template (guarded by a file lock: xdist workers and parallel runs share it); each session
  copies the template, points its ``smb.conf`` at the copy, and starts ``samba -M single``
  with only the LDAP service, on a random 127.x.y.z address (AD's ports are fixed at
  389/636, so two sessions need two addresses). Needs root.

Both serve TLS with a certificate from a throwaway CA (``Certs``).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT_SUFFIX = "dc=example,dc=test"
SVC_PASSWORD = "svc-Secret-1"
ADMIN_PASSWORD = "Adm1n-Passw0rd!"
SAMBA_PROVISION = [
    "--realm=EXAMPLE.TEST", "--domain=EXAMPLE", "--server-role=dc", "--dns-backend=NONE",
    "--use-rfc2307", f"--adminpass={ADMIN_PASSWORD}", "--host-ip=127.0.0.1",
    "--option=interfaces=lo", "--option=bind interfaces only=yes"]


@dataclass(frozen=True)
class Certs:
    ca: Path
    cert: Path
    key: Path
    other_ca: Path  # a CA that signed nothing here: verification against it must fail


@dataclass(frozen=True)
class LdapServer:
    flavor: str  # "openldap" | "active-directory"
    host: str
    ldap_port: int
    ldaps_port: int
    root: str  # the naming context
    admin_dn: str  # full rights, for the tests' own reads and writes
    admin_password: str
    service_dn: str  # what tenantry binds as
    service_password: str
    certs: Certs
    pid: int

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://{self.host}:{self.ldaps_port}"

    @property
    def ldap_url(self) -> str:
        return f"ldap://{self.host}:{self.ldap_port}"


def make_certs(folder: Path, ips: list[str]) -> Certs:
    folder.mkdir(parents=True, exist_ok=True)

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for name in ("ca", "other_ca"):
        openssl("req", "-x509", *ec, "-keyout", f"{name}.key", "-out", f"{name}.pem",
                "-days", "3", "-subj", f"/CN=tenantry test {name}",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    sans = ",".join([*(f"IP:{ip}" for ip in ips), "DNS:localhost"])
    (folder / "ext.cnf").write_text(
        f"subjectAltName={sans}\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyAgreement\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "3", "-extfile", "ext.cnf")
    os.chmod(folder / "server.key", 0o600)
    return Certs(folder / "ca.pem", folder / "server.pem", folder / "server.key",
                 folder / "other_ca.pem")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, proc: subprocess.Popen[bytes], log: Path,
                  seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{_tail(log)}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not listen on {host}:{port} in {seconds} s:\n{_tail(log)}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _tail(log: Path) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-30:])
    except OSError:
        return "(no log)"


# --- OpenLDAP ---------------------------------------------------------------------------

SLAPD_CONF = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
moduleload refint
moduleload ppolicy
pidfile {dir}/slapd.pid
argsfile {dir}/slapd.args
TLSCACertificateFile {ca}
TLSCertificateFile {cert}
TLSCertificateKeyFile {key}

database mdb
suffix "{root}"
rootdn "cn=admin,{root}"
rootpw {admin_password}
directory {dir}/db
maxsize 1073741824
dbnosync
index objectClass eq
index entryUUID eq
index member eq
# The service account tenantry binds as: what docs/ldap.md asks for, no more.
limits dn.exact="cn=svc-tenantry,ou=service,{root}" size=unlimited time=unlimited
limits dn.exact="cn=svc-limited,ou=service,{root}" size=50
access to attrs=userPassword
    by dn.exact="cn=svc-tenantry,ou=service,{root}" =w
    by self =w
    by anonymous auth
    by * none
access to dn.subtree="ou=customers,{root}"
    by dn.exact="cn=svc-tenantry,ou=service,{root}" manage
    by users read
    by * none
access to * by users read by * none

overlay memberof
overlay refint
refint_attributes member
overlay ppolicy
ppolicy_default "cn=default,ou=policies,{root}"
"""

SLAPD_SEED = """\
dn: {root}
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=service,{root}
objectClass: organizationalUnit
ou: service

dn: cn=svc-tenantry,ou=service,{root}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: svc-tenantry
userPassword: {svc_password}

dn: cn=svc-limited,ou=service,{root}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: svc-limited
userPassword: {svc_password}

dn: ou=policies,{root}
objectClass: organizationalUnit
ou: policies

dn: cn=default,ou=policies,{root}
objectClass: applicationProcess
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdLockout: TRUE
pwdMustChange: TRUE

dn: ou=customers,{root}
objectClass: organizationalUnit
ou: customers
"""


def start_slapd(folder: Path) -> tuple[LdapServer, subprocess.Popen[bytes]]:
    certs = make_certs(folder / "tls", ["127.0.0.1"])
    (folder / "db").mkdir(parents=True)
    values = dict(dir=folder, ca=certs.ca, cert=certs.cert, key=certs.key, root=ROOT_SUFFIX,
                  admin_password=ADMIN_PASSWORD, svc_password=SVC_PASSWORD)
    conf = folder / "slapd.conf"
    conf.write_text(SLAPD_CONF.format(**values))
    (folder / "seed.ldif").write_text(SLAPD_SEED.format(**values))
    subprocess.run(["slapadd", "-q", "-f", str(conf), "-l", str(folder / "seed.ldif")],
                   check=True, capture_output=True)
    ldap_port, ldaps_port = free_port(), free_port()
    log = folder / "slapd.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["slapd", "-f", str(conf), "-d", "0",
             "-h", f"ldap://127.0.0.1:{ldap_port}/ ldaps://127.0.0.1:{ldaps_port}/"],
            stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port("127.0.0.1", ldaps_port, proc, log)
    except RuntimeError:
        stop(proc)
        raise
    return LdapServer(
        flavor="openldap", host="127.0.0.1", ldap_port=ldap_port, ldaps_port=ldaps_port,
        root=ROOT_SUFFIX, admin_dn=f"cn=admin,{ROOT_SUFFIX}", admin_password=ADMIN_PASSWORD,
        service_dn=f"cn=svc-tenantry,ou=service,{ROOT_SUFFIX}", service_password=SVC_PASSWORD,
        certs=certs, pid=proc.pid), proc


# --- Samba AD DC ------------------------------------------------------------------------

def samba_template() -> Path:
    """A provisioned domain, made once per machine and Samba version, shared read-only."""
    version = subprocess.run(["samba", "--version"], capture_output=True, text=True,
                             check=True).stdout.strip()
    digest = hashlib.sha256("\n".join([version, *SAMBA_PROVISION]).encode()).hexdigest()[:12]
    home = Path(tempfile.gettempdir()) / f"tenantry-samba-template-{digest}"
    home.mkdir(mode=0o700, exist_ok=True)
    done = home / "domain" / "provisioned"
    with (home / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(home / "domain", ignore_errors=True)
            subprocess.run(["samba-tool", "domain", "provision",
                            f"--targetdir={home / 'domain'}", *SAMBA_PROVISION],
                           check=True, capture_output=True)
            done.write_text(version)
    return home / "domain"


def _free_loopback() -> str:
    for _ in range(50):
        ip = f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
        try:
            for port in (389, 636):
                with socket.socket() as sock:
                    sock.bind((ip, port))
            return ip
        except OSError:
            continue
    raise RuntimeError("no loopback address with ports 389 and 636 free for Samba: is an "
                       "LDAP server listening on all addresses (ss -ltnp 'sport = 389')?")


def start_samba(folder: Path) -> tuple[LdapServer, subprocess.Popen[bytes]]:
    template = samba_template()
    domain = folder / "domain"
    shutil.copytree(template, domain, symlinks=True)
    ip = _free_loopback()
    certs = make_certs(folder / "tls", [ip, "127.0.0.1"])
    conf = domain / "etc" / "smb.conf"
    text = conf.read_text().replace(str(template), str(domain))
    text = re.sub(r"(?m)^\s*interfaces = .*$", f"\tinterfaces = {ip}/8", text)
    text = re.sub(r"(?m)^\s*server services = .*$", "\tserver services = ldap", text)
    text = re.sub(r"(?m)^\s*log file = .*$", "", text)
    extra = {
        "log file": domain / "log.samba", "pid directory": domain / "run",
        "ncalrpc dir": domain / "ncalrpc", "winbindd socket directory": domain / "winbindd",
        "ntp signd socket directory": domain / "ntp_signd", "tls enabled": "yes",
        "tls keyfile": certs.key, "tls certfile": certs.cert, "tls cafile": certs.ca,
        "ldb:nosync": "true"}  # tests need no fsync per write (5 ms per add, not 11)
    text = text.replace("[global]\n", "[global]\n" + "".join(
        f"\t{name} = {value}\n" for name, value in extra.items()), 1)
    conf.write_text(text)
    (domain / "run").mkdir(exist_ok=True)
    log = folder / "samba.out"
    with log.open("wb") as out:
        proc = subprocess.Popen(["samba", "-s", str(conf), "-F", "--no-process-group",
                                 "-M", "single"], stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(ip, 636, proc, log)
    except RuntimeError:
        stop(proc)
        raise
    root = "DC=example,DC=test"
    admin = f"CN=Administrator,CN=Users,{root}"
    return LdapServer(
        flavor="active-directory", host=ip, ldap_port=389, ldaps_port=636, root=root,
        admin_dn=admin, admin_password=ADMIN_PASSWORD, service_dn=admin,
        service_password=ADMIN_PASSWORD, certs=certs, pid=proc.pid), proc
