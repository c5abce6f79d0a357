"""Files to the content model: the site's configuration, the taxonomy, front matter and
Markdown of each brief, and loading every brief (with what a load keeps between builds)."""
