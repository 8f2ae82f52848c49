"""A site's store records whole feature windows only, whatever instant it is read at."""
import numpy as np

from simdt.rng import Streams
from simdt.scenario import PROJECT_ROOT
from simdt.store import SiteStore
from simdt.twins import load_twin, make_site_asset


def store():
    twin = load_twin("centrifugal_pump", PROJECT_ROOT / "twins")
    return SiteStore(make_site_asset(twin, "s0", 0.1, Streams(3).numpy("asset")), t_offset=0.0,
                     retention_s=86400.0), twin.window_s


def test_reads_between_window_boundaries_see_only_finished_windows():
    a, w = store()
    X1, _ = a.dataset(10.5 * w)  # mid-window: ten finished windows
    assert len(X1) == 10
    X2, _ = a.dataset(12 * w)
    b, _ = store()
    X_once, y_once = b.dataset(12 * w)  # catching up in one go records the same windows
    assert len(X2) == 12 and np.array_equal(X2, X_once)
