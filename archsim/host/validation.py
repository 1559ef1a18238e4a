"""Host NPU validation: systolic compute cycles against SCALE-Sim."""

from __future__ import annotations

from archsim.host.systolic import gemm_cycles
from archsim.study import Study

# Reported total cycles of SCALE-Sim v2 (scalesim-project/scale-sim-v2 @22f88b1, run here with
# SRAM large enough that nothing stalls; v3.0.0 from PyPI reports the same), GEMM topology rows
# "M, N, K": C[M, N] = A[M, K] B[K, N].
SCALESIM_CITATION = (
    "SCALE-Sim v2 (scalesim-project/scale-sim-v2 @22f88b1), total cycles with SRAM large enough"
    " that nothing stalls; v3.0.0 from PyPI reports the same"
)
SCALESIM = [
    # (rows, cols, M, N, K, WS, OS)
    (8, 8, 64, 64, 64, 5503, 4991),
    (8, 8, 100, 37, 50, 4269, 4159),
    (8, 8, 512, 512, 512, 2187263, 2154495),
    (8, 8, 1, 4096, 4096, 6029311, 2104319),
    (8, 8, 128, 1024, 256, 614399, 552959),
    (8, 8, 33, 17, 9, 329, 344),
    (32, 32, 64, 64, 64, 631, 503),
    (32, 32, 100, 37, 50, 775, 895),
    (32, 32, 512, 512, 512, 155135, 146943),
    (32, 32, 1, 4096, 4096, 1556479, 532223),
    (32, 32, 128, 1024, 256, 56831, 40703),
    (32, 32, 33, 17, 9, 126, 141),
    (128, 128, 64, 64, 64, 445, 317),
    (128, 128, 100, 37, 50, 481, 303),
    (128, 128, 512, 512, 512, 14303, 12255),
    (128, 128, 1, 4096, 4096, 392191, 139199),
    (128, 128, 128, 1024, 256, 8159, 4079),
    (128, 128, 33, 17, 9, 414, 262),
    (16, 64, 64, 64, 64, 631, 567),
    (16, 64, 100, 37, 50, 775, 895),
    (16, 64, 512, 512, 512, 155135, 151039),
    (16, 64, 1, 4096, 4096, 1556479, 267135),
    (16, 64, 128, 1024, 256, 56831, 42751),
    (16, 64, 33, 17, 9, 126, 260),
]


def host_studies() -> list[Study]:
    """One study per (array, GEMM, dataflow): our closed form vs SCALE-Sim's count."""
    out = []
    for rows, cols, m, n, k, ws, os in SCALESIM:
        for dataflow, reference in (("ws", ws), ("os", os)):
            out.append(
                Study(
                    f"{rows}x{cols} {dataflow.upper()}",
                    f"GEMM {m}x{n}x{k} compute cycles vs SCALE-Sim",
                    "cycles",
                    float(gemm_cycles(m, n, k, rows, cols, dataflow)),
                    float(reference),
                    0.0,
                    kind="external",
                    citation=SCALESIM_CITATION,
                )
            )
    return out
