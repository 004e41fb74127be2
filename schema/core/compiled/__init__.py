"""Compiled reads: a root field's selection answered by one SQL statement building its JSON.

`planner` turns a selection into a plan (`plans`) from the schema's declarations, asking
each field's read guard; `schema.core.sql.compiled_reads` renders the plan as one statement;
`runner` caches plans per shape, binds each request's values and splices the JSON into the
response. The executor (`schema.core.execution`) tries it for every root field of a query
and takes the general path for the others.
"""
