"""Deterministic demo data: two years of CRM and ERP history, loaded with COPY."""
