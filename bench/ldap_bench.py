"""The ldap provider's speed on real servers, as ratios to a bare ldap3 paged search.

For each flavor (a slapd and a Samba AD DC, started as the tests start them):

* plan: a tenant of N users (default 10,000), all tenantry's, all in one license group, and
  a spec that matches it. Measured: the provider's ``read_tenant`` (license group members,
  with AD's ranges, then the paged user search) and the whole ``tenantry plan`` command
  (startup, YAML, diff, rendering included); the floor is one ldap3 paged search of the
  same entries with the same attributes and page size.
* apply: M new users (default 1,000) with one SKU each: ``tenantry apply --auto-approve``
  (per user: the UPN check, the add with its password, Password Modify and pwdReset on
  OpenLDAP, the group membership); the floor is a paged search of the M entries made.

* many tenants: T tenants (default 40) of U users (default 100), each in its own OU, all
  tenantry's: ``tenantry plan`` with the directory's ``concurrency`` 1 and 4 (each tenant
  being read holds a connection of its own).

Run as root (Samba's ports): ``python bench/ldap_bench.py [--users N] [--creates M]
[--tenants T] [--tenant-users U] [--flavor openldap|ad|both]``. Seeding takes a while on
Samba (~5 ms a user).
"""

from __future__ import annotations

import argparse
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import ldap3
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from ldap_lab import LAB_CATALOG, PASSWORD_ENV, Lab, ensure_customers  # noqa: E402
from ldap_servers import LdapServer, start_samba, start_slapd, stop  # noqa: E402

from providers.registry import Context, open_directory  # noqa: E402
from reconciler.planning.directory import TenantTarget  # noqa: E402
from reconciler.specs import LdapDirectory  # noqa: E402

PAGE = 500


def best(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bare_search(server: LdapServer, base: str, attributes: list[str]) -> int:
    tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(server.certs.ca))
    conn = ldap3.Connection(ldap3.Server(server.host, port=server.ldaps_port, use_ssl=True,
                                         tls=tls, get_info=ldap3.NONE),
                            server.service_dn, server.service_password, auto_bind=True)
    flt = "(&(objectCategory=person)(objectClass=user))" if server.flavor != "openldap" \
        else "(objectClass=inetOrgPerson)"
    count = sum(1 for entry in conn.extend.standard.paged_search(
        base, flt, attributes=attributes, paged_size=PAGE, generator=True)
        if entry["type"] == "searchResEntry")
    conn.unbind()
    return count


def seed(lab: Lab, container: str, count: int, tenant: str, prefix: str = "u") -> list[str]:
    dns = []
    started = time.perf_counter()
    for i in range(count):
        uid = f"u{i:05d}"
        dns.append(lab.add_user(container, f"User {i:05d}", f"{prefix}{i:05d}@{lab.domain}",
                                marker=f"tenantry:{tenant}/{uid}",
                                extra={} if lab.ad else {"sn": " "}))
        if i and i % 2000 == 0:
            print(f"  seeded {i} users ({time.perf_counter() - started:.0f} s)", flush=True)
    group = lab.dn("cn=lic-bp,ou=groups")
    for start in range(0, len(dns), 500):
        lab.conn.modify(group, {"member": [("MODIFY_ADD", dns[start:start + 500])]})
    return dns


def spec_repo(folder: Path, lab: Lab, tenants: dict[str, dict[str, Any]]) -> Path:
    specs = folder / "specs"
    (specs / "tenants").mkdir(parents=True)
    catalog = {"products": {sku: {**p, "price": str(p["price"])}
                            for sku, p in LAB_CATALOG["products"].items()}}
    text = yaml.safe_dump(catalog).replace("'", "")  # prices as numbers
    (specs / "catalog.yaml").write_text(text)
    directory = {"directories": {"lab": {**lab.directory(), "page_size": PAGE}}}
    (specs / "directories.yaml").write_text(yaml.safe_dump(directory))
    for tid, doc in tenants.items():
        (specs / "tenants" / f"{tid}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@x"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "bench"]):
        subprocess.run(["git", "-C", str(folder), *args], check=True, env=env)
    return folder


def tenant_doc(lab: Lab, ou: str, users: int, *, surname: bool,
               prefix: str = "u") -> dict[str, Any]:
    return {"name": ou, "domain": lab.domain, "container": f"ou={ou}", "users": {
        f"u{i:05d}": {"upn": f"{prefix}{i:05d}@{lab.domain}", "display_name": f"User {i:05d}",
                      **({"surname": f"S{i}"} if surname else {}), "skus": ["M365-BP"]}
        for i in range(users)}}


def tenantry(repo: Path, *args: str) -> float:
    exe = str(Path(sys.executable).parent / "tenantry")
    start = time.perf_counter()
    proc = subprocess.run([exe, *args], cwd=repo, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"tenantry {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed


def measure(server: LdapServer, users: int, creates: int, runs: int) -> dict[str, float]:
    os.environ[PASSWORD_ENV] = server.service_password
    lab = Lab.create(server)
    lab.add_ou("ou=big")
    lab.add_ou("ou=new")
    print(f"{server.flavor}: seeding {users} users", flush=True)
    seed(lab, "ou=big", users, "big")
    flavor_attrs = LdapDirectory.model_validate(lab.directory())
    directory = open_directory("lab", flavor_attrs, Context(root=Path(tempfile.mkdtemp())))
    read_attrs = directory.settings.flavor.read_attributes(  # type: ignore[attr-defined]
        directory.settings.marker)  # type: ignore[attr-defined]
    target = TenantTarget(tenant="big", directory="lab", container="ou=big", domain=lab.domain,
                          assign={sku: p["assign"]["ldap"]
                                  for sku, p in LAB_CATALOG["products"].items() if "assign" in p})
    assert bare_search(server, lab.dn("ou=big"), read_attrs) == users
    directory.close()

    def read() -> None:
        fresh = open_directory("lab", flavor_attrs, Context(root=Path(tempfile.mkdtemp())))
        assert len(fresh.read_tenant(target).managed()) == users
        fresh.close()

    work = Path(tempfile.mkdtemp(prefix="tenantry-ldap-bench-"))
    repo = spec_repo(work / "plan", lab, {"big": tenant_doc(lab, "big", users,
                                                            surname=False)})
    # Interleaved, best of each: on a busy machine the three see the same load.
    timings: dict[str, list[float]] = {"bare": [], "read": [], "plan": [],
                                       "bare cpu": [], "read cpu": []}
    for _ in range(runs):
        for name, fn in (("bare", lambda: bare_search(server, lab.dn("ou=big"), read_attrs)),
                         ("read", read)):
            cpu = time.process_time()
            timings[name].append(best(fn, 1))
            timings[f"{name} cpu"].append(time.process_time() - cpu)  # this client's share
        timings["plan"].append(tenantry(repo, "plan", "--detailed-exitcode"))
    figures = {"bare search, N users": min(timings["bare"]),
               "provider read_tenant, N users": min(timings["read"]),
               "tenantry plan, N users": min(timings["plan"]),
               "bare cpu": min(timings["bare cpu"]), "read cpu": min(timings["read cpu"])}

    repo = spec_repo(work / "apply", lab, {"new": tenant_doc(lab, "new", creates,
                                                             surname=True, prefix="n")})
    figures["tenantry apply, M creates"] = tenantry(repo, "apply", "--auto-approve",
                                                    "--new-passwords", str(work / "pw.csv"))
    assert bare_search(server, lab.dn("ou=new"), read_attrs) == creates
    figures["bare search, M users"] = best(
        lambda: bare_search(server, lab.dn("ou=new"), read_attrs), runs)
    lab.close()
    shutil.rmtree(work, ignore_errors=True)
    return figures


def measure_many(server: LdapServer, tenants: int, users: int, runs: int) -> dict[str, float]:
    """``tenantry plan`` of many small tenants, one at a time and four at a time."""
    os.environ[PASSWORD_ENV] = server.service_password
    lab = Lab.create(server)
    docs = {}
    print(f"{server.flavor}: seeding {tenants} tenants x {users} users", flush=True)
    for n in range(tenants):
        ou = f"t{n:03d}"
        lab.add_ou(f"ou={ou}")
        seed(lab, f"ou={ou}", users, ou, prefix=f"{ou}.")  # UPNs unique in the directory
        docs[ou] = tenant_doc(lab, ou, users, surname=False, prefix=f"{ou}.")
    work = Path(tempfile.mkdtemp(prefix="tenantry-ldap-bench-"))
    repos = {}
    for concurrency in (1, 4):
        repos[concurrency] = repo = spec_repo(work / f"c{concurrency}", lab, docs)
        config = repo / "specs" / "directories.yaml"
        text = yaml.safe_load(config.read_text())
        text["directories"]["lab"]["concurrency"] = concurrency
        config.write_text(yaml.safe_dump(text))
        subprocess.run(["git", "-C", str(repo), "-c", "user.name=b", "-c", "user.email=b@x",
                        "commit", "-qam", "concurrency"], check=True)
    timings: dict[int, list[float]] = {1: [], 4: []}
    for _ in range(runs):  # interleaved: both see the same load
        for concurrency, repo in repos.items():
            timings[concurrency].append(tenantry(repo, "plan", "--detailed-exitcode"))
    lab.close()
    shutil.rmtree(work, ignore_errors=True)
    return {"plan, concurrency 1": min(timings[1]), "plan, concurrency 4": min(timings[4])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--creates", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tenants", type=int, default=40)
    parser.add_argument("--tenant-users", type=int, default=100)
    parser.add_argument("--flavor", choices=("openldap", "ad", "both"), default="both")
    args = parser.parse_args()
    results = {}
    many = {}
    for flavor, start in (("openldap", start_slapd), ("ad", start_samba)):
        if args.flavor not in (flavor, "both"):
            continue
        folder = Path(tempfile.mkdtemp(prefix=f"tenantry-bench-{flavor}-"))
        server, proc = start(folder)
        try:
            if flavor == "ad":
                ensure_customers(server)
            many[flavor] = measure_many(server, args.tenants, args.tenant_users, args.runs)
            results[flavor] = measure(server, args.users, args.creates, args.runs)
        finally:
            stop(proc)
            shutil.rmtree(folder, ignore_errors=True)
    n, m = args.users, args.creates
    print(f"\n| server | bare paged search, {n:,} | read_tenant | ratio | tenantry plan "
          f"| ratio | apply {m:,} creates | bare search, {m:,} | ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    rows = []
    for flavor, f in results.items():
        bare, bare_m = f["bare search, N users"], f["bare search, M users"]
        print(f"| {flavor} | {bare:.2f} s | {f['provider read_tenant, N users']:.2f} s | "
              f"{f['provider read_tenant, N users'] / bare:.2f}x | "
              f"{f['tenantry plan, N users']:.2f} s | {f['tenantry plan, N users'] / bare:.2f}x "
              f"| {f['tenantry apply, M creates']:.1f} s | {bare_m:.3f} s | "
              f"{f['tenantry apply, M creates'] / bare_m:.0f}x |")
        rows.append(f"| {flavor} | {f['bare cpu']:.2f} s | {f['read cpu']:.2f} s | "
                    f"{f['read cpu'] / f['bare cpu']:.2f}x |")
    print(f"\nClient CPU only (the servers' share left out), {n:,} users:\n")
    print("| server | bare paged search | read_tenant | ratio |\n|---|---|---|---|")
    print("\n".join(rows))
    t, u = args.tenants, args.tenant_users
    print(f"\n{t} tenants x {u} users, tenantry plan (best of {args.runs}):\n")
    print("| server | concurrency 1 | concurrency 4 | speed-up |\n|---|---|---|---|")
    for flavor, f in many.items():
        one, four = f["plan, concurrency 1"], f["plan, concurrency 4"]
        print(f"| {flavor} | {one:.2f} s | {four:.2f} s | {one / four:.2f}x |")


if __name__ == "__main__":
    main()
