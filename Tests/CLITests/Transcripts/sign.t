# smimekit sign: signatures are not reproducible (time, randomness), so what is
# printed is what verify and status say of the signed message.

$ rm -rf .build/transcripts/sign && mkdir -p .build/transcripts/sign

$ smimekit sign --key examples/alice.p12 --passin pass:example examples/unsigned.eml | smimekit verify --no-cache --no-system-trust --trust examples/ca/ca.pem --format text -
signed/verified           -

$ smimekit sign --key examples/alice.p12 --passin pass:example --opaque --header-protection none examples/unsigned.eml | smimekit status --format text -
signed                    -

$ smimekit sign --key examples/alice.p12 --passin pass:example -o .build/transcripts/sign/signed.eml examples/unsigned.eml && smimekit verify --no-cache --no-system-trust --trust examples/ca/ca.pem --format text .build/transcripts/sign/signed.eml
signed/verified           .build/transcripts/sign/signed.eml

$ smimekit sign examples/unsigned.eml
smimekit: no signing key: give --key FILE (with --cert FILE unless it is a .p12) or --identities DIR; nothing written
[exit 2]

$ smimekit sign --key examples/alice.p12 --passin pass:wrong examples/unsigned.eml
smimekit: examples/alice.p12: wrong password (give it with --passin pass:..., env:VAR, file:PATH or fd:N); nothing written
[exit 2]

$ echo '{"using":["urn:ietf:params:jmap:core","urn:ietf:params:jmap:mail"],"methodCalls":[["Email/get",{},"c1"]]}' | smimekit sign --key examples/alice.p12 --passin pass:example --jmap - --output-dir .build/transcripts/sign
{"methodResponses":[["error",{"type":"unknownMethod","description":"smimekit answers Email/set only"},"c1"]],"sessionState":"0"}
[exit 1]
