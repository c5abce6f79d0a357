"""`digest serve`: the HTTP server, the watcher that rebuilds with the very same build, and the
live-reload script pages get while served."""
