"""Attestation checks: read what attachments say and compare it with what the evidence claims."""
