"""Operations carried out in JSON ``$batch`` requests of at most 20, retried request by
request as Graph asks.

Graph takes a batch that is fully parallel or fully sequential, nothing in between. Single
operations go out in parallel batches; chains (a create and its assignLicense) in
sequential ones, each request depending on the one before, several chains to a batch. When
a request of a sequential batch fails, those after it come back 424 without having run;
other chains' requests among them are simply sent again.

Per request: 429 waits for its ``Retry-After`` (up to ``MAX_THROTTLED`` times: being
throttled is Graph pacing us, not a failure); 5xx and timeouts back off exponentially, and
each operation gets ``MAX_ATTEMPTS`` of those. A create whose outcome is unknown (a 5xx, a timeout,
a lost response) is never just sent again: its UPN is looked up first, and a user found
carrying our marker is the one we created. A create refused because the UPN exists is
settled the same way: it may be ours, from an earlier attempt or an interrupted apply.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections import Counter
from typing import Any, Awaitable, Callable, Mapping

from reconciler.planning.directory import Status

from .chains import Chain, Outcome, chains_of, pack
from .marker import Marker, owner
from .operations import Op
from .transport import MAX_WAIT, Transport, Unreachable, describe, retry_after

PARALLEL_BATCHES = 4   # batches in flight per tenant
MAX_ATTEMPTS = 8
MAX_THROTTLED = 30
RETRY = frozenset({429, 500, 502, 503, 504})


class Engine:
    def __init__(self, transport: Transport, entra_tenant: str, tenant: str, marker: Marker,
                 on_created: Callable[[list[Op]], Awaitable[str]]) -> None:
        self.transport = transport
        self.entra_tenant = entra_tenant
        self.tenant = tenant
        self.marker = marker
        self.on_created = on_created
        self.outcomes: dict[Op, Outcome] = {}
        self.created: dict[str, str] = {}      # user -> object id of the user created now
        self.fresh: list[Op] = []              # created with our password, not yet recorded
        self.attempts: Counter[Op] = Counter()
        self.throttled: Counter[Op] = Counter()
        self.unknown: set[Op] = set()          # sent, and may have taken effect
        # Creates to look up before they are sent again: True when Graph said the UPN exists.
        self.verify: dict[Op, bool] = {}
        self._slots = asyncio.Semaphore(PARALLEL_BATCHES)

    async def run(self, ops: list[Op]) -> dict[Op, Outcome]:
        for stage in sorted({op.stage for op in ops}):
            await self._stage([op for op in ops if op.stage == stage])
        return self.outcomes

    # --- one stage: batches and lookups until every chain is done --------------------------

    async def _stage(self, ops: list[Op]) -> None:
        """Whenever chains are ready (not waiting out a Retry-After or a backoff, not in
        flight), pack them into batches (or look their creates up); then wait for the first
        of those to finish, or for the next chain to be due."""
        loop = asyncio.get_running_loop()
        idle = chains_of(ops)  # chains not in flight
        tasks: dict[asyncio.Future[None], list[Chain]] = {}
        try:
            while idle or tasks:
                now = loop.time()
                ready = [c for c in idle if c.not_before <= now and not self._blocked(c)]
                idle = [c for c in idle if not c.done and c.not_before > now]
                check = [c for c in ready if c.head in self.verify]
                for chain in check:
                    tasks[asyncio.ensure_future(self._settle_create(
                        chain, chain.head, self.verify.pop(chain.head)))] = [chain]
                for batch, sequential in pack([c for c in ready if c not in check]):
                    tasks[asyncio.ensure_future(self._send(batch, sequential))] = \
                        list(dict.fromkeys(c for c, _ in batch))
                timeout = max(0.0, min(c.not_before for c in idle) - now) if idle else None
                if not tasks:
                    await asyncio.sleep(timeout or 0.0)
                    continue
                done, _ = await asyncio.wait(tasks, timeout=timeout,
                                             return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    chains = tasks.pop(task)
                    task.result()
                    idle.extend(c for c in chains if not c.done)
        finally:
            for task in tasks:
                task.cancel()

    def _blocked(self, chain: Chain) -> bool:
        """Skip the chain's head (and what follows) when an operation it needs, outside the
        chain, did not succeed."""
        if chain.done:
            return True
        for need in chain.head.needs:
            if need in chain.ops:
                continue
            outcome = self.outcomes.get(need)
            if outcome is not None and outcome.status is not Status.APPLIED:
                self._fail(chain, chain.head, f"needs {need.changes[0]}, which "
                           f"{'failed' if outcome.status is Status.FAILED else 'was skipped'}",
                           Status.SKIPPED)
                return True
        return False

    # --- sending ----------------------------------------------------------------------

    async def _send(self, batch: list[tuple[Chain, Op]], sequential: bool) -> None:
        requests: list[dict[str, Any]] = []
        for index, (_, op) in enumerate(batch):
            request: dict[str, Any] = {"id": str(index + 1), "method": op.method,
                                       "url": op.path(self.created.get(op.user))}
            if op.body is not None:
                request["body"] = op.body
                request["headers"] = {"Content-Type": "application/json"}
            if sequential and index:
                request["dependsOn"] = [str(index)]
            requests.append(request)
        async with self._slots:
            try:
                reply = await self.transport.send(self.entra_tenant, "POST", "/$batch",
                                                  {"requests": requests},
                                                  middleware_retries=False)
            except Unreachable as exc:
                for chain, op in batch:
                    self._again(chain, op, f"no response: {exc}", None, unknown=True)
                return
        if not reply.ok or not isinstance(reply.data, dict):
            for chain, op in batch:
                if reply.status in RETRY:
                    self._again(chain, op, reply.error(), reply.headers,
                                unknown=reply.status != 429, throttled=reply.status == 429)
                else:
                    self._fail(chain, op, f"Graph refused the batch: {reply.error()}")
            return
        responses = {str(r.get("id")): r for r in reply.data.get("responses") or ()
                     if isinstance(r, dict)}
        try:
            await self._results(batch, responses)
        finally:
            await self._record()

    async def _results(self, batch: list[tuple[Chain, Op]],
                       responses: dict[str, Any]) -> None:
        for index, (chain, op) in enumerate(batch):
            response = responses.get(str(index + 1))
            if chain.done or chain.head is not op:
                continue  # an earlier operation of its chain did not succeed
            if response is None:
                self._again(chain, op, "no response for it in the batch", None, unknown=True)
                continue
            status = int(response.get("status") or 0)
            headers = response.get("headers")
            headers = headers if isinstance(headers, dict) else {}
            await self._result(chain, op, status, headers, response.get("body"))

    async def _result(self, chain: Chain, op: Op, status: int, headers: Mapping[str, str],
                      body: Any) -> None:
        if 200 <= status < 300:
            await self._succeed(chain, op, body.get("id") if isinstance(body, dict) else None)
        elif status == 424:
            pass  # did not run: a request before it in the batch failed; sent again
        elif status in RETRY:
            self._again(chain, op, describe(status, body), headers,
                        unknown=status != 429 and op.kind != "patch", throttled=status == 429)
        elif status == 404 and op.kind == "delete" and op in self.unknown:
            await self._succeed(chain, op, None)  # an earlier attempt deleted it
        elif status == 404 and op.object_id is None:
            # A user created moments ago, not yet replicated everywhere: try again.
            self._again(chain, op, describe(status, body), None, unknown=False)
        elif status == 400 and op.kind == "create" and "already exists" in describe(status, body):
            self.verify[op] = True  # ours, from an earlier attempt or apply? Look it up.
        elif status == 400 and op.kind.startswith("licences") and op in self.unknown \
                and await self._licences_in_place(op):
            await self._succeed(chain, op, None)  # an earlier attempt did it
        else:
            self._fail(chain, op, describe(status, body))

    async def _succeed(self, chain: Chain, op: Op, object_id: Any, message: str = "") -> None:
        """``message`` set for a create: the account existed already (no password of ours)."""
        chain.pos += 1
        self.outcomes[op] = Outcome(Status.APPLIED, message)
        if op.kind == "create" and isinstance(object_id, str):
            self.created[op.user] = object_id
            if not message:
                self.fresh.append(op)

    async def _record(self) -> None:
        """Record the passwords of the users just created: one write for the lot."""
        ops, self.fresh = self.fresh, []
        if ops:
            problem = await self.on_created(ops)
            if problem:
                for op in ops:
                    self.outcomes[op] = Outcome(Status.APPLIED, problem)

    def _again(self, chain: Chain, op: Op, error: str, headers: Mapping[str, str] | None,
               *, unknown: bool, throttled: bool = False) -> None:
        if unknown:
            self.unknown.add(op)
            if op.kind == "create":
                self.verify.setdefault(op, False)
        count = self.throttled if throttled else self.attempts
        count[op] += 1
        wait = retry_after(headers or {}, count[op])
        if count[op] >= (MAX_THROTTLED if throttled else MAX_ATTEMPTS) or wait > MAX_WAIT:
            self._fail(chain, op, f"gave up after {count[op]} attempts: {error}")
            return
        chain.not_before = max(chain.not_before,
                               asyncio.get_running_loop().time() + wait)

    def _fail(self, chain: Chain, op: Op, message: str,
              status: Status = Status.FAILED) -> None:
        self.outcomes[op] = Outcome(status, message)
        for rest in chain.ops[chain.pos + 1:]:
            what = "failed" if status is Status.FAILED else "was skipped"
            self.outcomes[rest] = Outcome(Status.SKIPPED, f"needs {op.changes[0]}, which {what}")
        chain.pos = len(chain.ops)

    # --- creates and licences whose outcome is unknown ----------------------------------

    async def _settle_create(self, chain: Chain, op: Op, conflict: bool) -> None:
        """Look the UPN up: ours -> created (by an earlier attempt); someone else's ->
        failed; absent -> send the create (again), unless Graph said the UPN exists (the
        read lags behind: look again later)."""
        found = await self._lookup(op.upn)
        try:
            await self._settled(chain, op, conflict, found)
        finally:
            await self._record()

    async def _settled(self, chain: Chain, op: Op, conflict: bool,
                       found: dict[str, Any] | str | None) -> None:
        if isinstance(found, str):  # the lookup failed: try again later
            self.verify[op] = conflict
            self._again(chain, op, found, None, unknown=False)
        elif found is None:
            if conflict:
                self.verify[op] = True
                self._again(chain, op, f"{op.upn} exists, but cannot be read yet", None,
                            unknown=False)
        elif owner(self.marker.read(found)) == (self.tenant, op.user):
            if op in self.unknown:
                await self._succeed(chain, op, found.get("id"))
            else:
                await self._succeed(chain, op, found.get("id"),
                                    "the account already existed, created by an earlier "
                                    "apply; its initial password is that run's row in the "
                                    "new-passwords file")
        else:
            self._fail(chain, op, f"UPN {op.upn} belongs to a directory object tenantry does "
                                  f"not manage ({found.get('id')}); left untouched")

    async def _lookup(self, upn: str) -> dict[str, Any] | str | None:
        url = (f"/users/{urllib.parse.quote(upn, safe='@')}"
               f"?$select=id,userPrincipalName,{self.marker.select}")
        async with self._slots:
            try:
                reply = await self.transport.send(self.entra_tenant, "GET", url)
            except Unreachable as exc:
                return f"looking {upn} up: {exc}"
        if reply.status == 404:
            return None
        if reply.ok and isinstance(reply.data, dict):
            return reply.data
        return f"looking {upn} up: {reply.error()}"

    async def _licences_in_place(self, op: Op) -> bool:
        """Whether a licence change sent before (outcome unknown) has taken effect."""
        url = op.path(self.created.get(op.user)).removesuffix(op.suffix)
        async with self._slots:
            try:
                reply = await self.transport.send(self.entra_tenant, "GET",
                                                  f"{url}?$select=id,assignedLicenses")
            except Unreachable:
                return False
        if not reply.ok or not isinstance(reply.data, dict) or op.body is None:
            return False
        held = {str(lic.get("skuId", "")).lower()
                for lic in reply.data.get("assignedLicenses") or () if isinstance(lic, dict)}
        adds = {str(a["skuId"]).lower() for a in op.body["addLicenses"]}
        removes = {str(r).lower() for r in op.body["removeLicenses"]}
        return adds <= held and not removes & held
