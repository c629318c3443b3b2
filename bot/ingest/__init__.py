"""Bringing articles in: `python -m bot add` sources (files, folders, URLs) fetched safely
(fetch), turned from HTML or Markdown into the plain article form (formats) and written
into the articles folder, or removed from it (sources).

Public API: `add`, `remove` (sources); `fetch`, `FetchOptions` (fetch).
"""
