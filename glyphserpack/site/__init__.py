"""The static, hash-linked evidence site (issue 5).

``build_site(evidence, out)`` turns an evidence tree into a mkdocs-material site whose every
claim links to the object it rests on by hash; ``verify_site(site)`` checks that a copy of it
is exactly what was built, signed and time-stamped. See docs/site.md.
"""

from __future__ import annotations

from glyphserpack.site.builder import BuildResult, build_site
from glyphserpack.site.verify import SiteReport, verify_site, verify_site_or_raise

__all__ = ["BuildResult", "SiteReport", "build_site", "verify_site", "verify_site_or_raise"]
