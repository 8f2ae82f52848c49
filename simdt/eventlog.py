"""The event log: what happened in a run, as plain rows, turned into tables by ``results``."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class EventLog:
    rounds: list[dict] = field(default_factory=list)
    transfers: list[dict] = field(default_factory=list)
    compute: list[dict] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)
    participation: list[dict] = field(default_factory=list)
    _wire: dict[str, int] = field(default_factory=dict)
    _payload: dict[str, int] = field(default_factory=dict)

    def add_transfer(self, method: str, rec) -> None:
        self._wire[method] = self._wire.get(method, 0) + rec.wire_bytes
        self._payload[method] = self._payload.get(method, 0) + rec.payload_bytes
        self.transfers.append({
            "method": method, "msg_id": rec.msg_id, "round": rec.meta.get("round", -1), "kind": rec.kind,
            "src": rec.src, "dst": rec.dst, "payload_bytes": rec.payload_bytes, "wire_bytes": rec.wire_bytes,
            "retrans_bytes": rec.retrans_bytes, "delivered_bytes": rec.delivered_bytes, "lost_bytes": rec.lost_bytes,
            "t_start_s": rec.t_start, "t_end_s": rec.t_end, "outcome": rec.outcome, "path": "|".join(rec.path),
            "codec": rec.meta.get("codec", "none"),
        })

    def add_compute(self, method: str, rnd: int, node: str, kind: str, flops: float, t0: float, t1: float, samples: int) -> None:
        self.compute.append({"method": method, "round": rnd, "node": node, "kind": kind, "flops": float(flops),
                             "t_start_s": t0, "t_end_s": t1, "samples": int(samples)})

    def add_round(self, method: str, rnd: int, t0: float, t1: float, reachable: int, selected: int, participants: int,
              metrics: dict[str, float]) -> None:
        self.rounds.append({
            "method": method, "round": rnd, "t_start_s": t0, "t_end_s": t1, "reachable": reachable,
            "selected": selected, "participants": participants, "dropped": selected - participants,
            **metrics, "cum_wire_bytes": self._wire.get(method, 0), "cum_payload_bytes": self._payload.get(method, 0),
        })

    def add_participation(self, method: str, rnd: int, client: str, event: str, detail: str, t0: float, t1: float,
                          staleness: float = float("nan"), state_bytes: int = 0) -> None:
        """How one client's part in a round ended (arrived, late, surplus, dropped, gated_out, unfinished), a crash
        (``detail``: cause and what it interrupted; t1 = restart) or a twin-host fallback (client = the twin host)."""
        self.participation.append({"method": method, "round": rnd, "client": client, "event": event, "detail": detail,
                                   "t_start_s": t0, "t_end_s": t1, "staleness": staleness, "state_bytes": state_bytes})

    def add_link_state(self, method: str, t: float, link: str, up: bool) -> None:
        self.links.append({"method": method, "t_s": t, "link": link, "up": up})
