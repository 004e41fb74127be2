"""The books: chart of accounts, journals, postings from every business event, reports.

Importing the package registers the posting rules (domain.finance.posting_rules) with the
journal, so every process that loads the data model posts what its operations cause.
"""

from domain.finance import posting_rules as posting_rules
