"""What the pages show of a tenant at the base commit: its users and the product catalog."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.specs import DocumentInvalid, TenantSpec, tenant_path
from server.web.site import PageError, Web, Who


@dataclass(frozen=True)
class UserView:
    id: str
    upn: str
    display_name: str
    given_name: str
    surname: str
    enabled: bool
    skus: tuple[str, ...]
    match: bool = True

    @property
    def search(self) -> str:
        return " ".join((self.id, self.upn, self.display_name, *self.skus)).lower()


@dataclass(frozen=True)
class TenantView:
    id: str
    name: str
    domain: str | None
    spec: TenantSpec
    users: tuple[UserView, ...]

    def user(self, uid: str) -> UserView | None:
        return next((u for u in self.users if u.id == uid), None)


@dataclass(frozen=True)
class Product:
    sku: str
    name: str


def visible_tenant(site: Web, who: Who, tenant: str) -> tuple[str, TenantView]:
    """The tip of the base branch and ``tenant`` at it: 404 unless ``who`` may see it."""
    commit = site.base()
    site.check_tenant(who, tenant, commit)
    return commit, tenant_view(site, commit, tenant)


def tenant_view(site: Web, commit: str, tenant: str) -> TenantView:
    spec = site.locked(lambda: _parse(site, commit, tenant))
    users = tuple(UserView(uid, u.upn, u.display_name, u.given_name or "", u.surname or "",
                           u.enabled, u.skus) for uid, u in spec.users.items())
    return TenantView(tenant, spec.name, spec.domain, spec, users)


def catalog(site: Web, commit: str) -> list[Product]:
    return [Product(sku, p.name) for sku, p in sorted(site.catalog_products(commit).items())]


def search(users: tuple[UserView, ...], query: str) -> tuple[UserView, ...]:
    """Every user, each marked whether it matches every word of ``query``."""
    words = query.lower().split()
    return tuple(UserView(u.id, u.upn, u.display_name, u.given_name, u.surname, u.enabled,
                          u.skus, all(w in u.search for w in words)) for u in users)


def _parse(site: Web, commit: str, tenant: str) -> TenantSpec:
    files = site.cache.files_at(site.repo, commit, site.specs_rel)
    try:
        return site.cache.parse(TenantSpec, files[tenant_path(tenant)])
    except DocumentInvalid:
        raise PageError(409, "This tenant needs an engineer",
                        "The tenant's file has problems that must be fixed before changes "
                        "can be requested here; please contact your service provider.") \
            from None
