"""Moving in: a company's Bitrix24 or amoCRM export (companies, contacts, deals), read as those systems write it,
checked with a preview, then imported in chunks by a worker, again and again without duplicates.

files.py reads a file a row at a time (CSV in either encoding and delimiter, XLSX, Bitrix24's HTML "Excel"), and
refuses what is not a table; formats.py knows each system's columns; services.py turns rows into accounts,
contacts, orders, journey stages and timeline notes, keyed by the source's ids (SourceKey).
"""
