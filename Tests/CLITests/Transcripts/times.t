# Times on the command line: RFC 3339 with a zone, or a bare date (00:00Z);
# anything else is refused with exit 2, naming the option and an example.

$ smimekit verify --no-cache --no-system-trust --trust examples/ca/ca.pem --at 2026-11-24Tgarbage examples/signed.eml
smimekit: --at takes an RFC 3339 time with a zone, such as 2026-03-01T12:00:00Z, 2026-03-01T13:00:00+01:00 or 2026-03-01 (midnight UTC), not '2026-11-24Tgarbage'
Usage: smimekit verify [<options>] [<path> ...]
  See 'smimekit verify --help' for more information.
[exit 2]

$ smimekit verify --no-cache --no-system-trust --trust examples/ca/ca.pem --at 2026-11-24T12:00:00 examples/signed.eml
smimekit: --at takes an RFC 3339 time with a zone, such as 2026-03-01T12:00:00Z, 2026-03-01T13:00:00+01:00 or 2026-03-01 (midnight UTC); '2026-11-24T12:00:00' has no zone: add Z for UTC or an offset such as +01:00
Usage: smimekit verify [<options>] [<path> ...]
  See 'smimekit verify --help' for more information.
[exit 2]

$ smimekit verify --no-cache --no-system-trust --trust examples/ca/ca.pem --received-at 2026-11-24T12:00 examples/signed.eml
smimekit: --received-at takes an RFC 3339 time with a zone, such as 2026-03-01T12:00:00Z, 2026-03-01T13:00:00+01:00 or 2026-03-01 (midnight UTC), not '2026-11-24T12:00'
Usage: smimekit verify [<options>] [<path> ...]
  See 'smimekit verify --help' for more information.
[exit 2]

$ smimekit verify --no-cache --no-system-trust --trust examples/ca/ca.pem --at 2027-01-01T01:00:00+01:00 --format ndjson --properties smimeStatus,smimeVerifiedAt examples/signed.eml
{"path":"examples/signed.eml","id":"Mdab131050711a188298cbefa","smimeStatus":"signed/verified","smimeVerifiedAt":"2027-01-01T00:00:00Z"}

$ smimekit verify --no-cache --no-system-trust --trust examples/ca/ca.pem --at 2027-01-01 --format ndjson --properties smimeVerifiedAt examples/signed.eml
{"path":"examples/signed.eml","id":"Mdab131050711a188298cbefa","smimeVerifiedAt":"2027-01-01T00:00:00Z"}

$ smimekit verify --no-cache --no-system-trust --trust examples/ca/ca.pem --at 2027-01-01T00:00:00.75Z --format ndjson --properties smimeVerifiedAt examples/signed.eml
{"path":"examples/signed.eml","id":"Mdab131050711a188298cbefa","smimeVerifiedAt":"2027-01-01T00:00:00Z"}

$ smimekit query --before 2026-11-24Tgarbage examples/signed.eml
smimekit: invalidArguments: --before takes an RFC 3339 time with a zone, such as 2026-03-01T12:00:00Z, 2026-03-01T13:00:00+01:00 or 2026-03-01 (midnight UTC), not '2026-11-24Tgarbage'
[exit 2]

$ smimekit query --after 2026-11-24T12:00:00 examples/signed.eml
smimekit: invalidArguments: --after takes an RFC 3339 time with a zone, such as 2026-03-01T12:00:00Z, 2026-03-01T13:00:00+01:00 or 2026-03-01 (midnight UTC); '2026-11-24T12:00:00' has no zone: add Z for UTC or an offset such as +01:00
[exit 2]

$ smimekit query --after 2026-11-23T23:00:00Z --before 2026-11-24 examples/signed.eml
examples/signed.eml

$ smimekit query --filter '{"before":"2026-11-24T00:00:00+01:00"}' examples/signed.eml
smimekit: invalidArguments: "before" takes a UTCDate (RFC 8620: RFC 3339 with Z) such as 2026-01-31T00:00:00Z, not "2026-11-24T00:00:00+01:00"
[exit 2]

$ smimekit query --filter '{"after":"2026-11-23"}' examples/signed.eml
smimekit: invalidArguments: "after" takes a UTCDate (RFC 8620: RFC 3339 with Z) such as 2026-01-31T00:00:00Z, not "2026-11-23"
[exit 2]

$ smimekit query --filter '{"after":"2026-11-23T23:00:00Z"}' examples/signed.eml
examples/signed.eml

$ smimekit sign --key examples/alice.p12 --passin pass:example --at 2026-11-24Tnoon examples/unsigned.eml
smimekit: --at takes an RFC 3339 time with a zone, such as 2026-03-01T12:00:00Z, 2026-03-01T13:00:00+01:00 or 2026-03-01 (midnight UTC), not '2026-11-24Tnoon'
Usage: smimekit sign [<options>] [<message>]
  See 'smimekit sign --help' for more information.
[exit 2]
