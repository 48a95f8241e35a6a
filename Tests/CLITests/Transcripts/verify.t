# smimekit verify over the examples (regenerate them with scripts/make-examples).
# --at fixes the verification time so that smimeVerifiedAt is stable.

$ smimekit verify --no-cache --no-system-trust --trust examples/ca/ca.pem --at 2027-01-01T00:00:00Z --format text examples
null                      examples/README.md
null                      examples/alice.p12
null                      examples/alice.pem
null                      examples/ca/ca.pem
unknown                   examples/encrypted.eml
signed/verified           examples/opaque-signed.eml
signed/verified           examples/signed.eml
signed/failed             examples/tampered.eml: The signed content was altered after signing: its digest does not match the one the signer signed
null                      examples/unsigned.eml
[exit 1]

$ smimekit verify --no-cache --no-system-trust --trust examples/ca/ca.pem --at 2027-01-01T00:00:00Z --format ndjson examples/signed.eml examples/tampered.eml
{"path":"examples/signed.eml","id":"Mdab131050711a188298cbefa","smimeStatus":"signed/verified","smimeStatusAtDelivery":"signed/verified","smimeErrors":null,"smimeVerifiedAt":"2027-01-01T00:00:00Z"}
{"path":"examples/tampered.eml","id":"M797fd425cc9af36892381fd2","smimeStatus":"signed/failed","smimeStatusAtDelivery":"signed/failed","smimeErrors":["The signed content was altered after signing: its digest does not match the one the signer signed"],"smimeVerifiedAt":"2027-01-01T00:00:00Z"}
[exit 1]

$ smimekit verify --no-cache --no-system-trust --trust examples/ca/ca.pem --at 2027-01-01T00:00:00Z --format text --details examples/tampered.eml
signed/failed             examples/tampered.eml
  layers:       signed (multipart/signed)
  received:     2026-11-23T23:16:43Z (Date header)
  at delivery:  signed/failed (the same problems as now)
  verified at:  2027-01-01T00:00:00Z
  signer:
    subject:    emailAddress=alice@example.org,CN=Alice Example
    issuer:     CN=smimekit Example CA,O=smimekit examples
    serial:     2F129B4CE59F5E91
    e-mail:     alice@example.org
    valid:      2026-11-23T23:16:43Z to 2076-11-22T23:16:43Z
    algorithms: SHA256, rsaEncryption
    signed at:  2026-11-23T23:16:43Z
    path:       emailAddress=alice@example.org,CN=Alice Example
                   < CN=smimekit Example CA,O=smimekit examples
    sha-256:    a030eececa7f2745613ba2fede225e2f993f1dd0ea35708f0fea056744a319fe
                   < aec3f4a6c86f848f110052b8fe2882df4ba3c3e7d4e380f271b73feff39116a1
    revocation: Alice Example            not checked: offline
                smimekit Example CA      trust anchor
  ✗ [contentAltered] The signed content was altered after signing: its digest does not match the one the signer signed
[exit 1]

$ smimekit verify --no-cache --no-system-trust --trust examples/ca/ca.pem --at 2027-01-01T00:00:00Z --decrypt-key examples/alice.p12 --passin pass:example --format text examples/encrypted.eml
unknown                   examples/encrypted.eml
[exit 1]

$ smimekit verify --no-cache --no-system-trust --at 2027-01-01T00:00:00Z --format text --details examples/signed.eml
signed/failed             examples/signed.eml
  layers:       signed (multipart/signed)
  received:     2026-11-23T23:16:43Z (Date header)
  at delivery:  signed/failed (the same problems as now)
  verified at:  2027-01-01T00:00:00Z
  signer:
    subject:    emailAddress=alice@example.org,CN=Alice Example
    issuer:     CN=smimekit Example CA,O=smimekit examples
    serial:     2F129B4CE59F5E91
    e-mail:     alice@example.org
    valid:      2026-11-23T23:16:43Z to 2076-11-22T23:16:43Z
    algorithms: SHA256, rsaEncryption
    signed at:  2026-11-23T23:16:43Z
    path:       emailAddress=alice@example.org,CN=Alice Example
    sha-256:    a030eececa7f2745613ba2fede225e2f993f1dd0ea35708f0fea056744a319fe
    revocation: Alice Example            not checked: offline
  ✗ [issuerNotFound] The issuer 'smimekit Example CA' of the signer's certificate 'Alice Example' was not found: pass it with --certs, or trust it with --trust
[exit 1]

$ smimekit verify --no-cache --trust examples/missing.pem examples/signed.eml
smimekit: examples/missing.pem: no such file or directory
[exit 2]

$ smimekit verify --no-cache --no-system-trust --trust examples/ca/ca.pem --decrypt-key examples/alice.p12 --passin pass:wrong examples/encrypted.eml
smimekit: examples/alice.p12: wrong password (give it with --passin pass:..., env:VAR, file:PATH or fd:N)
[exit 2]
