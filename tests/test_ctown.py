"""The C-Town physics twin on BATADAL's CTOWN.INP in ../shared (skipped where it is absent): short simulations."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simdt.datasets import ctown
from simdt.datasets.batadal import read_csv

BATADAL = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "batadal"
INP = BATADAL / "CTOWN.INP"
pytestmark = pytest.mark.skipif(not INP.is_file(), reason=f"no {INP}")
HOURS = 96  # the kind tests: one episode in a 4-day record, started where the attack has something to change


@pytest.fixture(scope="module")
def base():
    return ctown.simulate(INP, HOURS, []).frame


def _attacked(kind, target, value=None, conceal=False, start=24, hours=24):
    return ctown.simulate(INP, HOURS, [ctown.Episode(start, hours, kind, target, value, conceal)]).frame


def _first(condition) -> int:
    """The first hour from 24 on where ``condition`` (a boolean Series over the record) holds."""
    return 24 + int(np.flatnonzero(condition.to_numpy()[24:HOURS - 24])[0])


def test_the_43_batadal_signals_in_plausible_ranges():
    """A week of normal operation against BATADAL's attack-free year (dataset03): every signal stays within that
    year's range widened by 25 % of its span on each side, every weekly mean within 15 % of the span of the
    year's mean, and the signals constant there (never-used pumps PU3, PU5, PU9; PU1 always on) equal it."""
    twin = ctown.simulate(INP, 168, []).frame
    ref = read_csv(BATADAL / "BATADAL_dataset03.csv")
    assert list(twin.columns) == list(ref.columns) == [*ctown.COLUMNS, "ATT_FLAG"]
    assert len(twin) == 168 and (np.diff(twin.index) == pd.Timedelta("1h")).all() and not twin["ATT_FLAG"].any()
    ref = ref.drop(columns="ATT_FLAG")
    twin = twin[ref.columns]
    span = ref.max() - ref.min()
    varying = span > 0
    assert (twin.min()[varying] >= (ref.min() - 0.25 * span)[varying]).all()
    assert (twin.max()[varying] <= (ref.max() + 0.25 * span)[varying]).all()
    assert ((twin.mean() - ref.mean()).abs()[varying] <= 0.15 * span[varying]).all()
    assert (twin.loc[:, ~varying] == ref.iloc[0][~varying]).all().all()


def test_labels_are_the_episode_hours_and_nothing_moves_before(base):
    attacked = _attacked("pump", "PU3")
    assert (attacked["ATT_FLAG"].to_numpy() == np.r_[np.zeros(24), np.ones(24), np.zeros(HOURS - 48)]).all()
    pd.testing.assert_frame_equal(attacked.iloc[:24], base.iloc[:24])


def test_a_forced_pump_moves_its_flow_state_and_the_pressures_it_feeds(base):
    start = _first(base["S_PU10"] == 1)
    window = slice(start, start + 12)
    off = _attacked("pump", "PU10", start=start, hours=12)[window]   # toggled: PU10 was running
    assert (off["S_PU10"] == 0).all() and (off["F_PU10"] == 0).all()
    alone = (base["S_PU10"][window] == 1) & (off["S_PU11"] == 0)     # hours the backup PU11 has not taken over
    assert alone.iloc[0] and (base["P_J317"][window] - off["P_J317"])[alone].mean() > 5  # PU10's discharge head
    on = _attacked("pump", "PU3")[24:48]                                  # an idle backup pump is started
    assert (base["S_PU3"] == 0).all() and (on["S_PU3"] == 1).all() and (on["F_PU3"] > 10).all()
    assert (on["L_T1"] - base["L_T1"][24:48]).iloc[-1] > 0.3             # and fills the tank of its station


def test_valve_and_speed_manipulation(base):
    start = _first((base["S_V2"] == 0) & (base["L_T2"] < 5))   # V2 forced open while closed, T2 with room
    frame = ctown.simulate(INP, HOURS, [ctown.Episode(start, 4, "valve", "V2")]).frame.iloc[start:start + 4]
    assert (frame["S_V2"] == 1).all() and frame["F_V2"].iloc[0] > 10 and base["F_V2"].iloc[start] == 0
    assert abs(frame["P_J14"].iloc[0] - base["P_J14"].iloc[start]) > 1
    slow = _attacked("speed", "PU1", 0.8)[24:48]
    assert (slow["F_PU1"] < base["F_PU1"][24:48] - 5).all()


def test_control_logic_attacks_act_through_the_plcs(base):
    low = _attacked("thresholds", "T7", -1.0)[27:48]            # PLC5 stops PU10 at 3.8 m instead of 4.8 m
    assert low["L_T7"].max() < base["L_T7"][27:48].max() - 0.4
    start = _first(base["S_PU2"] == 0)
    window = slice(start, start + 24)
    full = _attacked("plc_spoof", "T1", 0.5, start=start)[window]   # PLC1 is told T1 is nearly empty
    assert (full["S_PU2"] == 1).all() and full["L_T1"].iloc[-1] > base["L_T1"][window].iloc[-1] + 0.5
    with pytest.raises(ctown.NonPhysical, match="negative pressures"):   # told T7 is full: it drains dry
        ctown.simulate(INP, HOURS, [ctown.Episode(24, 48, "plc_spoof", "T7", 4.95)])


def test_sensor_attacks_change_readings_not_physics(base):
    moved = lambda frame: set(frame.columns[(frame != base).any()])  # noqa: E731
    spoofed = _attacked("scada_spoof", "T5", 1.0)
    assert moved(spoofed) == {"L_T5", "ATT_FLAG"}
    expected = np.minimum(base["L_T5"][24:48] + 1.0, 4.5)  # T5's maximum level is 4.5 m
    np.testing.assert_allclose(spoofed["L_T5"][24:48], expected)
    group = ["L_T4", "F_PU6", "S_PU6", "F_PU7", "S_PU7", "P_J289", "P_J415"]
    replayed = _attacked("replay", "T4", start=30, hours=30)     # the 24 h before, looped
    loop = base[group].iloc[np.r_[6:30, 6:12]].to_numpy()
    np.testing.assert_array_equal(replayed[group][30:60].to_numpy(), loop)
    assert {"L_T4", "ATT_FLAG"} <= moved(replayed) <= {*group, "ATT_FLAG"}


def test_concealment_replays_the_attacked_station(base):
    start = _first(base["S_PU10"] == 1)
    attacked = _attacked("pump", "PU10", conceal=True, start=start, hours=12)
    group = ["L_T7", "F_PU10", "S_PU10", "F_PU11", "S_PU11", "P_J307", "P_J317"]
    np.testing.assert_array_equal(attacked[group][start:start + 12].to_numpy(),
                                  base[group].iloc[start - 24:start - 12].to_numpy())
    # what the SCADA reads elsewhere still shows the stopped pump
    assert (attacked.drop(columns=[*group, "ATT_FLAG"]) - base.drop(columns=[*group, "ATT_FLAG"])
            )[start:start + 12].abs().max().max() > 1


def test_generate_labels_rejections_seed_and_cache(tmp_path, monkeypatch):
    params = ctown.CtownParams(cache_dir=tmp_path / "a", episode_hours=(12, 30))
    twin = ctown.generate(params, INP, 400, 0.2, seed=3)
    y = twin.frame["ATT_FLAG"].to_numpy()
    covered = np.zeros(len(y))
    for e in twin.episodes.itertuples():
        assert 12 <= e.hours <= 30 and e.kind in ctown.KINDS
        covered[e.start: e.start + e.hours] += 1
    assert (covered == y).all() and 0.2 <= y.mean() < 0.2 + 30 / 400
    again = ctown.generate(params.model_copy(update={"cache_dir": tmp_path / "b"}), INP, 400, 0.2, seed=3)
    pd.testing.assert_frame_equal(twin.frame, again.frame)
    pd.testing.assert_frame_equal(twin.episodes, again.episodes)
    other = ctown.generate(params, INP, 400, 0.2, seed=4)
    assert not np.allclose(other.frame["F_PU1"], twin.frame["F_PU1"])   # demands differ too

    def no_epanet(*args, **kwargs):
        raise AssertionError("EPANET called on a cache hit")

    monkeypatch.setattr("wntr.epanet.toolkit.ENepanet", no_epanet)
    cached = ctown.generate(params, INP, 400, 0.2, seed=3)
    pd.testing.assert_frame_equal(cached.frame, twin.frame)
    assert cached.rejected == twin.rejected
    assert sorted(p.name for p in (tmp_path / "a").iterdir() if p.name.startswith(".")) == []  # no leftovers
    with pytest.raises(AssertionError, match="cache hit"):                 # a new parameter is a new key
        ctown.generate(params.model_copy(update={"conceal": 0.9}), INP, 400, 0.2, seed=3)


def test_non_physical_draws_are_rejected_and_redrawn(tmp_path):
    params = ctown.CtownParams(cache_dir=tmp_path, kinds=["plc_spoof"], episode_hours=(40, 60), conceal=0)
    twin = ctown.generate(params, INP, 600, 0.25, seed=0)
    assert twin.rejected >= 1
    kept = [ctown.Episode(**{k: v for k, v in e._asdict().items() if k != "Index"}) for e in twin.episodes.itertuples()]
    replay = ctown.simulate(INP, 600, kept, params)  # what was kept is physical: simulating it again raises nothing
    assert (replay.frame["ATT_FLAG"] == twin.frame["ATT_FLAG"]).all()


def test_bad_inp_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no INP file .*nope.inp"):
        ctown.generate(ctown.CtownParams(cache_dir=tmp_path), tmp_path / "nope.inp", 48, 0.1, 0)
    bad = tmp_path / "bad.inp"
    bad.write_text("[JUNCTIONS]\n J1 x y\n")
    with pytest.raises(ValueError, match="bad.inp: not a readable EPANET INP file"):
        ctown.simulate(bad, 48, [])
    with pytest.raises(ValueError, match="episodes overlap"):
        ctown.simulate(INP, 72, [ctown.Episode(24, 10, "replay", "T1"), ctown.Episode(30, 5, "replay", "T2")])
