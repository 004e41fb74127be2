"""How journal entries are shown outside: API names, closed fields as "changed"."""

from domain.core.access import Viewer
from domain.core.permissions import can_read_field
from domain.integrations.events import CHANGED, public_field, public_type, shown_changes


def test_entity_types_and_fields_take_the_api_names() -> None:
    assert public_type("sales_order") == "SalesOrder"
    assert public_type("closed_period") == "AccountingPeriod"
    assert public_field("credit_limit") == "creditLimit"
    assert public_field("status") == "status"


def test_a_closed_field_shows_as_changed_to_a_reader_without_its_right() -> None:
    changes = {"salary": {"from": "50000", "to": "52000"}, "title": {"from": "A", "to": "B"}}
    manager = Viewer(employee_id=1, email="m@x", roles=frozenset({"sales_manager"}))
    hr = Viewer(employee_id=2, email="h@x", roles=frozenset({"hr"}))

    def for_viewer(viewer: Viewer) -> dict[str, object]:
        return shown_changes("employee", changes, lambda t, f: can_read_field(viewer, t, f))

    assert for_viewer(manager) == {"salary": CHANGED, "title": changes["title"]}
    assert for_viewer(hr) == {"salary": changes["salary"], "title": changes["title"]}
