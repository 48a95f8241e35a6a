# The config file (issue 13 item 11): gpg style, one long option a line.
# Each command writes its own file, so the steps do not depend on each other.

$ d=$(mktemp -d); printf '# anchors\n\ntrust examples/ca/ca.pem\nno-system-trust\nformat text\n' > $d/config; SMIMEKIT_CONFIG=$d/config smimekit verify --no-cache --at 2027-01-01T00:00:00Z examples/signed.eml examples/tampered.eml; rm -r $d
signed/verified           examples/signed.eml
signed/failed             examples/tampered.eml: The signed content was altered after signing: its digest does not match the one the signer signed

$ d=$(mktemp -d); printf 'trust examples/ca/ca.pem\nno-system-trust\nformat text\n' > $d/config; SMIMEKIT_CONFIG=$d/config smimekit verify --no-config --no-cache --at 2027-01-01T00:00:00Z --format text examples/signed.eml; rm -r $d
signed/failed             examples/signed.eml: The issuer 'smimekit Example CA' of the signer's certificate 'Alice Example' was not found: pass it with --certs, or trust it with --trust

$ d=$(mktemp -d); printf 'trust examples/ca/ca.pem\nformat ndjson\n' > $d/config; SMIMEKIT_CONFIG=$d/config smimekit verify --no-system-trust --no-cache --at 2027-01-01T00:00:00Z --format text examples/signed.eml; rm -r $d
signed/verified           examples/signed.eml

$ d=$(mktemp -d); printf 'trust examples/ca/ca.pem\n\nfrobnicate 3\n' > $d/config; SMIMEKIT_CONFIG=$d/config smimekit status examples/signed.eml 2>&1 | sed "s|$d|DIR|"; rm -r $d
smimekit: DIR/config line 3: no smimekit command has an option --frobnicate

$ SMIMEKIT_CONFIG=/nonexistent/smimekit.conf smimekit status examples/signed.eml
smimekit: /nonexistent/smimekit.conf (named by SMIMEKIT_CONFIG): no such file
[exit 2]
