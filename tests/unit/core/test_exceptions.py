# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

from quantum.core import exceptions as exc


def test_details_are_the_original_wire_literals() -> None:
    assert exc.NetworkNotFound(net_id="N").detail == "Network N could not be found"
    assert (
        exc.PortInUse(net_id="N", port_id="P", att_id="A").detail
        == "Unable to complete operation on port P for network N. "
        "The attachment 'Ais plugged into the logical port."
    )
    assert exc.AlreadyAttached(
        net_id="N", port_id="P", att_id="A", att_port_id="O"
    ).detail == (
        "Unable to plug the attachment A into port P for network N. "
        "The attachment is already plugged into port O"
    )


def test_a_missing_field_falls_back_to_the_template() -> None:
    assert exc.NetworkNotFound().detail == exc.NetworkNotFound.template


def test_kinds_are_classified_by_base() -> None:
    assert issubclass(exc.StateInvalid, exc.BadRequest)
    assert issubclass(exc.AlreadyAttached, exc.Conflict)
    assert issubclass(exc.PortNotFound, exc.NotFound)


def test_exhaustion_is_service_unavailable_and_names_the_ranges() -> None:
    error = exc.NoNetworkAvailable(network_type="gre", ranges="1:4")
    assert isinstance(error, exc.ServiceUnavailable)
    assert error.detail == (
        "Unable to create the network. No gre segment is available: all ids in 1:4 "
        "are in use."
    )
