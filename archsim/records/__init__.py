"""The records a run hands upward (the JSON contract): a run's report and its sides, a replay's
report, a TCO estimate. They sit below every layer that fills them in (memory, energy, system);
each knows how to show itself as a rich table, and ``report/`` draws everything else."""
