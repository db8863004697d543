"""Extraction from the CRM's HTTP API into the raw layer (`../shared/spec/crm-api.md`)."""
