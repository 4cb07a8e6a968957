"""Generate a large spec repository with a long, dated git history, for the billing benchmark.

One ``git fast-import`` process receives the whole history as a stream: every commit carries
its own author and committer dates and its changed files inline, so 5,000 commits of a
1,000-tenant MSP take seconds rather than the minutes that 5,000 ``git commit`` runs would.

The history:

* the first commit(s) add ``catalog.yaml``, ``billing.yaml``, ``resellers.yaml`` and every
  tenant (``tenants/t0001.yaml`` ...), at most 250 tenants per commit;
* every later commit edits 1-3 tenant files the way an MSP engineer would: a starter is
  added, a leaver disabled or removed, SKUs change, a user is renamed (UPN and/or display
  name); now and then a tenant is renamed;
* commits are dated increasingly over the ~14 months up to ``--end``; about 1% have a
  committer date equal to or slightly before the previous commit's (clock skew, rebases);
* about every 200th commit (``--merge-every``) starts a short feature branch (2-4 commits)
  that is merged back with a merge commit whose first parent is main, while main gets 0-2
  commits of its own in the meantime, so first-parent walking matters.

Every tenant file at every commit is a valid spec. ``--check`` proves it for a small repo.
The same arguments (including ``--end``) always produce the same commits, byte for byte.

Usage: python -m bench.gen_history [--tenants 1000] [--users 100] [--commits 5000]
                                   [--seed 1] [--merge-every 200] [--end ISO] [--check]
                                   OUT_DIR
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import math
import random
import shutil
import subprocess
import sys
import time
import unicodedata
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from bench.historylib import cat_blobs, git

MAIN_REF = "refs/heads/main"
FEATURE_REF = "refs/heads/feature"  # reused by every feature branch, deleted at the end
ZONE = zoneinfo.ZoneInfo("Pacific/Auckland")
HISTORY_DAYS = 425  # ~14 months
TENANTS_PER_INITIAL_COMMIT = 250
MERGE_EVERY = 200
ANOMALY_RATE = 0.01  # committer dates equal to, or a little before, the previous commit's

GIVEN = ("Aroha", "Ben", "Chloe", "Dan", "Emma", "Finn", "Grace", "Hemi", "Isla", "Jack",
         "Kiri", "Liam", "Mere", "Noah", "Olivia", "Priya", "Quinn", "Rangi", "Sophie", "Tama",
         "Uma", "Vikram", "Wiremu", "Xin", "Yasmin", "Zoe", "Amelia", "Hugo", "Ivy", "Leo",
         "Mia", "Oscar", "Ruby", "Theo", "Ana", "Sione", "Mei", "Raj", "Sofia", "Tāne",
         "Ngaio", "Lucas", "Charlotte", "Max", "Harper", "Eli", "Ella", "Jonah", "Lily", "Arjun")
SURNAMES = ("Smith", "Ngata", "Wilson", "Patel", "Brown", "Taylor", "Williams", "Singh",
            "Jones", "Walker", "Thompson", "Tuhiwai", "White", "Harris", "Martin", "Chen",
            "Wang", "Kaur", "Clarke", "King", "Anderson", "Parata", "Young", "Wright",
            "Robinson", "Hall", "Campbell", "Lee", "Kumar", "Edwards", "Scott", "Green",
            "Mitchell", "Tūhoe", "Baker", "Adams", "Nguyen", "Kim", "Fale", "Cooper",
            "O'Brien", "Murphy", "Evans", "Turner", "Kowalski", "Rossi", "Okafor", "Fischer",
            "Sato", "Petrov", "Hughes", "Bell", "Morgan", "Reid", "Stewart", "Marsh")
TEAMS = ("Finance", "Sales", "Ops", "IT", "HR", "Warehouse", "Reception", "Contractor")
COMPANY_A = ("Kauri", "Harbour", "Southern", "Pacific", "Totara", "Summit", "Coastal",
             "Alpine", "Kea", "Tui", "Waka", "Riverbend", "Northern", "Fern", "Matai",
             "Ironsand", "Bluestone", "Kōwhai", "Rimu", "Lakeside")
COMPANY_B = ("Logistics", "Dental", "Accounting", "Builders", "Legal", "Engineering",
             "Motors", "Foods", "Health", "Architects", "Freight", "Electrical", "Print",
             "Vineyards", "Realty", "Plumbing", "Consulting", "Travel", "Media", "Labs")
COMPANY_C = ("Ltd", "Limited", "Group", "& Co", "Partners", "Trust", "Holdings")

# (SKU bundle, weight): 1-3 SKUs per user, in the order people write them.
BUNDLES: tuple[tuple[tuple[str, ...], int], ...] = (
    (("M365-BP",), 20), (("M365-BP", "SUPPORT"), 25), (("M365-BP", "SUPPORT", "BACKUP"), 18),
    (("M365-E3", "BACKUP"), 8), (("M365-E3", "SUPPORT", "DEFENDER"), 5), (("M365-E3",), 4),
    (("EXO-P1",), 10), (("EXO-P1", "SUPPORT"), 6), (("EXO-P1", "BACKUP"), 3),
    (("M365-BP", "DEFENDER"), 1),
)
BUNDLE_CHOICES = [bundle for bundle, _ in BUNDLES]
BUNDLE_WEIGHTS = [weight for _, weight in BUNDLES]

AUTHORS = (("Jo Bloggs", "jo@msp.example"), ("Priya Patel", "priya@msp.example"),
           ("Sam Lee", "sam@msp.example"), ("Aroha Ngata", "aroha@msp.example"),
           ("Alex Chen", "alex.finance@msp.example"), ("Helpdesk Bot", "helpdesk@msp.example"))
MERGER = ("MSP Git Server", "git@msp.example")

RESELLERS_YAML = """\
resellers:
  acme:
    name: Acme IT Partners
    mode: aggregate
    discount: 20
  kea:
    name: Kea Cloud Services
    mode: aggregate
    discount: 12.5
    parent: acme
  tasman:
    name: Tasman Digital
    mode: on-behalf
    discount: 10
  harbour:
    name: Harbour Tech Collective
    mode: on-behalf
    discount: 7.5
"""
RESELLER_IDS = ("acme", "kea", "tasman", "harbour")

BILLING_YAML = """\
currency: NZD
timezone: Pacific/Auckland
close_day: 25
proration: daily
rules:
  - name: admin accounts
    users: [admin*@*]
"""


def catalog_yaml(price_change: dt.date) -> str:
    return f"""\
products:
  M365-BP:
    name: Microsoft 365 Business Premium
    price: 36.50
    assign:
      graph: SPB
      ldap: cn=lic-m365-bp,ou=groups
    price_changes:
      - from: {price_change.isoformat()}
        price: 38.00
  M365-E3:
    name: Microsoft 365 E3
    price: 58.00
    assign:
      graph: SPE_E3
      ldap: cn=lic-m365-e3,ou=groups
  EXO-P1:
    name: Exchange Online Plan 1
    price: 6.50
    assign:
      graph: EXCHANGESTANDARD
  DEFENDER:
    name: Microsoft Defender for Business
    price: 4.90
    assign:
      graph: MDATP_Business
  BACKUP:
    name: Cloud backup per user
    price: 4.00
  SUPPORT:
    name: Managed support seat
    price: 25.00
"""


def ascii_id(text: str) -> str:
    """Lower-case ASCII letters only: 'Tūhoe' -> 'tuhoe', "O'Brien" -> 'obrien'."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if "a" <= ch <= "z")


@dataclass(frozen=True)
class User:
    """One user as written in a tenant file; ``text`` is its rendered YAML, made once."""

    uid: str
    local: str  # the UPN's part before '@'
    display: str
    given: str
    surname: str
    skus: tuple[str, ...]
    enabled: bool = True
    usage_location: str | None = None
    text: str = ""

    def rendered(self, domain: str) -> User:
        lines = [f"  {self.uid}:\n",
                 f"    upn: {self.local}@{domain}\n",
                 f"    display_name: {self.display}\n",
                 f"    given_name: {self.given}\n",
                 f"    surname: {self.surname}\n"]
        if not self.enabled:
            lines.append("    enabled: false\n")
        if self.usage_location:
            lines.append(f"    usage_location: {self.usage_location}\n")
        lines.append(f"    skus: [{', '.join(self.skus)}]\n")
        return dataclasses.replace(self, text="".join(lines))


@dataclass
class Tenant:
    tid: str
    name: str
    domain: str
    reseller: str | None
    usage_location: str
    billing: dict[str, str]  # start/end as ISO dates, exclude as 'true'
    users: dict[str, User] = field(default_factory=dict)
    ids_used: set[str] = field(default_factory=set)  # user ids are never reused
    locals_used: dict[str, str] = field(default_factory=dict)  # UPN local part -> uid

    def copy(self) -> Tenant:
        """Copy-on-write clone for a feature branch (users are immutable)."""
        return dataclasses.replace(self, billing=dict(self.billing), users=dict(self.users),
                                   ids_used=set(self.ids_used),
                                   locals_used=dict(self.locals_used))

    def path(self) -> str:
        return f"specs/tenants/{self.tid}.yaml"

    def render(self) -> bytes:
        head = [f"name: {self.name}\n"]
        if self.reseller:
            head.append(f"reseller: {self.reseller}\n")
        head.append(f"domain: {self.domain}\n")
        head.append(f"usage_location: {self.usage_location}\n")
        if self.billing:
            head.append("billing:\n")
            head.extend(f"  {key}: {value}\n" for key, value in self.billing.items())
        head.append("users:\n")
        return ("".join(head) + "".join(user.text for user in self.users.values())).encode()

    def put(self, user: User) -> User:
        """Store ``user`` (new or changed), rendering it once."""
        user = user.rendered(self.domain)
        old = self.users.get(user.uid)
        if old is not None and self.locals_used.get(old.local) == old.uid:
            del self.locals_used[old.local]
        self.users[user.uid] = user
        self.ids_used.add(user.uid)
        self.locals_used[user.local] = user.uid
        return user

    def drop(self, uid: str) -> None:
        user = self.users.pop(uid)
        del self.locals_used[user.local]

    def free_local(self, base: str) -> str:
        if base not in self.locals_used:
            return base
        return next(f"{base}{n}" for n in range(2, 10_000) if f"{base}{n}" not in
                    self.locals_used)

    def free_id(self, base: str) -> str:
        if base not in self.ids_used:
            return base
        return next(f"{base}{n}" for n in range(2, 10_000) if f"{base}{n}" not in self.ids_used)


class History:
    """Builds tenants and their edits; deterministic for a given seed."""

    def __init__(self, rng: random.Random, tenants: int, users: int, start: dt.date) -> None:
        self.rng = rng
        self.users_per_tenant = users
        self.start = start
        width = max(4, len(str(tenants)))
        excluded = set(rng.sample(range(1, tenants + 1), k=min(tenants, max(1, tenants // 500)
                                                              + 1)))
        self.tenants = {t.tid: t for t in (self.new_tenant(n, width, n in excluded)
                                           for n in range(1, tenants + 1))}

    # --- creation ---------------------------------------------------------------------

    def new_tenant(self, number: int, width: int, exclude: bool) -> Tenant:
        rng = self.rng
        tid = f"t{number:0{width}d}"
        name = f"{rng.choice(COMPANY_A)} {rng.choice(COMPANY_B)} {rng.choice(COMPANY_C)}"
        billing: dict[str, str] = {}
        roll = rng.random()
        if roll < 0.35:  # go-live somewhere in the first months of the history
            billing["start"] = (self.start + dt.timedelta(days=rng.randrange(0, 200))) \
                .isoformat()
            if roll < 0.01:  # ... and gone again since
                billing["end"] = (self.start + dt.timedelta(days=rng.randrange(220, 400))) \
                    .isoformat()
        if exclude:
            billing["exclude"] = "true"
        reseller = rng.choice(RESELLER_IDS) if rng.random() < 0.3 else None
        tenant = Tenant(tid=tid, name=name, domain=f"{tid}.example", reseller=reseller,
                        usage_location="NZ" if rng.random() < 0.7 else "AU", billing=billing)
        short = name.split(" ")[0]
        tenant.put(User(uid="admin", local="admin", display=f"{short} Admin", given=short,
                        surname="Admin", skus=(rng.choice(("M365-BP", "M365-E3")),)))
        low = max(1, math.floor(self.users_per_tenant * 0.7))
        high = max(low, math.ceil(self.users_per_tenant * 1.3))
        for _ in range(rng.randint(low, high) - 1):
            self.add_user(tenant)
        return tenant

    def add_user(self, tenant: Tenant) -> str:
        rng = self.rng
        given, surname = rng.choice(GIVEN), rng.choice(SURNAMES)
        base = f"{ascii_id(given)}.{ascii_id(surname)}"
        uid = tenant.free_id(base)
        user = User(uid=uid, local=tenant.free_local(base), display=f"{given} {surname}",
                    given=given, surname=surname,
                    skus=rng.choices(BUNDLE_CHOICES, BUNDLE_WEIGHTS)[0],
                    usage_location=("AU" if tenant.usage_location == "NZ" else "NZ")
                    if rng.random() < 0.03 else None)
        tenant.put(user)
        return f"add {uid}"

    # --- edits ------------------------------------------------------------------------

    def edit(self, tenant: Tenant) -> str:
        """Apply one realistic change to ``tenant``; return a short description."""
        rng = self.rng
        staff = [uid for uid in tenant.users if uid != "admin"]
        roll = rng.random()
        if roll < 0.27 or len(staff) < 3:
            return self.add_user(tenant)
        if roll < 0.47:  # a leaver: disabled users go first
            disabled = [uid for uid in staff if not tenant.users[uid].enabled]
            uid = rng.choice(disabled) if disabled and rng.random() < 0.7 else rng.choice(staff)
            tenant.drop(uid)
            return f"remove {uid}"
        user = tenant.users[rng.choice(staff)]
        if roll < 0.77:
            skus = user.skus
            while skus == user.skus:
                skus = rng.choices(BUNDLE_CHOICES, BUNDLE_WEIGHTS)[0]
            tenant.put(dataclasses.replace(user, skus=skus))
            return f"{user.uid}: skus {', '.join(skus)}"
        if roll < 0.89:
            return self.rename(tenant, user)
        if roll < 0.99:
            tenant.put(dataclasses.replace(user, enabled=not user.enabled))
            return f"{'enable' if not user.enabled else 'disable'} {user.uid}"
        tenant.name = f"{rng.choice(COMPANY_A)} {rng.choice(COMPANY_B)} {rng.choice(COMPANY_C)}"
        return f"rename tenant to {tenant.name}"

    def rename(self, tenant: Tenant, user: User) -> str:
        rng = self.rng
        if rng.random() < 0.5:  # new surname: display name, surname and UPN change
            surname = rng.choice([s for s in SURNAMES if s != user.surname])
            local = tenant.free_local(f"{ascii_id(user.given)}.{ascii_id(surname)}")
            tenant.put(dataclasses.replace(user, surname=surname, local=local,
                                           display=f"{user.given} {surname}"))
            return f"rename {user.uid} to {local}@{tenant.domain}"
        plain = f"{user.given} {user.surname}"
        display = plain if user.display != plain else f"{plain} ({rng.choice(TEAMS)})"
        tenant.put(dataclasses.replace(user, display=display))
        return f"{user.uid}: display name {display}"


# --- fast-import stream ---------------------------------------------------------------------

class Stream:
    """Writes the fast-import stream; marks are 1-based commit numbers."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.marks = 0
        self.bytes = 0

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.bytes += len(data)

    def commit(self, ref: str, author: tuple[str, str], author_ts: int,
               committer: tuple[str, str], committer_ts: int, message: str,
               files: Iterable[tuple[str, bytes]], *, parent: int | None = None,
               merge: int | None = None) -> int:
        self.marks += 1
        msg = message.encode()
        head = [f"commit {ref}\nmark :{self.marks}\n",
                f"author {author[0]} <{author[1]}> {author_ts} {tz_offset(author_ts)}\n",
                f"committer {committer[0]} <{committer[1]}> {committer_ts} "
                + f"{tz_offset(committer_ts)}\n",
                f"data {len(msg)}\n"]
        self._write("".join(head).encode() + msg + b"\n")
        tail = []
        if parent is not None:
            tail.append(f"from :{parent}\n")
        if merge is not None:
            tail.append(f"merge :{merge}\n")
        if tail:
            self._write("".join(tail).encode())
        for path, data in files:
            self._write(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        self._write(b"\n")
        return self.marks

    def done(self) -> None:
        self._write(b"done\n")


_OFFSETS: dict[int, str] = {}


def tz_offset(ts: int) -> str:
    """Pacific/Auckland's UTC offset at ``ts`` as git writes it (+1200 / +1300)."""
    hour = ts // 3600
    cached = _OFFSETS.get(hour)
    if cached is None:
        offset = dt.datetime.fromtimestamp(ts, ZONE).utcoffset() or dt.timedelta(0)
        minutes = int(offset.total_seconds()) // 60
        cached = f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
        _OFFSETS[hour] = cached
    return cached


class Clock:
    """Commit times spread evenly over the history, with a little jitter and skew."""

    def __init__(self, rng: random.Random, start_ts: int, end_ts: int, commits: int) -> None:
        self.rng = rng
        self.start_ts = start_ts
        self.step = (end_ts - start_ts) / max(1, commits)
        self.index = 0
        self.last = start_ts

    def next(self) -> tuple[int, int]:
        """(author time, committer time) of the next commit."""
        rng = self.rng
        planned = int(self.start_ts + (self.index + 1 + rng.uniform(-0.4, 0.0)) * self.step)
        self.index += 1
        if self.index > 1 and rng.random() < ANOMALY_RATE:
            committed = self.last - (0 if rng.random() < 0.5 else rng.randint(1, 900))
        else:
            committed = max(planned, self.last + 1)
        self.last = max(self.last, committed)
        authored = committed - (rng.randint(60, 3 * 86400) if rng.random() < 0.3 else 0)
        return authored, committed


def generate(out_dir: Path, *, tenants: int, users: int, commits: int, seed: int,
             end: dt.datetime, merge_every: int = MERGE_EVERY) -> dict[str, float]:
    """Write the repository; return figures (seconds, commits, bytes streamed)."""
    began = time.perf_counter()
    rng = random.Random(seed)
    end_ts = int(end.timestamp())
    start_ts = end_ts - HISTORY_DAYS * 86400
    start_day = dt.datetime.fromtimestamp(start_ts, ZONE).date()
    price_change = (dt.datetime.fromtimestamp(end_ts, ZONE).date()
                    - dt.timedelta(days=150)).replace(day=1)

    if out_dir.exists() and any(out_dir.iterdir()):
        raise SystemExit(f"error: {out_dir} exists and is not empty")
    out_dir.mkdir(parents=True, exist_ok=True)
    git(out_dir, "init", "-q", "-b", "main")
    history = History(rng, tenants, users, start_day)
    built = time.perf_counter()

    initial = max(1, math.ceil(tenants / TENANTS_PER_INITIAL_COMMIT))
    if commits < initial:
        raise SystemExit(f"error: --commits must be at least {initial} (the initial commits)")
    clock = Clock(rng, start_ts, end_ts, commits)
    proc = subprocess.Popen(["git", "-C", str(out_dir), "fast-import", "--quiet", "--done"],
                            stdin=subprocess.PIPE)
    assert proc.stdin is not None
    stream = Stream(proc.stdin)  # type: ignore[arg-type]  # an IO[bytes] is a BinaryIO
    try:
        order = list(history.tenants.values())
        for batch in range(initial):
            chunk = order[batch * TENANTS_PER_INITIAL_COMMIT:(batch + 1)
                          * TENANTS_PER_INITIAL_COMMIT]
            files = [(t.path(), t.render()) for t in chunk]
            if batch == 0:
                files = [("specs/catalog.yaml", catalog_yaml(price_change).encode()),
                         ("specs/billing.yaml", BILLING_YAML.encode()),
                         ("specs/resellers.yaml", RESELLERS_YAML.encode()), *files]
            authored, committed = clock.next()
            stream.commit(MAIN_REF, AUTHORS[0], authored, AUTHORS[0], committed,
                          f"Onboard tenants {chunk[0].tid}..{chunk[-1].tid}", files)
        main_tip = stream.marks
        tids = list(history.tenants)
        pr = 100
        next_merge = merge_every if merge_every > 0 else commits + 1
        while stream.marks < commits:
            remaining = commits - stream.marks
            if stream.marks >= next_merge and remaining >= 4:
                pr += 1
                next_merge += merge_every + rng.randint(-merge_every // 10, merge_every // 10)
                on_branch = min(remaining - 1, rng.randint(2, 4))
                on_main = min(remaining - 1 - on_branch, rng.randint(0, 2))
                main_tip = feature(history, stream, clock, rng, main_tip, pr, on_branch,
                                   on_main, tids)
                continue
            squashed = rng.random() < 0.03  # a squash-merged pull request names its number
            if squashed:
                pr += 1
            main_tip = plain_commit(history.tenants, history, stream, clock, rng, MAIN_REF,
                                    rng.sample(tids, k=pick_count(rng)),
                                    pr=pr if squashed else None)
        stream.done()
        proc.stdin.close()
    except BrokenPipeError:
        pass
    if proc.wait() != 0:
        raise SystemExit("error: git fast-import failed")
    git(out_dir, "update-ref", "-d", FEATURE_REF, check=False)
    imported = time.perf_counter()
    git(out_dir, "reset", "-q", "--hard", "main")
    done = time.perf_counter()
    return {"commits": stream.marks, "stream_bytes": stream.bytes,
            "model_seconds": built - began, "import_seconds": imported - built,
            "checkout_seconds": done - imported, "seconds": done - began}


def pick_count(rng: random.Random) -> int:
    return rng.choices((1, 2, 3), (70, 20, 10))[0]


def plain_commit(tenants: dict[str, Tenant], history: History, stream: Stream, clock: Clock,
                 rng: random.Random, ref: str, chosen: Sequence[str], *,
                 parent: int | None = None, pr: int | None = None) -> int:
    """Edit each chosen tenant (1 change, sometimes a few) and commit the files on ``ref``
    (on top of its tip, or of ``parent`` when given)."""
    changes = []
    files = []
    for tid in chosen:
        tenant = tenants[tid]
        count = 1 if rng.random() < 0.85 else rng.randint(2, 6)
        what = [history.edit(tenant) for _ in range(count)]
        changes.append(f"{tid}: {'; '.join(what)}")
        files.append((tenant.path(), tenant.render()))
    author = rng.choice(AUTHORS)
    authored, committed = clock.next()
    subject = changes[0] if len(changes) == 1 else f"Update {', '.join(chosen)}"
    if len(subject) > 72:
        subject = subject[:69] + "..."
    body = "\n".join(changes) if len(changes) > 1 or subject != changes[0] else ""
    message = subject + (f" (#{pr})" if pr else "") + (f"\n\n{body}" if body else "")
    return stream.commit(ref, author, authored, author, committed, message, files,
                         parent=parent)


def feature(history: History, stream: Stream, clock: Clock, rng: random.Random, main_tip: int,
            pr: int, branch_commits: int, main_commits: int, tids: list[str]) -> int:
    """A short feature branch off main, main moving meanwhile, then a --no-ff merge."""
    on_branch = rng.sample(tids, k=rng.randint(1, 4))
    branch = {tid: history.tenants[tid].copy() for tid in on_branch}
    others = [tid for tid in tids if tid not in branch]
    steps = ["branch"] * branch_commits + ["main"] * max(0, main_commits)
    rng.shuffle(steps)
    steps.remove("branch")
    steps.insert(0, "branch")  # the branch starts from main's tip before main moves
    branch_tip: int | None = None
    for step in steps:
        if step == "branch":
            chosen = rng.sample(on_branch, k=min(len(on_branch), pick_count(rng)))
            branch_tip = plain_commit(branch, history, stream, clock, rng, FEATURE_REF,
                                      chosen, parent=main_tip if branch_tip is None else None)
        else:
            main_tip = plain_commit(history.tenants, history, stream, clock, rng, MAIN_REF,
                                    rng.sample(others, k=pick_count(rng)))
    history.tenants.update(branch)
    _, committed = clock.next()
    slug = f"update-{'-'.join(sorted(on_branch))}"[:50]
    files = [(branch[tid].path(), branch[tid].render()) for tid in sorted(branch)]
    return stream.commit(MAIN_REF, MERGER, committed, MERGER, committed,
                         f"Merge pull request #{pr} from msp/{slug}\n\n"
                         f"Changes to {', '.join(sorted(on_branch))}",
                         files, parent=main_tip, merge=branch_tip)


# --- checking -------------------------------------------------------------------------------

def check(out_dir: Path) -> int:
    """Validate HEAD with ``tenantry validate`` and every commit with the project loader."""
    from reconciler.errors import SpecInvalid  # imported here: generation needs no project
    from reconciler.specs.cache import ParseCache
    from reconciler.specs.loading import load_specs

    tenantry = shutil.which("tenantry", path=str(Path(sys.executable).parent)) \
        or shutil.which("tenantry")
    failures = 0
    if tenantry:
        proc = subprocess.run([tenantry, "-C", str(out_dir), "validate"], capture_output=True,
                              text=True, check=False)
        print(f"tenantry validate (HEAD): exit {proc.returncode}: "
              f"{(proc.stdout + proc.stderr).strip().splitlines()[-1]}")
        failures += proc.returncode != 0
    else:
        print("tenantry not found; skipping `tenantry validate`")

    parsed = ParseCache(None)  # in memory: each tenant file version is parsed once
    blobs: dict[str, bytes] = {}

    revs = git(out_dir, "rev-list", "--all").split()
    began = time.perf_counter()
    for rev in revs:
        entries = [line.split(None, 3) for line in
                   git(out_dir, "ls-tree", "-r", rev, "specs/").splitlines()]
        wanted = [sha for _, _, sha, _ in entries if sha not in blobs]
        blobs.update(cat_blobs(out_dir, wanted))
        files = {path.removeprefix("specs/"): blobs[sha] for _, _, sha, path in entries}
        try:
            load_specs(files, cache=parsed)
        except SpecInvalid as exc:
            failures += 1
            for problem in exc.problems[:5]:
                print(f"commit {rev}: {problem.render()}")
    print(f"checked {len(revs)} commits ({len(blobs)} distinct blobs) with load_specs in "
          f"{time.perf_counter() - began:.1f} s: {'ALL VALID' if not failures else 'PROBLEMS'}")
    return failures


def parse_end(value: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date or time: {value!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZONE)
    return when


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--tenants", type=int, default=1000)
    ap.add_argument("--users", type=int, default=100, help="users per tenant, on average")
    ap.add_argument("--commits", type=int, default=5000, help="commits in all, merges included")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--merge-every", type=int, default=MERGE_EVERY,
                    help="about every Nth commit merges a feature branch (0: never)")
    ap.add_argument("--end", type=parse_end, default=None,
                    help="date/time of the last commit (ISO; default: now, to the hour); "
                         "naive values are Pacific/Auckland")
    ap.add_argument("--check", action="store_true",
                    help="afterwards, validate HEAD and every commit (small repos only)")
    ap.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    args = ap.parse_args(argv)
    end = args.end or dt.datetime.now(dt.UTC).replace(minute=0, second=0,
                                                                 microsecond=0)
    figures = generate(args.out_dir, tenants=args.tenants, users=args.users,
                       commits=args.commits, seed=args.seed, end=end,
                       merge_every=args.merge_every)
    size = sum(p.stat().st_size for p in (args.out_dir / ".git" / "objects").rglob("*")
               if p.is_file())
    print(f"generated {args.out_dir}: {int(figures['commits'])} commits, {args.tenants} "
          f"tenants x ~{args.users} users, end {end.isoformat()}, seed {args.seed}")
    print(f"  {figures['seconds']:.1f} s in all (model {figures['model_seconds']:.1f} s, "
          f"fast-import {figures['import_seconds']:.1f} s, checkout "
          f"{figures['checkout_seconds']:.1f} s); stream {figures['stream_bytes'] / 1e6:.0f} MB;"
          f" .git/objects {size / 1e6:.1f} MB")
    if args.check:
        return 1 if check(args.out_dir) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
