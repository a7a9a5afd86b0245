"""Release cards computed from the data and the run log, never typed by hand."""
