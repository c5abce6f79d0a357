"""What every part of digest shares: the model (Brief, Tag, Taxonomy), errors, dates, worker
pools, the folders a site keeps (layout) and the version of the code caches are keyed on.
Imports nothing else of digest."""
