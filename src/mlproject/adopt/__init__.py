"""Adopting the template: bring your own data (init-data) and make the project yours (rename)."""
