"""The books through GraphQL: the chart, entries, reports and the close (domain.finance)."""
