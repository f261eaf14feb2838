"""Where a run's results go: the Teams Adaptive Card and the Blob report."""
