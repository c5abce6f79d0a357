"""`digest import` and `digest init`: source documents (files, pages, feeds) turned into draft
briefs, and a new site scaffolded."""
