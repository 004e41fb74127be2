"""How long text inputs may be.

The API bounds every String and ID input, literal or variable, to BIZGRAPH_MAX_STRING_CHARS
(api.security.input_limits) before any resolver runs. An input field may carry a maximum of
its own instead: the few that hold prose (notes, descriptions, resolutions) are marked with
`LONG_TEXT` and accept up to `LONG_TEXT_CHARS` (the domain may still set a lower limit of its
own for each); search terms are marked with `SEARCH_TEXT`, since every character of a term
is work for the trigram index (a 30 KB term took seconds).
"""

from typing import Any

# The key of an input field's strawberry metadata holding its own maximum.
MAX_CHARS = "bizgraph.max_chars"
# The longest prose the domain stores (interaction notes, ticket descriptions, resolutions).
LONG_TEXT_CHARS = 10_000
LONG_TEXT: dict[str, Any] = {MAX_CHARS: LONG_TEXT_CHARS}
# A search term: names, codes, numbers and subjects are far shorter than this.
SEARCH_TEXT_CHARS = 200
SEARCH_TEXT: dict[str, Any] = {MAX_CHARS: SEARCH_TEXT_CHARS}
