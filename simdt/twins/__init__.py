"""Physics twins of industrial assets: sensor streams, faults, feature windows, twin-vs-real gap."""
from .asset import Asset, feature_scaler, make_site_asset, make_twin_asset
from .catalog import ASSET_CLASSES, TwinDef, load_twin
from .gap import mmd, sliced_wasserstein

__all__ = ["ASSET_CLASSES", "Asset", "TwinDef", "feature_scaler", "load_twin", "make_site_asset",
           "make_twin_asset", "mmd", "sliced_wasserstein"]
