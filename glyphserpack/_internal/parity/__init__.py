"""Internals of parity sidecars and fixity audits (see ``glyphserpack.parity``)."""
