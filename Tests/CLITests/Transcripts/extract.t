# Getting things out (issue 13 item 17a), as openssl cms -verify -out/-signer.

$ smimekit verify --no-cache --no-system-trust --trust examples/ca/ca.pem --at 2027-01-01T00:00:00Z --format text --out - examples/opaque-signed.eml
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

Hi Bob,

the meeting is on Tuesday at 10:00 in room 4.

Alice
signed/verified           examples/opaque-signed.eml

$ d=$(mktemp -d); smimekit verify --no-cache --no-system-trust --trust examples/ca/ca.pem --at 2027-01-01T00:00:00Z --format text --out $d/content.eml --signer $d/signer.pem examples/signed.eml && cat $d/content.eml && openssl x509 -in $d/signer.pem -noout -subject; rm -r $d
signed/verified           examples/signed.eml
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

Hi Bob,

the meeting is on Tuesday at 10:00 in room 4.

Alice
subject=CN = Alice Example, emailAddress = alice@example.org

$ d=$(mktemp -d); smimekit verify --no-cache --no-system-trust --trust examples/ca/ca.pem --at 2027-01-01T00:00:00Z --format text --out $d/content.eml examples/tampered.eml 2>&1 | sed "s|$d|DIR|"; ls $d; rm -r $d
smimekit: warning: examples/tampered.eml: not written to DIR/content.eml: the message is signed/failed, not verified
signed/failed             examples/tampered.eml: The signed content was altered after signing: its digest does not match the one the signer signed

$ smimekit verify --no-cache --no-system-trust --trust examples/ca/ca.pem --at 2027-01-01T00:00:00Z --out x.eml examples/signed.eml examples/tampered.eml
smimekit: --out writes what one message holds: name a single message (or - for standard input)
Usage: smimekit verify [<options>] [<path> ...]
  See 'smimekit verify --help' for more information.
[exit 2]
