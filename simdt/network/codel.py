"""CoDel, the active queue manager inside FQ-CoDel (RFC 8289, RFC 8290), driven by sampled sojourn times.

FQ-CoDel gives every flow its own queue and its own CoDel instance, served round-robin, so each flow sees
the max-min fair rate and is dropped from only for its own standing queue. The flow model samples that
queue's sojourn time once per round; CoDel's state machine then says how many packets it dropped since
the last sample: none until the sojourn has stayed above ``target`` for ``interval``, then one, then one
every interval/sqrt(count) while it stays above.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

CODEL_TARGET_S = 0.005   # RFC 8289 4.4 / Linux fq_codel default
CODEL_INTERVAL_S = 0.1   # RFC 8289 4.3 / Linux fq_codel default
FQ_CODEL_LIMIT_PACKETS = 10240  # Linux fq_codel and ns-3 FqCoDelQueueDisc default


@dataclass
class CoDel:
    target_s: float = CODEL_TARGET_S
    interval_s: float = CODEL_INTERVAL_S
    first_above: float | None = None  # when the sojourn will have been above target for an interval
    dropping: bool = False
    count: int = 0
    last_count: int = 0
    drop_next: float = 0.0

    def drops(self, t0: float, t1: float, sojourn_s: float, backlog_packets: float) -> int:
        """Packets dropped in (t0, t1] given the sojourn time and standing queue seen over it (sampled at t1).

        Each drop takes a packet out of that queue, and CoDel never drops its last MTU (RFC 8289 5.3), so it
        drops at most all but one of them; once that is done the queue is short and CoDel stops dropping.
        """
        room = math.ceil(backlog_packets) - 1
        if sojourn_s < self.target_s or room < 1:
            self.first_above, self.dropping = None, False
            return 0
        if self.first_above is None:  # above target since t0: it has been so for an interval at t0 + interval
            self.first_above = t0 + self.interval_s
        n = 0
        if not self.dropping:
            if t1 < self.first_above:
                return 0
            # enter the dropping state; resume near the old drop rate if it was dropping recently
            now = max(self.first_above, t0)
            delta = self.count - self.last_count
            self.count = delta if delta > 1 and now - self.drop_next < 16 * self.interval_s else 1
            self.last_count = self.count
            self.dropping, self.drop_next, n = True, now + self.interval_s / math.sqrt(self.count), 1
        while self.drop_next <= t1 and n < room:
            n += 1
            self.count += 1
            self.drop_next += self.interval_s / math.sqrt(self.count)
        if n >= room:  # the queue is down to one packet: below target from here on
            self.first_above, self.dropping = None, False
        return n

    def drop_odds(self, sojourn_s: float, backlog_packets: float, packet_s: float) -> float:
        """Chance that a packet joining the queue now is dropped: CoDel's drop rate per packet served, while it
        keeps dropping (the queue stays above target and longer than one packet)."""
        if not self.dropping or sojourn_s < self.target_s or backlog_packets <= 1:
            return 0.0
        return min(packet_s * math.sqrt(self.count) / self.interval_s, 1.0)
