"""The report schema and templates, shipped as package data (runs write next to them)."""
