"""`digest build` and `digest check`: the entry (quick check, lock), the pipeline that runs
load, arrange, plan, fingerprint, render, commit and index, the cache, and the writer that
commits a site all at once."""
