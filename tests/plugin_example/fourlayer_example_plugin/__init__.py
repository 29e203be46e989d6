"""A third-party check package: registering through the `fourlayer.checks` entry point is all it takes."""

from fourlayer.core.model import failed, passed
from fourlayer.core.registry import check


@check(id="L1-XPL-001", layer=1, severity="low", min_level=1, scope="agency",
       title={"en": "Example plugin check: agency name is set", "vi": "Kiểm tra mẫu: tên cơ quan được khai báo"},
       rationale={"en": "Demonstrates a third-party check.", "vi": "Minh họa kiểm tra của bên thứ ba."},
       remediation={"en": "Set the agency name.", "vi": "Khai báo tên cơ quan."},
       references=("fourlayer plugin example",))
def agency_named(t):
    return passed("agency has a name") if t.agency.name.strip() else failed("agency has no name")
