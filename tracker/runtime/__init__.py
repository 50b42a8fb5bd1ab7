"""Running the engine over time: the threaded loop, statistics, accumulators, the baseline."""
