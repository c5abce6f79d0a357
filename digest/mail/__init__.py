"""`digest email`: a weekly edition as an email (plain text and HTML with inlined CSS), written
to files or delivered over SMTP."""
