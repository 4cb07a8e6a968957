"""DN building and comparison in the ldap provider: pure functions, no server."""

from __future__ import annotations

import pytest
from ldap3.utils.dn import parse_dn

from providers.ldap import dn
from providers.ldap.writer import _account_name


@pytest.mark.parametrize("value", [
    "Smith, John (Contractor)*", "x)(uid=*", "#lead", "O'Brien", "Zoë Łukasiewicz",
    " leading", "trailing ", " ", "a+b=c<d>;e\"f\\g", "nul\x00byte", "#", "  two  "])
def test_escaped_values_parse_back_to_themselves(value: str) -> None:
    built = f"{dn.rdn('cn', value)},ou=acme,dc=example,dc=test"
    parts = parse_dn(built)
    assert [p[0] for p in parts] == ["cn", "ou", "dc", "dc"]  # the value never adds an RDN
    assert dn.first_value(built) == value
    assert dn.parent(built) == "ou=acme,dc=example,dc=test"


def test_keys_meet_whatever_escaping_and_case_the_server_chose() -> None:
    assert dn.key("CN=x)(uid\\3D*,OU=Acme,DC=example") == dn.key("cn=x)(uid\\=*,ou=acme,dc=EXAMPLE")
    assert dn.key("CN=Smith\\2C John,OU=a") == dn.key("cn=smith\\, john,ou=a")
    assert dn.key("CN=Zo\\C3\\AB,OU=a") == dn.key("cn=Zoë,ou=a")
    assert dn.key("cn=Al  Smith , ou=a") == dn.key("CN=al smith,OU=a")
    assert dn.key("cn=Al Smith,ou=a") != dn.key("cn=Al Smith,ou=b")
    assert dn.key("cn=a\\,b,ou=c") != dn.key("cn=a,b=b,ou=c")


def test_a_container_that_is_not_a_dn_is_refused_with_what_it_was() -> None:
    assert dn.check("OU=Contoso", "container") == "OU=Contoso"
    with pytest.raises(ValueError, match="container 'Contoso' is not a distinguished name"):
        dn.check("Contoso", "container")


def test_account_names_are_valid_for_ad_and_have_a_fallback() -> None:
    assert _account_name("alice@contoso.example") == "alice"
    assert _account_name("x)(uid=*@c.example") == "x)(uid__"
    assert _account_name("a.very.long.local.part.indeed@c.example") == "a.very.long.local.pa"
    other = _account_name("alice@contoso.example", "cn=Alice,ou=b")
    assert other.startswith("alice-") and len(other) <= 20
    assert other != _account_name("alice@contoso.example", "cn=Alice,ou=c")
