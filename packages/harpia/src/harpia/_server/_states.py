"""The states of a server connection, the table of their transitions, their timers.

``HTTPConnection`` (``_connection.py``) is always in one ``ConnState``. What may move it
to another is a ``Trigger``; ``TRANSITIONS`` lists every legal move, keyed by
``(state, trigger)`` — any other move is a bug and raises ``RuntimeError``. Each state
also tells the driver which timeout to run (``HTTPConnection.timer``):

=========  ================================================  ======================
state      meaning                                           timer (``conn.timer``)
=========  ================================================  ======================
IDLE       between requests, nothing of the next one yet     HEADER on a new
                                                             connection, else
                                                             KEEP_ALIVE
HEAD       part of a request head has arrived                HEADER
BODY       a request is with the app; its response not done  none (the driver runs
                                                             BODY while the app waits
                                                             for body bytes, WRITE
                                                             while the client does not
                                                             read)
DRAIN      response done; discarding the unread request body HEADER
CLOSING    we will send nothing more: flush, then close      none
CLOSED     the peer closed its side, nothing left to do      none
=========  ================================================  ======================
"""

from __future__ import annotations

import enum


class ConnState(enum.Enum):
    """Where a connection is in its request/response cycle (see the module docstring)."""

    __hash__ = object.__hash__  # identity: the table lookups are on the hot path

    IDLE = "idle"
    HEAD = "head"
    BODY = "body"
    DRAIN = "drain"
    CLOSING = "closing"
    CLOSED = "closed"


class Trigger(enum.Enum):
    """What moves a connection from one ``ConnState`` to another."""

    __hash__ = object.__hash__

    DATA = "bytes of a request head arrived"
    REQUEST = "a complete request head was parsed"
    KEEP_ALIVE = "the response is done and the connection is reusable"
    UNREAD_BODY = "the response is done, a small request body is still unread"
    DRAINED = "the unread request body was discarded"
    CLOSE = "we decided to close (error, timeout, limit, Connection: close, shutdown)"
    EOF = "the peer closed its side"


class TimerKind(enum.Enum):
    """Which timeout a driver should run.

    ``HEADER`` and ``KEEP_ALIVE`` follow from the state (``HTTPConnection.timer``); the
    two others from what the driver waits on while a request is in ``BODY``: ``BODY``
    while the app waits for request-body bytes, ``WRITE`` while a response waits for the
    client to read. Both measure time *without progress*: every byte that arrives (or
    that the client reads) starts them again.
    """

    HEADER = "header"
    KEEP_ALIVE = "keep_alive"
    BODY = "body"
    WRITE = "write"


IDLE, HEAD, BODY, DRAIN, CLOSING, CLOSED = ConnState

TRANSITIONS: dict[tuple[ConnState, Trigger], ConnState] = {
    (IDLE, Trigger.DATA): HEAD,
    (IDLE, Trigger.CLOSE): CLOSING,
    (IDLE, Trigger.EOF): CLOSED,
    (HEAD, Trigger.REQUEST): BODY,
    (HEAD, Trigger.CLOSE): CLOSING,
    (HEAD, Trigger.EOF): CLOSED,
    (BODY, Trigger.KEEP_ALIVE): IDLE,
    (BODY, Trigger.UNREAD_BODY): DRAIN,
    (BODY, Trigger.CLOSE): CLOSING,
    (DRAIN, Trigger.DRAINED): IDLE,
    (DRAIN, Trigger.CLOSE): CLOSING,
    (DRAIN, Trigger.EOF): CLOSED,
    (CLOSING, Trigger.CLOSE): CLOSING,
    (CLOSING, Trigger.EOF): CLOSED,
    (CLOSED, Trigger.CLOSE): CLOSED,
    (CLOSED, Trigger.EOF): CLOSED,
}

# The transitions every keep-alive request takes, resolved from the table once.
_IDLE_DATA = TRANSITIONS[IDLE, Trigger.DATA]
_HEAD_REQUEST = TRANSITIONS[HEAD, Trigger.REQUEST]
_BODY_KEEP_ALIVE = TRANSITIONS[BODY, Trigger.KEEP_ALIVE]
