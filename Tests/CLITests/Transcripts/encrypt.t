# smimekit encrypt and decrypt: the round trip of a message to Alice (made
# here from unsigned.eml), and what is refused.

$ smimekit encrypt --recipient-cert examples/alice.pem examples/unsigned.eml
smimekit: examples/unsigned.eml: nothing was encrypted: bob@example.net (To): no certificate for this address (add one to --recipients or give --recipient-cert); nothing written
[exit 2]

$ sed 's/^To: .*/To: Alice Example <alice@example.org>/' examples/unsigned.eml | smimekit encrypt --recipient-cert examples/alice.pem | smimekit status --format text -
unknown                   -

$ sed 's/^To: .*/To: Alice Example <alice@example.org>/' examples/unsigned.eml | smimekit encrypt --recipient-cert examples/alice.pem | smimekit decrypt --key examples/alice.p12 --passin pass:example | grep -E '^(From|To|Subject):|Tuesday' | tr -d '\r'
From: Alice Example <alice@example.org>
To: Alice Example <alice@example.org>
Subject: Meeting on Tuesday (unsigned)
the meeting is on Tuesday at 10:00 in room 4.

$ sed 's/^To: .*/To: Alice Example <alice@example.org>/' examples/unsigned.eml | smimekit encrypt --sign --key examples/alice.p12 --passin pass:example --recipient-cert examples/alice.pem | smimekit verify --no-cache --no-system-trust --trust examples/ca/ca.pem --decrypt-key examples/alice.p12 --passin pass:example --format text -
encrypted+signed/verified -

$ smimekit encrypt examples/unsigned.eml
smimekit: no recipient certificates: give --recipients DIR or --recipient-cert FILE; nothing written
[exit 2]
