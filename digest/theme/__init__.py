"""The site model rendered: the Jinja environment of the theme, the pages' HTML and feeds,
structured data, and the theme's static assets."""
