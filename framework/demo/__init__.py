"""Generated system-table-shaped Bronze data for the local demo and the tests. Outside the
engine: nothing on the run path imports it."""
