# smimekit decrypt: the message inside examples/encrypted.eml, and what is refused.

$ smimekit decrypt --key examples/alice.p12 --passin pass:example examples/encrypted.eml | grep -E '^(Subject|Content-Type):' | tr -d '\r'
Subject: Encrypted for Alice
Content-Type: text/plain; charset=us-ascii

$ smimekit decrypt --key examples/alice.p12 --passin pass:example examples/signed.eml
smimekit: examples/signed.eml: the message is not encrypted (its top level is multipart/signed, not application/pkcs7-mime); nothing written
[exit 2]

$ smimekit decrypt examples/encrypted.eml
smimekit: give the key to decrypt with: --key FILE
Usage: smimekit decrypt [<message>] [--key <file> ...] [--cert <file> ...] [--passin <source>] [--output <file>] [--no-config]
  See 'smimekit decrypt --help' for more information.
[exit 2]

$ smimekit decrypt --key examples/alice.pem examples/encrypted.eml
smimekit: examples/encrypted.eml: examples/alice.pem: cannot read a private key (not a PEM, DER or PKCS#12 private key); nothing written
[exit 2]
