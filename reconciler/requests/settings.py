"""Where requests go: the request settings file (``.tenantry/requests.toml``).

It belongs to the server, not to the specs: ``specs/`` describes tenants, while which forge
a server opens pull requests on, and as whom, is that server's business. The file holds no
secret: the forge token is named by environment variable, as every secret in tenantry is::

    base = "main"                         # the branch requests start from and merge into
                                          #   (default: the branch checked out)
    author_domain = "tenantry.invalid"    # requester "Jo Bloggs" -> jo.bloggs@tenantry.invalid
    committer = "tenantry <tenantry@localhost>"

    [forge]                               # optional: open a pull request for each request
    url = "https://github.com/acme/tenant-specs"   # or https://gitlab.example.com/msp/specs
    token_env = "TENANTRY_FORGE_TOKEN"
    remote = "origin"                     # where request branches are pushed
    # kind = "github" | "gitlab"          # default: from the host (github.com, gitlab.*)
    # api_url = "https://ghe.example.com/api/v3"   # default: derived from url
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reconciler.errors import UserError

DEFAULT_PATH = ".tenantry/requests.toml"
_ENV = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
_BRANCH = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,200}$"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class ForgeSettings(_Model):
    url: Annotated[str, Field(pattern=r"^https?://[^\s/]+/\S+$")]
    token_env: Annotated[str, Field(pattern=_ENV)]
    remote: Annotated[str, Field(min_length=1, max_length=200)] = "origin"
    kind: Literal["github", "gitlab"] | None = None
    api_url: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None


class RequestSettings(_Model):
    base: Annotated[str, Field(pattern=_BRANCH)] | None = None
    author_domain: Annotated[str, Field(pattern=r"^[A-Za-z0-9.-]{1,253}$")] = "tenantry.invalid"
    committer: Annotated[str, Field(pattern=r"^[^<>\n]+ <[^<>\s]+>$")] = \
        "tenantry <tenantry@localhost>"
    forge: ForgeSettings | None = None


def load(path: Path, *, required: bool = False) -> RequestSettings:
    """The settings in ``path``; defaults when it does not exist (unless ``required``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required:
            raise UserError(f"request settings {str(path)!r} not found") from None
        return RequestSettings()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {path}: {exc}") from None
    try:
        return RequestSettings.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML ({exc})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "file"
        raise UserError(f"{path}: {where}: {first['msg']}") from None
