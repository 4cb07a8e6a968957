"""tenantry: GitOps provisioning and billing for MSPs (command-line interface)."""

__version__ = "0.1.0"
