"""Extraction from the CRM's HTTP API into the raw layer (`docs/crm-api.md`)."""
