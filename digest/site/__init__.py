"""The content model arranged as a site: tags, weeks, archive, related briefs, every page's URL
(planning the pages) and the links between them."""
