# smimekit query: RFC 8621 Email/query with the RFC 9219 conditions over the
# examples (--at fixes the verification time; --no-cache keeps runs apart).

$ smimekit query --no-cache --has-smime examples
examples/encrypted.eml
examples/opaque-signed.eml
examples/signed.eml
examples/tampered.eml

$ smimekit query --no-cache --no-system-trust --trust examples/ca/ca.pem --at 2027-01-01T00:00:00Z --has-verified-smime examples
examples/opaque-signed.eml
examples/signed.eml

$ smimekit query --no-cache --no-system-trust --trust examples/ca/ca.pem --at 2027-01-01T00:00:00Z --has-verified-smime=false --has-smime --format ndjson --properties smimeStatus,smimeErrors examples
{"path":"examples/encrypted.eml","id":"Mc7ab7c704fa8a29263229511","smimeStatus":"unknown","smimeErrors":null}
{"path":"examples/tampered.eml","id":"M797fd425cc9af36892381fd2","smimeStatus":"signed/failed","smimeErrors":["The signed content was altered after signing: its digest does not match the one the signer signed"]}

$ smimekit query --no-cache --no-system-trust --trust examples/ca/ca.pem --at 2027-01-01T00:00:00Z --filter '{"operator":"OR","conditions":[{"hasVerifiedSmime":true},{"subject":"unsigned"}]}' examples
examples/opaque-signed.eml
examples/signed.eml
examples/unsigned.eml

$ smimekit query --no-cache --sort size:desc --limit 2 --subject Tuesday --format json examples
{"methodResponses":[["Email/query",{"accountId":"local","queryState":"0","canCalculateChanges":false,"position":0,"ids":["Mdab131050711a188298cbefa","M797fd425cc9af36892381fd2"],"total":4,"paths":{"Mdab131050711a188298cbefa":["examples/signed.eml"],"M797fd425cc9af36892381fd2":["examples/tampered.eml"]}},"0"]],"sessionState":"0"}

$ smimekit query --no-cache --position -1 --has-smime examples
examples/tampered.eml

$ smimekit query --no-cache -q --has-smime examples

$ smimekit query --no-cache --subject nothing-like-this examples
[exit 1]

$ smimekit query --no-cache --filter '{"inMailbox":"x"}' --format json examples
smimekit: unsupportedFilter: the filter property "inMailbox" does not apply to files on disk
{"methodResponses":[["error",{"type":"unsupportedFilter","description":"the filter property \"inMailbox\" does not apply to files on disk"},"0"]],"sessionState":"0"}
[exit 2]

$ smimekit query --no-cache --has-smime examples/signed.eml missing.eml
examples/signed.eml
smimekit: missing.eml: No such file or directory
[exit 2]
