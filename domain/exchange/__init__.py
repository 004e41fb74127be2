"""Data in and out: importing records from another system, exporting them in the same form."""
