"""TCP quantities shared by the flow model and its closed-form oracle (bytes, bit/s, seconds)."""
from __future__ import annotations

import math

MATHIS_C = 1.22  # sqrt(3/2): Mathis et al. 1997, periodic-loss Reno


def data_wire_bytes(payload_bytes: int, mss: int, header_bytes: int) -> int:
    """Payload plus one header per segment (no handshake, no retransmissions)."""
    return payload_bytes + math.ceil(payload_bytes / mss) * header_bytes


def handshake_bytes(header_bytes: int, handshake: bool) -> int:
    """SYN, SYN-ACK and ACK carry headers only."""
    return 3 * header_bytes if handshake else 0


def loss_window_segments(p: float) -> float:
    """Mean congestion window a random loss rate p sustains (Mathis): 1.22 / sqrt(p) segments."""
    return MATHIS_C / math.sqrt(p) if p > 0 else math.inf


def ideal_transfer_time(payload_bytes: int, bw_bps: float, rtt_s: float, mss: int = 1448,
                        init_cwnd: int = 10, header_bytes: int = 40, handshake: bool = True) -> float:
    """Completion time of one flow alone on an always-up lossless path of bottleneck ``bw_bps``.

    Handshake (one RTT), then slow-start rounds: each round bursts cwnd segments at line rate and waits for
    the ACKs (one RTT per round), doubling cwnd, until either the rest fits in the window or a window takes
    at least an RTT to send (the pipe is full); the rest then goes at line rate, and the last byte arrives
    one one-way delay (RTT/2) after it was sent.
    """
    t = rtt_s if handshake else 0.0
    remaining = float(data_wire_bytes(payload_bytes, mss, header_bytes))
    window = init_cwnd * (mss + header_bytes)
    while remaining > window and window * 8 / bw_bps < rtt_s:
        t += rtt_s
        remaining -= window
        window *= 2
    return t + remaining * 8 / bw_bps + rtt_s / 2
