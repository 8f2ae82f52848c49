"""Real data sets behind the ``simdt.data.DataSource`` interface (BATADAL, ...), loaded from a user's download."""
