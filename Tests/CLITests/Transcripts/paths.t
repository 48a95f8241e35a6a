# Paths only (issue 13 item 16): -l like grep -l, -0 for xargs -0, query -q.

$ smimekit verify -l --no-cache --no-system-trust --trust examples/ca/ca.pem --at 2027-01-01T00:00:00Z examples
examples/opaque-signed.eml
examples/signed.eml
[exit 1]

$ smimekit verify -0 --no-cache --no-system-trust --trust examples/ca/ca.pem --at 2027-01-01T00:00:00Z examples | tr '\0' '|'
examples/opaque-signed.eml|examples/signed.eml|

$ smimekit status -l --no-cache examples
examples/encrypted.eml
examples/opaque-signed.eml
examples/signed.eml
examples/tampered.eml
[exit 1]

$ smimekit query -q --has-verified-smime --no-cache --no-system-trust --trust examples/ca/ca.pem --at 2027-01-01T00:00:00Z examples; echo "exit $?"
exit 0

$ smimekit query -q --subject "no such subject" examples; echo "exit $?"
exit 1

$ printf '' | smimekit verify --no-cache
smimekit: no message to verify: the operands and the list of paths on standard input held none
[exit 2]
