"""``tenantry token create|list|revoke``: bearer tokens for the read API."""

from __future__ import annotations

from pathlib import Path

from reconciler.errors import UserError
from reconciler.specs import RESELLERS, DocumentInvalid, ResellerFile, parse
from server.scope import Scope
from server.tokens import DEFAULT_PATH, TokenInfo, TokenStore, parse_expiry, utcnow
from tenantry.output import err, out
from tenantry.workspace import Workspace


def store(ws: Workspace, tokens: Path | None) -> TokenStore:
    if tokens is not None:
        return TokenStore(ws.cwd / tokens)
    if ws.repo is None:
        raise UserError(f"{ws.label} is not in a git repository; give --tokens FILE")
    return TokenStore(ws.repo.root / DEFAULT_PATH)


def create(ws: Workspace, *, name: str, scope: str, expires: str | None,
           tokens: Path | None) -> int:
    parsed = Scope.parse(scope)
    tokens_store = store(ws, tokens)
    info, token = tokens_store.create(name, parsed, parse_expiry(expires))
    _warn_unknown(ws, parsed)
    out(token)  # the only time the token is shown: stdout, so it can be piped to a vault
    err(f"created token {info.id} ({info.name}, scope {info.scope}, "
        f"{'expires ' + _when(info.expires) if info.expires else 'no expiry'}) in "
        f"{tokens_store.path}; it is shown once: store it now")
    return 0


def list_tokens(ws: Workspace, *, tokens: Path | None) -> int:
    found = store(ws, tokens).list()
    if not found:
        err("no tokens; create one with 'tenantry token create --name NAME'")
        return 0
    now = utcnow()
    rows = [("ID", "NAME", "SCOPE", "CREATED", "LAST USED", "EXPIRES", "STATUS")]
    rows += [(t.id, t.name, str(t.scope), _when(t.created), _when(t.last_used),
              _when(t.expires), t.status(now)) for t in found]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        out("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0


def revoke(ws: Workspace, *, ident: str, tokens: Path | None) -> int:
    info: TokenInfo = store(ws, tokens).revoke(ident)
    err(f"revoked token {info.id} ({info.name}, scope {info.scope}); the server refuses it "
        "from the next request")
    return 0


def _when(value: object) -> str:
    if value is None:
        return "-"
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text.replace("+00:00", "Z")


def _warn_unknown(ws: Workspace, scope: Scope) -> None:
    """A scope naming no tenant or reseller in the working tree is allowed (it may come
    later) but is most likely a typo."""
    if scope.id is None or not ws.specs_dir.is_dir():
        return
    if scope.kind == "tenant" and not (ws.specs_dir / "tenants" / f"{scope.id}.yaml").exists():
        err(f"warning: no tenant {scope.id!r} in {ws.label}; the token sees nothing until "
            "it exists")
    if scope.kind == "reseller":
        try:
            known = parse(ResellerFile, (ws.specs_dir / RESELLERS).read_bytes()).resellers
        except (OSError, DocumentInvalid):
            known = {}
        if scope.id not in known:
            err(f"warning: no reseller {scope.id!r} in {ws.label}/resellers.yaml; the token "
                "sees nothing until it exists")
