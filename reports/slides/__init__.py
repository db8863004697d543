"""The training deck on the Plan SEA and the data chain, generated from the current data."""
