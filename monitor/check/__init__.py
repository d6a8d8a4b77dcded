"""One check of one source, end to end: request, fetch, interpret, diff, enrich, classify, record."""
