# smimekit changes: Email/changes over a maildir-like directory made here, with
# a result cache of its own. States name the cache and the set of paths, so
# they are passed along rather than printed.

$ rm -rf .build/transcripts/changes && mkdir -p .build/transcripts/changes/mail && cp examples/signed.eml examples/unsigned.eml .build/transcripts/changes/mail/

$ T=.build/transcripts/changes; s=$(smimekit changes --store $T/results.sqlite --no-system-trust --trust examples/ca/ca.pem $T/mail) && cp examples/tampered.eml $T/mail/ && rm $T/mail/unsigned.eml && smimekit changes --store $T/results.sqlite --no-system-trust --trust examples/ca/ca.pem --since "$s" $T/mail | sed -E 's/"(old|new)State":"[^"]*"/"\1State":"..."/g'
{"methodResponses":[["Email/changes",{"accountId":"local","oldState":"...","newState":"...","hasMoreChanges":false,"created":["M797fd425cc9af36892381fd2"],"updated":[],"destroyed":["Mb5e54d8c43ecc2f8cc0341ca"]},"0"]],"sessionState":"0"}

$ T=.build/transcripts/changes; s=$(smimekit changes --store $T/results.sqlite --no-system-trust --trust examples/ca/ca.pem $T/mail) && smimekit changes --store $T/results.sqlite --no-system-trust --trust examples/ca/ca.pem --since "$s" $T/mail | sed -E 's/"(old|new)State":"[^"]*"/"\1State":"..."/g'
{"methodResponses":[["Email/changes",{"accountId":"local","oldState":"...","newState":"...","hasMoreChanges":false,"created":[],"updated":[],"destroyed":[]},"0"]],"sessionState":"0"}

$ smimekit changes --store .build/transcripts/changes/results.sqlite --since 99 .build/transcripts/changes/mail
smimekit: cannotCalculateChanges: cannot calculate changes since state "99" (it is not a state of this cache); fetch all messages again
{"methodResponses":[["error",{"type":"cannotCalculateChanges","description":"cannotCalculateChanges: cannot calculate changes since state \"99\" (it is not a state of this cache); fetch all messages again"},"0"]],"sessionState":"0"}
[exit 2]

$ smimekit changes --no-cache examples
smimekit: changes keeps its state in the result cache; it cannot run with --no-cache
Usage: smimekit changes [<options>] [<path> ...]
  See 'smimekit changes --help' for more information.
[exit 2]
