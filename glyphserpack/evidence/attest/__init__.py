"""Attestation checks: read what attachments *say* and hold it against what the evidence claims.

``check`` already proves that every attachment's bytes match their pin; the modules here parse
those bytes with the tools of their field and compare them with the documents' claims.
"""
