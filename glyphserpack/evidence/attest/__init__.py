"""Attestation: read what hash-linked attachments *say*, with the standard tool of their field.

Integrity (pins, signatures) is proven by the loader; the modules here check content against
the claims of the document that links it, and report contradictions as findings.
"""
