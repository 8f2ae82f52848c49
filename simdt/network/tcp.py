"""TCP quantities shared by the flow model and its closed-form oracle (bytes, bit/s, seconds)."""
from __future__ import annotations

import math

CUBIC_BETA = 0.7  # RFC 8312: multiplicative decrease
CUBIC_C = 0.4     # RFC 8312: growth constant, segments / s^3


def data_wire_bytes(payload_bytes: int, mss: int, header_bytes: int) -> int:
    """Payload plus one header per segment (no handshake, no retransmissions)."""
    return payload_bytes + math.ceil(payload_bytes / mss) * header_bytes


def handshake_bytes(header_bytes: int, handshake: bool) -> int:
    """SYN, SYN-ACK and ACK carry headers only."""
    return 3 * header_bytes if handshake else 0


def cubic_window(cwnd: float, w_max: float, since_loss_s: float, rtt_s: float) -> float:
    """Window for the next round in congestion avoidance (segments), RFC 8312.

    The cubic curve through w_max one RTT ahead, or Reno-friendly AIMD growth (3(1-beta)/(1+beta) segments
    per RTT) when that is faster, as it is on short paths; never more than 1.5x per round (per-ACK growth).
    """
    k = (w_max * (1 - CUBIC_BETA) / CUBIC_C) ** (1 / 3)
    cubic = CUBIC_C * (since_loss_s + rtt_s - k) ** 3 + w_max
    reno = cwnd + 3 * (1 - CUBIC_BETA) / (1 + CUBIC_BETA)
    return min(max(cubic, reno), 1.5 * cwnd)


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
