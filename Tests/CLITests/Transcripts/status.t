# smimekit status: the cheap, structure-only answer.

$ smimekit status --format text examples/signed.eml examples/opaque-signed.eml examples/encrypted.eml examples/unsigned.eml
signed                    examples/signed.eml
signed                    examples/opaque-signed.eml
unknown                   examples/encrypted.eml
null                      examples/unsigned.eml
[exit 1]

$ smimekit status --format ndjson examples/signed.eml examples/unsigned.eml
{"path":"examples/signed.eml","id":"Mdab131050711a188298cbefa","smimeStatus":"signed"}
{"path":"examples/unsigned.eml","id":"Mb5e54d8c43ecc2f8cc0341ca","smimeStatus":null}
[exit 1]

$ smimekit status --format json examples/signed.eml missing.eml
smimekit: missing.eml: No such file or directory
{"methodResponses":[["Email/get",{"accountId":"local","state":"0","list":[{"id":"Mdab131050711a188298cbefa","path":"examples/signed.eml","paths":["examples/signed.eml"],"smimeStatus":"signed"}],"notFound":[],"notFoundPaths":["missing.eml"]},"0"]],"sessionState":"0"}
[exit 2]

$ cat examples/opaque-signed.eml | smimekit status --format ndjson -
{"path":"-","id":"M12a0c14b3ffa13f62aaa44ec","smimeStatus":"signed"}

$ printf 'examples/signed.eml\0examples/tampered.eml\0' | smimekit status --format text
signed                    examples/signed.eml
signed                    examples/tampered.eml

$ smimekit status --format text /dev/null examples/unsigned.eml
smimekit: /dev/null: not a regular file (a character device); only regular files are read, give - to read standard input
null                      examples/unsigned.eml
[exit 2]

$ smimekit status --properties smimeFoo examples/signed.eml
smimekit: unknown property 'smimeFoo'; choose from smimeStatus, smimeStatusAtDelivery, smimeErrors, smimeVerifiedAt
Usage: smimekit status [<options>] [<path> ...]
  See 'smimekit status --help' for more information.
[exit 2]
