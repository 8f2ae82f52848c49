"""TCP quantities shared by the flow model and its closed-form oracle (bytes, bit/s, seconds)."""
from __future__ import annotations

import math
from typing import NamedTuple

CUBIC_BETA = 0.7  # RFC 8312: multiplicative decrease
CUBIC_C = 0.4     # RFC 8312: growth constant, segments / s^3
DUP_THRESH = 3    # RFC 5681: duplicate ACKs (SACKed segments, RFC 6675) that start fast retransmit


class Tls(NamedTuple):
    rtts: int           # handshake round trips before application data flows
    handshake_bytes: int
    record_bytes: int   # framing per record of up to 16 KiB: header + AEAD tag (+ content type in 1.3)


TLS_RECORD = 16384
# TLS 1.3 full handshake: 1 RTT (RFC 8446 section 2); TLS 1.2: 2 RTTs (RFC 5246 section 7.3). About 5 kB on the
# wire: hellos and key shares ~0.5 kB plus a 2-4 kB server certificate chain (a typical web PKI chain, see
# Cloudflare, "Sizing Up Post-Quantum Signatures", 2021). Records: 5 B header + 16 B GCM tag (+ 8 B explicit nonce
# in 1.2, + 1 B inner content type in 1.3).
TLS = {"none": Tls(0, 0, 0), "tls12": Tls(2, 5000, 29), "tls13": Tls(1, 5000, 22)}


def data_wire_bytes(payload_bytes: int, mss: int, header_bytes: int, tls: str = "none") -> int:
    """Payload plus TLS record framing plus one header per segment (no handshake, no retransmissions)."""
    stream = payload_bytes + math.ceil(payload_bytes / TLS_RECORD) * TLS[tls].record_bytes
    return stream + math.ceil(stream / mss) * header_bytes


def handshake_bytes(header_bytes: int, handshake: bool, tls: str = "none", mss: int = 1448) -> int:
    """SYN, SYN-ACK and ACK carry headers only; a TLS handshake adds its messages in full segments."""
    extra = TLS[tls].handshake_bytes
    return (3 * header_bytes if handshake else 0) + extra + math.ceil(extra / mss) * header_bytes


def setup_rtts(handshake: bool, tls: str = "none") -> int:
    """Round trips before the first data segment: TCP's, then TLS's (its few kB fit the initial window)."""
    return int(handshake) + TLS[tls].rtts


HYSTART_LOW_WINDOW = 16     # segments; below it slow start runs unchecked (Linux and ns-3 TcpCubic)
HYSTART_ACK_DELTA_S = 0.002  # ACKs closer than this form a train
DELAYED_ACK_SEGMENTS = 2    # RFC 1122 / RFC 5681: an ACK for every second full segment


def hystart_train_exit(cwnd: float, pipe: float, rate_bps: float, segment_bytes: int) -> bool:
    """HyStart's ACK-train test (Ha & Rhee 2011; Cubic in Linux and ns-3): leave slow start, before any loss,
    once a window's ACKs come back as one closely spaced train that lasts a whole round-trip time, i.e. the
    window fills the pipe. A flow held to a slow share of its bottleneck sees sparse ACKs and never trips it.
    """
    spacing = DELAYED_ACK_SEGMENTS * segment_bytes * 8 / rate_bps if rate_bps > 0 else math.inf
    return cwnd >= HYSTART_LOW_WINDOW and spacing <= HYSTART_ACK_DELTA_S and cwnd > pipe


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
                        init_cwnd: int = 10, header_bytes: int = 40, handshake: bool = True,
                        tls: str = "none") -> float:
    """Completion time of one flow alone on an always-up lossless path of bottleneck ``bw_bps``.

    Handshakes (one RTT for TCP, one or two more for TLS), then slow-start rounds: each round bursts cwnd
    segments at line rate and waits for the ACKs (one RTT per round), doubling cwnd, until either the rest
    fits in the window or a window takes at least an RTT to send (the pipe is full); the rest then goes at
    line rate, and the last byte arrives one one-way delay (RTT/2) after it was sent.
    """
    t = setup_rtts(handshake, tls) * rtt_s
    remaining = float(data_wire_bytes(payload_bytes, mss, header_bytes, tls))
    window = init_cwnd * (mss + header_bytes)
    while remaining > window and window * 8 / bw_bps < rtt_s:
        t += rtt_s
        remaining -= window
        window *= 2
    return t + remaining * 8 / bw_bps + rtt_s / 2
