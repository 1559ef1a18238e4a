"""Host NPU: systolic arrays, vector unit and on-chip buffer."""
