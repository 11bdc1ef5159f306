"""Pure parsing: HTML and feeds, extraction, dates, encodings, text normalisation, near-duplicate
maths, sanitising and picture facts. Imports neither Scrapy, Twisted, the index store nor the archive."""
