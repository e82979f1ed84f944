"""Rendering apart from the use cases: Rich tables for people, offline HTML maps."""
