# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pickle

import pytest

from quantum.core import exceptions as exc


def test_details_are_the_original_wire_literals() -> None:
    assert exc.NetworkNotFound(network_id="N").detail == "Network N could not be found"
    assert (
        exc.PortInUse(network_id="N", port_id="P", attachment_id="A").detail
        == "Unable to complete operation on port P for network N. "
        "The attachment 'Ais plugged into the logical port."
    )
    assert exc.AlreadyAttached(
        network_id="N", port_id="P", attachment_id="A", attached_port_id="O"
    ).detail == (
        "Unable to plug the attachment A into port P for network N. "
        "The attachment is already plugged into port O"
    )


def test_fields_are_typed_keywords_and_a_missing_one_is_refused() -> None:
    error = exc.NetworkNotFound(network_id="N")
    assert error.network_id == "N"
    assert repr(error) == "NetworkNotFound(network_id='N')"
    with pytest.raises(TypeError):
        exc.NetworkNotFound()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        exc.NetworkNotFound(net_id="N")  # type: ignore[call-arg]


def test_an_error_survives_pickling_with_its_fields() -> None:
    error = exc.PortNotFoundOnNetwork(port_id="P", network_id="N")
    again = pickle.loads(pickle.dumps(error))  # noqa: S301  # NOTE: our own bytes
    assert type(again) is exc.PortNotFoundOnNetwork
    assert (again.port_id, again.network_id, again.detail) == ("P", "N", error.detail)


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
