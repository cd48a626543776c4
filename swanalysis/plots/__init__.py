"""Drawing lives apart from computing: functions here take result DataFrames and return Axes."""
