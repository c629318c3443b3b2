"""Text: a scraped article parsed into an `Article` with numbered paragraphs (article), and
words as the bot compares them: tokens, stop words, stems, acronyms (words).

Public API: `Article`, `parse_article`, `load_articles` (article); `words`, `terms`,
`stem`, `STOPWORDS`, `acronyms` (words).
"""
