# One error style (issue 13 item 15): every message starts "smimekit: ", a bad
# option shows the usage of its subcommand, trouble is exit 2.

$ smimekit
smimekit: no subcommand given; the subcommands are status, verify, query, changes, sign, encrypt, decrypt, trust, jmap, serve
Usage: smimekit <subcommand> [<options>]
  See 'smimekit --help' for the subcommands.
[exit 2]

$ smimekit verfy examples/signed.eml
smimekit: no subcommand 'verfy'; did you mean 'verify'?
Usage: smimekit <subcommand> [<options>]
  See 'smimekit --help' for the subcommands.
[exit 2]

$ smimekit verify --bogus examples/signed.eml
smimekit: Unknown option '--bogus'. Did you mean '--jobs'?
Usage: smimekit verify [<options>] [<path> ...]
  See 'smimekit verify --help' for more information.
[exit 2]

$ smimekit query --limit -1 examples
smimekit: --limit must be >= 0, not -1
Usage: smimekit query [<options>] [<path> ...]
  See 'smimekit query --help' for more information.
[exit 2]

$ smimekit status --format xml examples/signed.eml
smimekit: The value 'xml' is invalid for '--format <format>'. Please provide one of 'text', 'ndjson' or 'json'.
Help:  --format <format>  text (a line a message, for people; default on a terminal), ndjson (a JSON object a line; default in a pipe) or json (a JMAP response).
Usage: smimekit status [<options>] [<path> ...]
  See 'smimekit status --help' for more information.
[exit 2]

$ smimekit verify --at 2027-01-01T00:00:00Z --store /proc/self/nonexistent/results.sqlite examples/signed.eml
smimekit: --store /proc/self/nonexistent/results.sqlite: result cache error: cannot create the cache directory /proc/self/nonexistent: No such file or directory
[exit 2]

$ smimekit verify --no-cache < /dev/null
smimekit: no message to verify: the operands and the list of paths on standard input held none
[exit 2]
