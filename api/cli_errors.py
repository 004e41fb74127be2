"""The one failure the command line reports as the user's to fix."""


class CliError(Exception):
    """A failure the user can act on: printed as one line, exit status 1."""
