"""digest: a static-site generator for an AI-policy briefing digest."""

__version__ = "0.1.0"
