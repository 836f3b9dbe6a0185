"""The HTTP adapter against real sockets: every failure is an outcome, never an exception."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from openoms.integrations.webhooks.delivery import HttpSender
from tests.receiver import running_receiver

HEADERS = {"Content-Type": "application/json"}


@pytest.fixture
def sender() -> Iterator[HttpSender]:
    with HttpSender(timeout=0.2) as running:
        yield running


def test_a_2xx_answer_is_a_success_with_its_status_and_duration(sender: HttpSender) -> None:
    with running_receiver(then=204) as receiver:
        outcome = sender.send(receiver.url, b"{}", HEADERS)

    assert (outcome.status_code, outcome.error, outcome.is_success) == (204, None, True)
    assert outcome.duration_ms >= 0
    assert receiver.requests[0].body == b"{}"


@pytest.mark.parametrize("status", [302, 404, 500])
def test_any_other_answer_is_a_failure_with_the_start_of_its_body(
    sender: HttpSender, status: int
) -> None:
    with running_receiver(then=status) as receiver:
        outcome = sender.send(receiver.url, b"{}", HEADERS)

    assert outcome.status_code == status
    assert not outcome.is_success
    assert outcome.error == f"HTTP {status} receiver failed on purpose"
    assert len(receiver.requests) == 1  # a redirect is not followed


def test_a_refused_connection_is_a_failure_without_a_status(sender: HttpSender) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    outcome = sender.send(f"http://127.0.0.1:{port}/hooks", b"{}", HEADERS)

    assert outcome.status_code is None
    assert outcome.error is not None
    assert outcome.error.startswith("ConnectError")


def test_a_receiver_that_never_answers_times_out(sender: HttpSender) -> None:
    with socket.socket() as silent:  # accepts connections (the backlog) but never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]

        outcome = sender.send(f"http://127.0.0.1:{port}/hooks", b"{}", HEADERS)

    assert (outcome.status_code, outcome.error) == (None, "timed out after 0.2s")
    assert outcome.duration_ms >= 150
