"""Physical address to (channel, rank, bank group, bank, row, column), vectorized.

The lowest ``log2(line_bytes)`` bits address bytes within one burst; the line index is then cut
into the mapping's fields from LSB to MSB as a mixed-radix number (each field takes the index
modulo its size, and the quotient moves on). With power-of-two sizes that is plain bit slicing;
it also serves channel counts that are not powers of two (five HBM3 stacks), as interleaving by
modulo does in real controllers. ``channel`` counts bus channels (stacks x channels x
pseudo-channels); ``column`` counts bursts within a row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from archsim.config.dram import DramConfig


@dataclass(frozen=True)
class AddressMapping:
    fields: tuple[str, ...]  # MSB to LSB
    sizes: dict[str, int]  # values per field
    line_bytes: int
    burst_length: int

    @classmethod
    def for_config(cls, cfg: DramConfig) -> AddressMapping:
        org = cfg.organization
        sizes = {
            "channel": org.bus_channels,
            "rank": org.ranks,
            "bankgroup": org.bank_groups,
            "bank": org.banks_per_group,
            "row": org.rows,
            "column": org.columns // org.burst_length,
        }
        return cls(cfg.controller.mapping_fields, sizes, org.line_bytes, org.burst_length)

    @property
    def capacity_bytes(self) -> int:
        lines = 1
        for size in self.sizes.values():
            lines *= size
        return lines * self.line_bytes

    def decode(self, addresses: np.ndarray) -> dict[str, np.ndarray]:
        """Split byte addresses (< capacity) into int64 field arrays; column is the burst index."""
        rest = addresses.astype(np.uint64, copy=False) // np.uint64(self.line_bytes)
        out = {}
        for name in reversed(self.fields):
            size = np.uint64(self.sizes[name])
            if self.sizes[name] & (self.sizes[name] - 1) == 0:  # power of two: shift and mask
                bits = np.uint64(self.sizes[name].bit_length() - 1)
                out[name] = (rest & (size - np.uint64(1))).astype(np.int64)
                rest = rest >> bits
            else:
                out[name] = (rest % size).astype(np.int64)
                rest = rest // size
        return out

    def encode(self, **coords: np.ndarray | int) -> np.ndarray:
        """Inverse of :meth:`decode`: field values (missing ones are 0) to byte addresses."""
        shape = np.broadcast(*coords.values()).shape if coords else ()
        line = np.zeros(shape, dtype=np.uint64)
        scale = np.uint64(1)
        for name in reversed(self.fields):
            size = self.sizes[name]
            value = np.asarray(coords.get(name, 0), dtype=np.uint64) % np.uint64(size)
            line = line + value * scale
            scale = scale * np.uint64(size)
        return line * np.uint64(self.line_bytes)
