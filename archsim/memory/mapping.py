"""Physical address to (channel, rank, bank group, bank, row, column): bit slicing, vectorized.

The lowest ``log2(line_bytes)`` bits address bytes within one burst; the remaining bits are cut
into the mapping's fields from LSB to MSB. ``channel`` counts bus channels (channels x
pseudo-channels); ``column`` counts bursts within a row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from archsim.config.dram import DramConfig


@dataclass(frozen=True)
class AddressMapping:
    fields: tuple[str, ...]  # MSB to LSB
    widths: dict[str, int]  # bits per field
    offset_bits: int
    burst_length: int

    @classmethod
    def for_config(cls, cfg: DramConfig) -> AddressMapping:
        org = cfg.organization
        widths = {
            "channel": _log2(org.bus_channels),
            "rank": _log2(org.ranks),
            "bankgroup": _log2(org.bank_groups),
            "bank": _log2(org.banks_per_group),
            "row": _log2(org.rows),
            "column": _log2(org.columns // org.burst_length),
        }
        return cls(cfg.controller.mapping_fields, widths, _log2(org.line_bytes), org.burst_length)

    @property
    def address_bits(self) -> int:
        return self.offset_bits + sum(self.widths.values())

    @property
    def capacity_bytes(self) -> int:
        return 1 << self.address_bits

    def shifts(self) -> dict[str, int]:
        shift, out = self.offset_bits, {}
        for name in reversed(self.fields):
            out[name] = shift
            shift += self.widths[name]
        return out

    def decode(self, addresses: np.ndarray) -> dict[str, np.ndarray]:
        """Split byte addresses (< capacity) into int64 field arrays; column is the burst index."""
        addr = addresses.astype(np.uint64, copy=False)
        out = {}
        for name, shift in self.shifts().items():
            mask = np.uint64((1 << self.widths[name]) - 1)
            out[name] = ((addr >> np.uint64(shift)) & mask).astype(np.int64)
        return out

    def encode(self, **coords: np.ndarray | int) -> np.ndarray:
        """Inverse of :meth:`decode`: field values (missing ones are 0) to byte addresses."""
        addr = np.zeros(np.broadcast(*coords.values()).shape if coords else (), dtype=np.uint64)
        for name, shift in self.shifts().items():
            value = np.asarray(coords.get(name, 0), dtype=np.uint64)
            addr |= (value & np.uint64((1 << self.widths[name]) - 1)) << np.uint64(shift)
        return addr


def _log2(n: int) -> int:
    return int(n).bit_length() - 1
