"""Loading device and periphery presets (``configs/devices``, ``configs/periphery``)."""

from __future__ import annotations

from archsim.config.presets import load_yaml_model, register_root_model
from archsim.pim.analog.config import DeviceConfig, PeripheryConfig, TileConfig

register_root_model(DeviceConfig)
register_root_model(PeripheryConfig)


def load_device(name: str, overrides: dict | None = None) -> DeviceConfig:
    """A device preset (pcm, rram, rram-milo, ideal) or a YAML path."""
    return load_yaml_model(DeviceConfig, "devices", name, overrides)


def load_periphery(name: str, overrides: dict | None = None) -> PeripheryConfig:
    """A periphery preset (default, ideal) or a YAML path."""
    return load_yaml_model(PeripheryConfig, "periphery", name, overrides)


def tile_config(
    device: str = "pcm",
    periphery: str = "default",
    periphery_overrides: dict | None = None,
    device_overrides: dict | None = None,
    **fields: object,
) -> TileConfig:
    """A TileConfig from preset names plus tile fields (rows, cols, t_inference, ...)."""
    from pydantic import ValidationError

    from archsim.config.presets import format_validation_error
    from archsim.errors import ConfigError

    try:
        return TileConfig(
            device=load_device(device, device_overrides),
            periphery=load_periphery(periphery, periphery_overrides),
            **fields,
        )
    except ValidationError as exc:
        raise ConfigError("invalid tile configuration\n" + format_validation_error(exc)) from None
