"""The books: chart of accounts, journals, postings from every business event, reports.

Importing the package registers the posting rules (domain.finance.posting_rules,
purchase_postings for supplier bills and payments, credit_postings for credit notes,
returns and refunds, production_postings for work orders) with the journal, so every
process that loads the data model posts what its operations cause.
"""

from domain.finance import credit_postings as credit_postings
from domain.finance import posting_rules as posting_rules
from domain.finance import production_postings as production_postings
from domain.finance import purchase_postings as purchase_postings
