"""Metadata providers that turn an external id into a title, year, overview and poster."""
