"""Analysis on small in-memory matrices (regions x domains): numpy and scipy.

Convention: an activity matrix is a ``pandas.DataFrame`` indexed by region code with one
column per domain, non-negative values (participations or EUR, full or fractional counts).
Every function keeps the caller's labels in what it returns.
"""
