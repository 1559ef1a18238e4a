"""The system layer: the engine that runs ops on shared resources, one side of a run,
parallel splits, sub-batches, re-pricing and the system-level validation studies."""
