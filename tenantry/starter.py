"""The files ``tenantry init`` writes: a small, valid spec repository that explains itself.

Every file is commented so that a new user can edit it without the docs open; optional
settings are present but commented out. ``validate`` passes on them as written and
``plan`` shows the example tenant's users to create in the built-in local directory.
"""

from __future__ import annotations

GITIGNORE_LINES = (".tenantry/", "invoices/")

CATALOG = """\
# Products you bill, keyed by SKU (upper case: A-Z, 0-9, '.', '_', '-').
# Prices are per seat per billing period, in billing.yaml's currency. See docs/specs.md.
products:
  M365-BP:
    name: Microsoft 365 Business Premium
    price: 36.50
    # price_changes:             # dated list prices, oldest first
    #   - from: 2026-07-01
    #     price: 38.00
    assign:                      # what a real directory assigns for this product
      graph: SPB                 #   Entra skuPartNumber
      ldap: cn=lic-m365-bp,ou=groups   # group DN, relative to the base DN
    # account_code: 200          # ledger account for the Xero export
  SUPPORT:
    name: Managed support seat
    price: 25.00                 # no `assign`: billed, never provisioned
"""

BILLING = """\
# How seats become money. Every setting is optional; see docs/billing.md.
currency: USD                    # ISO 4217; amounts round to its minor unit
timezone: UTC                    # IANA zone where billing days begin and end
close_day: last                  # 1..31 or last: the day each billing period ends
proration: daily                 # daily | snapshot | peak
rules:                           # seats that are not billable
  - name: admin accounts
    users: ["admin*@*"]          # globs on UPN, case-insensitive
# issuer:                        # printed on `tenantry bill --split` documents
#   name: Your MSP Ltd
#   address: [1 Example Street, Example City 1010]
#   tax_number: 123-456-789
#   email: accounts@your-msp.example
#   due_days: 20                 # due date = invoice date + days
# tax:                           # added on top of the amounts, shown on its own line
#   name: GST
#   rate: 15
# xero:                          # `tenantry bill --format xero`
#   account_code: 200            # for products without their own account_code
#   tax_type: 15% GST on Income  # the tax rate's name in Xero
"""

RESELLERS = """\
# Partners who resell your services (optional). See docs/billing.md, "Resellers".
resellers: {}
#  acme:
#    name: Acme IT Partners
#    mode: aggregate             # you invoice the reseller for its tenants, at a discount
#    discount: 20                # percent off list price
#  tasman:
#    name: Tasman Digital
#    mode: on-behalf             # you invoice its tenants; it earns its discount
#    discount: 10
"""

DIRECTORIES = """\
# Where users really live. `local` is tenantry's own SQLite directory
# (.tenantry/directory.sqlite): try everything with it before connecting a real one.
directories:
  local:
    provider: local
#  hosted-ad:
#    provider: ldap
#    url: ldaps://dc1.example.net:636
#    flavor: active-directory    # or openldap
#    base_dn: OU=Customers,DC=example,DC=net
#    bind_dn: CN=svc-tenantry,OU=Service,DC=example,DC=net
#    password_env: HOSTED_AD_PASSWORD   # secrets only by environment variable
#  m365:
#    provider: graph
#    tenant_id: 00000000-0000-0000-0000-000000000000
#    client_id: 00000000-0000-0000-0000-000000000000
#    client_secret_env: M365_GRAPH_SECRET
"""

TENANT = """\
# One customer per file; the file name (example) is the tenant id.
# Replace this example with your customers. See docs/specs.md.
name: Example Customer Ltd
domain: example.com              # every UPN must end in @example.com
usage_location: US               # default for users (Microsoft Graph needs one)
# reseller: acme                 # a reseller from resellers.yaml
billing:
  start: null                    # go-live: first billable day, e.g. 2026-02-01
  exclude: false                 # true for test tenants: never billed
users:                           # keyed by a stable id that never changes
  alice:
    upn: alice@example.com
    display_name: Alice Example
    given_name: Alice
    surname: Example
    skus: [M365-BP, SUPPORT]
  admin:
    upn: admin@example.com
    display_name: Example Admin
    skus: [M365-BP]              # not billed: see the rule in billing.yaml
"""

FILES = {
    "catalog.yaml": CATALOG,
    "billing.yaml": BILLING,
    "resellers.yaml": RESELLERS,
    "directories.yaml": DIRECTORIES,
    "tenants/example.yaml": TENANT,
}
