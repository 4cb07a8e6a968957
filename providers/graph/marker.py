"""The ownership marker: ``tenantry:<tenant>/<user>`` in one attribute of the Entra user.

By default ``onPremisesExtensionAttributes.extensionAttribute15``, which cloud-only users
can have written through Graph and which Exchange and Entra show to admins; a directory can
choose another extension attribute (1-15) or a directory extension property
(``extension_<app id>_<name>``) with ``marker_attribute``. A user whose attribute does not
hold a tenantry marker is not tenantry's: it is never changed or deleted. (Users synced from
on-premises AD get their extension attributes from AD; mark those there, or pick a
directory extension property.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PREFIX = "tenantry:"
EXTENSION_ATTRIBUTES = "onPremisesExtensionAttributes"


def stamp(tenant: str, user: str) -> str:
    return f"{PREFIX}{tenant}/{user}"


def owner(value: Any) -> tuple[str, str] | None:
    """(tenant, user) from a marker value, None when it is not a tenantry marker."""
    if not isinstance(value, str) or not value.startswith(PREFIX):
        return None
    tenant, slash, user = value[len(PREFIX):].partition("/")
    return (tenant, user) if slash and tenant and user else None


@dataclass(frozen=True)
class Marker:
    attribute: str  # "onPremisesExtensionAttributes.extensionAttribute15" or "extension_..."

    @property
    def select(self) -> str:
        """The top-level property to ``$select`` for it."""
        return self.attribute.partition(".")[0]

    def read(self, user: dict[str, Any]) -> Any:
        top, _, inner = self.attribute.partition(".")
        value = user.get(top)
        if inner:
            return value.get(inner) if isinstance(value, dict) else None
        return value

    def body(self, value: str | None) -> dict[str, Any]:
        """The JSON that sets it (in a create or a PATCH)."""
        top, _, inner = self.attribute.partition(".")
        return {top: {inner: value}} if inner else {top: value}
