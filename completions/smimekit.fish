function __smimekit_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __smimekit_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __smimekit_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __smimekit_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __smimekit_parse_tokens -S
    set -l unparsed_tokens (__smimekit_tokens -pc)
    switch $unparsed_tokens[1]
    case 'smimekit'
        __smimekit_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'status'
            __smimekit_parse_subcommand -r 1 'j/jobs=' 'no-progress' 'max-message-size=' 'max-in-memory-size=' 'max-depth=' 'max-parts=' 'max-header-bytes=' 'max-header-fields=' 'format=' 'properties=' 'trust=+' 'no-system-trust' 'trust-source=' 'certs=+' 'crl=+' 'revocation=' 'online' 'online-timeout=' 'allow-sha1' 'allow-md5' 'min-rsa-bits=' 'no-sender-check' 'max-layers=' 'max-certificates=' 'at=' 'received-at=' 'decrypt-key=+' 'decrypt-cert=+' 'passin=' 'store=' 'no-cache' 'max-age=' 'l/paths-only' '0/null' 'no-config' 'cached' 'version' 'h/help'
        case 'verify'
            __smimekit_parse_subcommand -r 1 'j/jobs=' 'no-progress' 'max-message-size=' 'max-in-memory-size=' 'max-depth=' 'max-parts=' 'max-header-bytes=' 'max-header-fields=' 'format=' 'properties=' 'trust=+' 'no-system-trust' 'trust-source=' 'certs=+' 'crl=+' 'revocation=' 'online' 'online-timeout=' 'allow-sha1' 'allow-md5' 'min-rsa-bits=' 'no-sender-check' 'max-layers=' 'max-certificates=' 'at=' 'received-at=' 'decrypt-key=+' 'decrypt-cert=+' 'passin=' 'store=' 'no-cache' 'max-age=' 'details' 'l/paths-only' '0/null' 'out=' 'signer=' 'no-config' 'version' 'h/help'
        case 'query'
            __smimekit_parse_subcommand -r 1 'j/jobs=' 'no-progress' 'max-message-size=' 'max-in-memory-size=' 'max-depth=' 'max-parts=' 'max-header-bytes=' 'max-header-fields=' 'has-smime' 'no-has-smime' 'has-verified-smime' 'no-has-verified-smime' 'has-verified-smime-at-delivery' 'no-has-verified-smime-at-delivery' 'from=' 'to=' 'cc=' 'bcc=' 'subject=' 'text=' 'body=' 'header=+' 'before=' 'after=' 'min-size=' 'max-size=' 'has-attachment' 'no-has-attachment' 'has-keyword=+' 'not-keyword=+' 'filter=' 'sort=+' 'position=' 'limit=' 'q/quiet' '0/null' 'format=' 'properties=' 'trust=+' 'no-system-trust' 'trust-source=' 'certs=+' 'crl=+' 'revocation=' 'online' 'online-timeout=' 'allow-sha1' 'allow-md5' 'min-rsa-bits=' 'no-sender-check' 'max-layers=' 'max-certificates=' 'at=' 'received-at=' 'decrypt-key=+' 'decrypt-cert=+' 'passin=' 'store=' 'no-cache' 'max-age=' 'no-config' 'version' 'h/help'
        case 'changes'
            __smimekit_parse_subcommand -r 1 'since=' 'max-changes=' 'j/jobs=' 'no-progress' 'max-message-size=' 'max-in-memory-size=' 'max-depth=' 'max-parts=' 'max-header-bytes=' 'max-header-fields=' 'trust=+' 'no-system-trust' 'trust-source=' 'certs=+' 'crl=+' 'revocation=' 'online' 'online-timeout=' 'allow-sha1' 'allow-md5' 'min-rsa-bits=' 'no-sender-check' 'max-layers=' 'max-certificates=' 'at=' 'received-at=' 'decrypt-key=+' 'decrypt-cert=+' 'passin=' 'store=' 'no-cache' 'max-age=' 'no-config' 'version' 'h/help'
        case 'sign'
            __smimekit_parse_subcommand 1 'o/output=' 'jmap=' 'output-dir=' 'blob-dir=' 'at=' 'header-protection=' 'key=' 'cert=' 'chain=+' 'identities=' 'passin=' 'digest=' 'pss' 'opaque' 'encrypt' 'recipients=+' 'recipient-cert=+' 'crl=+' 'cipher=' 'oaep' 'no-config' 'version' 'h/help'
        case 'encrypt'
            __smimekit_parse_subcommand 1 'o/output=' 'jmap=' 'output-dir=' 'blob-dir=' 'at=' 'header-protection=' 'recipients=+' 'recipient-cert=+' 'crl=+' 'cipher=' 'oaep' 'sign' 'key=' 'cert=' 'chain=+' 'identities=' 'passin=' 'digest=' 'pss' 'opaque' 'no-config' 'version' 'h/help'
        case 'decrypt'
            __smimekit_parse_subcommand 1 'key=+' 'cert=+' 'passin=' 'o/output=' 'no-config' 'version' 'h/help'
        case 'trust'
            __smimekit_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'list'
                __smimekit_parse_subcommand 0 'trust=+' 'no-system-trust' 'trust-source=' 'format=' 'version' 'h/help'
            end
        case 'jmap'
            __smimekit_parse_subcommand -r 1 'request=' 'session' 'trust=+' 'no-system-trust' 'trust-source=' 'certs=+' 'crl=+' 'revocation=' 'online' 'online-timeout=' 'allow-sha1' 'allow-md5' 'min-rsa-bits=' 'no-sender-check' 'max-layers=' 'max-certificates=' 'at=' 'received-at=' 'decrypt-key=+' 'decrypt-cert=+' 'passin=' 'store=' 'no-cache' 'max-age=' 'key=' 'cert=' 'chain=+' 'identities=' 'digest=' 'pss' 'opaque' 'recipients=+' 'recipient-cert=+' 'cipher=' 'oaep' 'header-protection=' 'blob-dir=' 'j/jobs=' 'max-message-size=' 'username=' 'no-config' 'version' 'h/help'
        case 'serve'
            __smimekit_parse_subcommand -r 1 'listen=' 'token-file=' 'allow-non-loopback' 'trust=+' 'no-system-trust' 'trust-source=' 'certs=+' 'crl=+' 'revocation=' 'online' 'online-timeout=' 'allow-sha1' 'allow-md5' 'min-rsa-bits=' 'no-sender-check' 'max-layers=' 'max-certificates=' 'at=' 'received-at=' 'decrypt-key=+' 'decrypt-cert=+' 'passin=' 'store=' 'no-cache' 'max-age=' 'key=' 'cert=' 'chain=+' 'identities=' 'digest=' 'pss' 'opaque' 'recipients=+' 'recipient-cert=+' 'cipher=' 'oaep' 'header-protection=' 'blob-dir=' 'j/jobs=' 'max-message-size=' 'username=' 'no-config' 'version' 'h/help'
        case 'help'
            __smimekit_parse_subcommand -r 1 'version'
        end
    end
end

function __smimekit_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __smimekit_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __smimekit_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __smimekit_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__smimekit_tokens -p)
    if test -z "$(__smimekit_tokens -t)"
        set -l index (count (__smimekit_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'smimekit' -f
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit" version' -l 'version' -d 'Show the version.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_positional "smimekit" -eq 1' -fa 'status' -d 'Tell from structure alone whether messages carry S/MIME: null, unknown or signed.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_positional "smimekit" -eq 1' -fa 'verify' -d 'Check S/MIME signatures and print the RFC 9219 properties.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_positional "smimekit" -eq 1' -fa 'query' -d 'Print the messages that match a JMAP filter (RFC 8621 Email/query with the RFC 9219 conditions).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_positional "smimekit" -eq 1' -fa 'changes' -d 'Scan messages and print what changed since a state, as a JMAP Email/changes response.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_positional "smimekit" -eq 1' -fa 'sign' -d 'Sign a message with S/MIME (and encrypt it with --encrypt).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_positional "smimekit" -eq 1' -fa 'encrypt' -d 'Encrypt a message with S/MIME to its sender and every To, Cc and Bcc recipient (and sign it first with --sign).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_positional "smimekit" -eq 1' -fa 'decrypt' -d 'Decrypt an S/MIME message and write the message inside.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_positional "smimekit" -eq 1' -fa 'trust' -d 'Show the trust anchors signatures are checked against.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_positional "smimekit" -eq 1' -fa 'jmap' -d 'Answer one JMAP request (RFC 8620, 8621, 9219) over mail directories: Request on standard input, Response on standard output.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_positional "smimekit" -eq 1' -fa 'serve' -d 'Serve JMAP (RFC 8620, 8621, 9219) over HTTP for the mail in the directories given.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_positional "smimekit" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_positional "smimekit status" -ge 1' -F
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" j jobs' -s 'j' -l 'jobs' -d 'Messages checked at once (default: all cores).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" no-progress' -l 'no-progress' -d 'Never draw the progress line on standard error.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" max-message-size' -l 'max-message-size' -d 'Largest message read, in bytes; larger ones are reported and skipped (default 4 GiB).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" max-in-memory-size' -l 'max-in-memory-size' -d 'Messages larger than this, in bytes, are streamed instead of read into memory (default 32 MiB): a multipart/signed is still checked in full, other S/MIME that large is reported as not checked.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" max-depth' -l 'max-depth' -d 'Deepest MIME nesting accepted.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" max-parts' -l 'max-parts' -d 'Most MIME parts accepted in one message.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" max-header-bytes' -l 'max-header-bytes' -d 'Largest header block accepted, in bytes.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" max-header-fields' -l 'max-header-fields' -d 'Most header fields accepted in one header block.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" format' -l 'format' -d 'text (a line a message, for people; default on a terminal), ndjson (a JSON object a line; default in a pipe) or json (a JMAP response).' -rfka 'text ndjson json'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" properties' -l 'properties' -d 'RFC 9219 properties to print, comma-separated: smimeStatus, smimeStatusAtDelivery, smimeErrors, smimeVerifiedAt.' -rfka 'smimeStatus smimeStatusAtDelivery smimeErrors smimeVerifiedAt'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status"' -l 'trust' -d 'Trust the certificates in this PEM/DER file or directory as anchors (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" no-system-trust' -l 'no-system-trust' -d 'Trust only the anchors given with --trust, not the system store (the same as --trust-source none).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" trust-source' -l 'trust-source' -d 'Default anchors: nss-email (the roots NSS\'s built-in store trusts for e-mail, as Thunderbird; the default), bundle (the system CA bundle, TLS roots) or none. See `smimekit trust list`.' -rfka 'nss-email bundle none'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status"' -l 'certs' -d 'Extra certificates (intermediates, signers) to build paths with; not trusted (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status"' -l 'crl' -d 'CRLs, PEM or DER, file or directory (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" revocation' -l 'revocation' -d 'off, soft (a revoked certificate fails, a missing CRL does not) or hard (a certificate without a known status fails).' -rfka 'off soft hard'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" online' -l 'online' -d 'Ask the OCSP responders and CRL distribution points (http only) that certificates name, and fetch missing issuers from AIA caIssuers. Off by default: an OCSP query tells the CA which certificate you checked.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" online-timeout' -l 'online-timeout' -d 'With --online, seconds each URL may take, connecting included (1 to 60).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" allow-sha1' -l 'allow-sha1' -d 'Accept SHA-1 digests and SHA-1 signed certificates.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" allow-md5' -l 'allow-md5' -d 'Accept MD5 digests and MD5 signed certificates.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" min-rsa-bits' -l 'min-rsa-bits' -d 'Smallest RSA key accepted for the signer and the CAs of its path (default 2048, RFC 8551; 1024 at the least, for old archives).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" no-sender-check' -l 'no-sender-check' -d 'Do not require the From address to appear in the signer certificate.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" max-layers' -l 'max-layers' -d 'Most nested S/MIME layers (signed or encrypted) looked into.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" max-certificates' -l 'max-certificates' -d 'Most certificates one signature may carry.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" at' -l 'at' -d 'Verification time: RFC 3339 with a zone (2026-03-01T12:00:00Z, 2026-03-01T13:00:00+01:00) or a date (2026-03-01, meaning 00:00Z); default: now.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" received-at' -l 'received-at' -d 'Delivery time for smimeStatusAtDelivery (default: the topmost Received header, else Date, else the file\'s modification time).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status"' -l 'decrypt-key' -d 'Private key to open encrypted messages: PEM, DER or PKCS#12 (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status"' -l 'decrypt-cert' -d 'Certificate of the --decrypt-key (when the key file does not hold it).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" passin' -l 'passin' -d 'Password of keys and PKCS#12 files: pass:PASSWORD, env:VAR, file:PATH or fd:N.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" store' -l 'store' -d 'The result cache (default: $XDG_CACHE_HOME/smimekit/results.sqlite, else ~/.cache/smimekit/results.sqlite; none when HOME, or the parent of XDG_CACHE_HOME, does not exist). query, changes and status name a file whose stat(2) stamp (device, inode, size, mtime, ctime) is unchanged by the digest recorded for it; verify always reads and hashes the file before serving a stored verdict.' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" no-cache' -l 'no-cache' -d 'Neither read nor write the result cache (even one named with --store): verify everything now.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" max-age' -l 'max-age' -d 'Serve a cached smimeStatus and smimeErrors at most this many seconds after they were computed (0 to 86400; RFC 9219 allows 24 hours).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" l paths-only' -s 'l' -l 'paths-only' -d 'Print only the paths of the messages that pass, one a line, like grep -l (verify: verified; status: carries S/MIME).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" 0 null' -s '0' -l 'null' -d 'Like -l, with each path ended by NUL instead of a newline (for xargs -0).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" no-config' -l 'no-config' -d 'Ignore the config file ($SMIMEKIT_CONFIG, else $XDG_CONFIG_HOME/smimekit/config, else ~/.config/smimekit/config).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" cached' -l 'cached' -d 'Print the fresh verdict an earlier verify left in the result cache (same trust options), where there is one, instead of the structural answer.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" version' -l 'version' -d 'Show the version.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit status" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_positional "smimekit verify" -ge 1' -F
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" j jobs' -s 'j' -l 'jobs' -d 'Messages checked at once (default: all cores).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" no-progress' -l 'no-progress' -d 'Never draw the progress line on standard error.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" max-message-size' -l 'max-message-size' -d 'Largest message read, in bytes; larger ones are reported and skipped (default 4 GiB).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" max-in-memory-size' -l 'max-in-memory-size' -d 'Messages larger than this, in bytes, are streamed instead of read into memory (default 32 MiB): a multipart/signed is still checked in full, other S/MIME that large is reported as not checked.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" max-depth' -l 'max-depth' -d 'Deepest MIME nesting accepted.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" max-parts' -l 'max-parts' -d 'Most MIME parts accepted in one message.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" max-header-bytes' -l 'max-header-bytes' -d 'Largest header block accepted, in bytes.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" max-header-fields' -l 'max-header-fields' -d 'Most header fields accepted in one header block.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" format' -l 'format' -d 'text (a line a message, for people; default on a terminal), ndjson (a JSON object a line; default in a pipe) or json (a JMAP response).' -rfka 'text ndjson json'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" properties' -l 'properties' -d 'RFC 9219 properties to print, comma-separated: smimeStatus, smimeStatusAtDelivery, smimeErrors, smimeVerifiedAt.' -rfka 'smimeStatus smimeStatusAtDelivery smimeErrors smimeVerifiedAt'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify"' -l 'trust' -d 'Trust the certificates in this PEM/DER file or directory as anchors (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" no-system-trust' -l 'no-system-trust' -d 'Trust only the anchors given with --trust, not the system store (the same as --trust-source none).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" trust-source' -l 'trust-source' -d 'Default anchors: nss-email (the roots NSS\'s built-in store trusts for e-mail, as Thunderbird; the default), bundle (the system CA bundle, TLS roots) or none. See `smimekit trust list`.' -rfka 'nss-email bundle none'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify"' -l 'certs' -d 'Extra certificates (intermediates, signers) to build paths with; not trusted (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify"' -l 'crl' -d 'CRLs, PEM or DER, file or directory (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" revocation' -l 'revocation' -d 'off, soft (a revoked certificate fails, a missing CRL does not) or hard (a certificate without a known status fails).' -rfka 'off soft hard'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" online' -l 'online' -d 'Ask the OCSP responders and CRL distribution points (http only) that certificates name, and fetch missing issuers from AIA caIssuers. Off by default: an OCSP query tells the CA which certificate you checked.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" online-timeout' -l 'online-timeout' -d 'With --online, seconds each URL may take, connecting included (1 to 60).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" allow-sha1' -l 'allow-sha1' -d 'Accept SHA-1 digests and SHA-1 signed certificates.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" allow-md5' -l 'allow-md5' -d 'Accept MD5 digests and MD5 signed certificates.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" min-rsa-bits' -l 'min-rsa-bits' -d 'Smallest RSA key accepted for the signer and the CAs of its path (default 2048, RFC 8551; 1024 at the least, for old archives).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" no-sender-check' -l 'no-sender-check' -d 'Do not require the From address to appear in the signer certificate.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" max-layers' -l 'max-layers' -d 'Most nested S/MIME layers (signed or encrypted) looked into.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" max-certificates' -l 'max-certificates' -d 'Most certificates one signature may carry.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" at' -l 'at' -d 'Verification time: RFC 3339 with a zone (2026-03-01T12:00:00Z, 2026-03-01T13:00:00+01:00) or a date (2026-03-01, meaning 00:00Z); default: now.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" received-at' -l 'received-at' -d 'Delivery time for smimeStatusAtDelivery (default: the topmost Received header, else Date, else the file\'s modification time).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify"' -l 'decrypt-key' -d 'Private key to open encrypted messages: PEM, DER or PKCS#12 (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify"' -l 'decrypt-cert' -d 'Certificate of the --decrypt-key (when the key file does not hold it).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" passin' -l 'passin' -d 'Password of keys and PKCS#12 files: pass:PASSWORD, env:VAR, file:PATH or fd:N.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" store' -l 'store' -d 'The result cache (default: $XDG_CACHE_HOME/smimekit/results.sqlite, else ~/.cache/smimekit/results.sqlite; none when HOME, or the parent of XDG_CACHE_HOME, does not exist). query, changes and status name a file whose stat(2) stamp (device, inode, size, mtime, ctime) is unchanged by the digest recorded for it; verify always reads and hashes the file before serving a stored verdict.' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" no-cache' -l 'no-cache' -d 'Neither read nor write the result cache (even one named with --store): verify everything now.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" max-age' -l 'max-age' -d 'Serve a cached smimeStatus and smimeErrors at most this many seconds after they were computed (0 to 86400; RFC 9219 allows 24 hours).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" details' -l 'details' -d 'Add signer, certificate path (with SHA-256 fingerprints) and problem codes to each record (outside the four RFC 9219 keys).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" l paths-only' -s 'l' -l 'paths-only' -d 'Print only the paths of the messages that pass, one a line, like grep -l (verify: verified; status: carries S/MIME).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" 0 null' -s '0' -l 'null' -d 'Like -l, with each path ended by NUL instead of a newline (for xargs -0).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" out' -l 'out' -d 'Write the signed content (the entity inside the outermost signature, as transmitted; for an encrypted message without a signature, the decrypted content) to this file, or - for standard output (the verdict line then goes to standard error). Written only when the message verified. One message only.' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" signer' -l 'signer' -d 'Write the signer\'s certificates (of the outermost signature) to this file as PEM, whatever the verdict. One message only.' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" no-config' -l 'no-config' -d 'Ignore the config file ($SMIMEKIT_CONFIG, else $XDG_CONFIG_HOME/smimekit/config, else ~/.config/smimekit/config).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" version' -l 'version' -d 'Show the version.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit verify" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_positional "smimekit query" -ge 1' -F
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" j jobs' -s 'j' -l 'jobs' -d 'Messages checked at once (default: all cores).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" no-progress' -l 'no-progress' -d 'Never draw the progress line on standard error.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" max-message-size' -l 'max-message-size' -d 'Largest message read, in bytes; larger ones are reported and skipped (default 4 GiB).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" max-in-memory-size' -l 'max-in-memory-size' -d 'Messages larger than this, in bytes, are streamed instead of read into memory (default 32 MiB): a multipart/signed is still checked in full, other S/MIME that large is reported as not checked.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" max-depth' -l 'max-depth' -d 'Deepest MIME nesting accepted.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" max-parts' -l 'max-parts' -d 'Most MIME parts accepted in one message.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" max-header-bytes' -l 'max-header-bytes' -d 'Largest header block accepted, in bytes.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" max-header-fields' -l 'max-header-fields' -d 'Most header fields accepted in one header block.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" has-smime' -l 'has-smime' -d 'Messages with any S/MIME (--has-smime=false: with none). No cryptography needed.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" no-has-smime' -l 'no-has-smime' -d 'Messages with any S/MIME (--has-smime=false: with none). No cryptography needed.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" has-verified-smime' -l 'has-verified-smime' -d 'Messages whose smimeStatus is signed/verified or encrypted+signed/verified (=false: every other).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" no-has-verified-smime' -l 'no-has-verified-smime' -d 'Messages whose smimeStatus is signed/verified or encrypted+signed/verified (=false: every other).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" has-verified-smime-at-delivery' -l 'has-verified-smime-at-delivery' -d 'The same on smimeStatusAtDelivery.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" no-has-verified-smime-at-delivery' -l 'no-has-verified-smime-at-delivery' -d 'The same on smimeStatusAtDelivery.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" from' -l 'from' -d 'From contains this text (case-insensitive).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" to' -l 'to' -d 'To contains this text.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" cc' -l 'cc' -d 'Cc contains this text.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" bcc' -l 'bcc' -d 'Bcc contains this text.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" subject' -l 'subject' -d 'Subject contains this text.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" text' -l 'text' -d 'From, To, Cc, Bcc, Subject or a text body part contains this text.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" body' -l 'body' -d 'A text body part (not an attachment) contains this text.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query"' -l 'header' -d 'The message has this header field, whose value contains VALUE when given (repeatable).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" before' -l 'before' -d 'receivedAt is before this time (RFC 3339 with a zone, e.g. 2026-01-31T12:00:00Z, or a date, meaning 00:00Z).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" after' -l 'after' -d 'receivedAt is at or after this time (RFC 3339 with a zone, or a date).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" min-size' -l 'min-size' -d 'The message is at least this many octets.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" max-size' -l 'max-size' -d 'The message is smaller than this many octets.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" has-attachment' -l 'has-attachment' -d 'Messages with an attachment (=false: without).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" no-has-attachment' -l 'no-has-attachment' -d 'Messages with an attachment (=false: without).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query"' -l 'has-keyword' -d 'The message has this keyword ($seen, $flagged, $answered, $draft, $forwarded, from maildir flags; repeatable).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query"' -l 'not-keyword' -d 'The message does not have this keyword (repeatable).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" filter' -l 'filter' -d 'A JMAP FilterCondition or FilterOperator (AND, OR, NOT, nested) as JSON, or @FILE to read it from a file.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query"' -l 'sort' -d 'Sort by receivedAt, sentAt, size, from, to or subject, ascending unless :desc (repeatable; ties by path).' -rfka 'receivedAt receivedAt:desc sentAt sentAt:desc size size:desc from from:desc to to:desc subject subject:desc'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" position' -l 'position' -d 'Skip this many matches (negative: count from the end).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" limit' -l 'limit' -d 'Print at most this many matches.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" q quiet' -s 'q' -l 'quiet' -d 'Print nothing; only the exit status tells (0 as soon as a message matches, like grep -q).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" 0 null' -s '0' -l 'null' -d 'End each path with NUL instead of a newline (for xargs -0).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" format' -l 'format' -d 'text (a line a message, for people; default on a terminal), ndjson (a JSON object a line; default in a pipe) or json (a JMAP response).' -rfka 'text ndjson json'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" properties' -l 'properties' -d 'RFC 9219 properties to print, comma-separated: smimeStatus, smimeStatusAtDelivery, smimeErrors, smimeVerifiedAt.' -rfka 'smimeStatus smimeStatusAtDelivery smimeErrors smimeVerifiedAt'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query"' -l 'trust' -d 'Trust the certificates in this PEM/DER file or directory as anchors (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" no-system-trust' -l 'no-system-trust' -d 'Trust only the anchors given with --trust, not the system store (the same as --trust-source none).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" trust-source' -l 'trust-source' -d 'Default anchors: nss-email (the roots NSS\'s built-in store trusts for e-mail, as Thunderbird; the default), bundle (the system CA bundle, TLS roots) or none. See `smimekit trust list`.' -rfka 'nss-email bundle none'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query"' -l 'certs' -d 'Extra certificates (intermediates, signers) to build paths with; not trusted (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query"' -l 'crl' -d 'CRLs, PEM or DER, file or directory (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" revocation' -l 'revocation' -d 'off, soft (a revoked certificate fails, a missing CRL does not) or hard (a certificate without a known status fails).' -rfka 'off soft hard'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" online' -l 'online' -d 'Ask the OCSP responders and CRL distribution points (http only) that certificates name, and fetch missing issuers from AIA caIssuers. Off by default: an OCSP query tells the CA which certificate you checked.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" online-timeout' -l 'online-timeout' -d 'With --online, seconds each URL may take, connecting included (1 to 60).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" allow-sha1' -l 'allow-sha1' -d 'Accept SHA-1 digests and SHA-1 signed certificates.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" allow-md5' -l 'allow-md5' -d 'Accept MD5 digests and MD5 signed certificates.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" min-rsa-bits' -l 'min-rsa-bits' -d 'Smallest RSA key accepted for the signer and the CAs of its path (default 2048, RFC 8551; 1024 at the least, for old archives).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" no-sender-check' -l 'no-sender-check' -d 'Do not require the From address to appear in the signer certificate.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" max-layers' -l 'max-layers' -d 'Most nested S/MIME layers (signed or encrypted) looked into.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" max-certificates' -l 'max-certificates' -d 'Most certificates one signature may carry.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" at' -l 'at' -d 'Verification time: RFC 3339 with a zone (2026-03-01T12:00:00Z, 2026-03-01T13:00:00+01:00) or a date (2026-03-01, meaning 00:00Z); default: now.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" received-at' -l 'received-at' -d 'Delivery time for smimeStatusAtDelivery (default: the topmost Received header, else Date, else the file\'s modification time).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query"' -l 'decrypt-key' -d 'Private key to open encrypted messages: PEM, DER or PKCS#12 (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query"' -l 'decrypt-cert' -d 'Certificate of the --decrypt-key (when the key file does not hold it).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" passin' -l 'passin' -d 'Password of keys and PKCS#12 files: pass:PASSWORD, env:VAR, file:PATH or fd:N.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" store' -l 'store' -d 'The result cache (default: $XDG_CACHE_HOME/smimekit/results.sqlite, else ~/.cache/smimekit/results.sqlite; none when HOME, or the parent of XDG_CACHE_HOME, does not exist). query, changes and status name a file whose stat(2) stamp (device, inode, size, mtime, ctime) is unchanged by the digest recorded for it; verify always reads and hashes the file before serving a stored verdict.' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" no-cache' -l 'no-cache' -d 'Neither read nor write the result cache (even one named with --store): verify everything now.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" max-age' -l 'max-age' -d 'Serve a cached smimeStatus and smimeErrors at most this many seconds after they were computed (0 to 86400; RFC 9219 allows 24 hours).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" no-config' -l 'no-config' -d 'Ignore the config file ($SMIMEKIT_CONFIG, else $XDG_CONFIG_HOME/smimekit/config, else ~/.config/smimekit/config).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" version' -l 'version' -d 'Show the version.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit query" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" since' -l 'since' -d 'The state of an earlier run (printed by changes without --since, or as newState).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" max-changes' -l 'max-changes' -d 'At most this many ids; newState is then an intermediate state and hasMoreChanges true.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_positional "smimekit changes" -ge 1' -F
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" j jobs' -s 'j' -l 'jobs' -d 'Messages checked at once (default: all cores).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" no-progress' -l 'no-progress' -d 'Never draw the progress line on standard error.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" max-message-size' -l 'max-message-size' -d 'Largest message read, in bytes; larger ones are reported and skipped (default 4 GiB).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" max-in-memory-size' -l 'max-in-memory-size' -d 'Messages larger than this, in bytes, are streamed instead of read into memory (default 32 MiB): a multipart/signed is still checked in full, other S/MIME that large is reported as not checked.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" max-depth' -l 'max-depth' -d 'Deepest MIME nesting accepted.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" max-parts' -l 'max-parts' -d 'Most MIME parts accepted in one message.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" max-header-bytes' -l 'max-header-bytes' -d 'Largest header block accepted, in bytes.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" max-header-fields' -l 'max-header-fields' -d 'Most header fields accepted in one header block.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes"' -l 'trust' -d 'Trust the certificates in this PEM/DER file or directory as anchors (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" no-system-trust' -l 'no-system-trust' -d 'Trust only the anchors given with --trust, not the system store (the same as --trust-source none).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" trust-source' -l 'trust-source' -d 'Default anchors: nss-email (the roots NSS\'s built-in store trusts for e-mail, as Thunderbird; the default), bundle (the system CA bundle, TLS roots) or none. See `smimekit trust list`.' -rfka 'nss-email bundle none'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes"' -l 'certs' -d 'Extra certificates (intermediates, signers) to build paths with; not trusted (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes"' -l 'crl' -d 'CRLs, PEM or DER, file or directory (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" revocation' -l 'revocation' -d 'off, soft (a revoked certificate fails, a missing CRL does not) or hard (a certificate without a known status fails).' -rfka 'off soft hard'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" online' -l 'online' -d 'Ask the OCSP responders and CRL distribution points (http only) that certificates name, and fetch missing issuers from AIA caIssuers. Off by default: an OCSP query tells the CA which certificate you checked.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" online-timeout' -l 'online-timeout' -d 'With --online, seconds each URL may take, connecting included (1 to 60).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" allow-sha1' -l 'allow-sha1' -d 'Accept SHA-1 digests and SHA-1 signed certificates.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" allow-md5' -l 'allow-md5' -d 'Accept MD5 digests and MD5 signed certificates.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" min-rsa-bits' -l 'min-rsa-bits' -d 'Smallest RSA key accepted for the signer and the CAs of its path (default 2048, RFC 8551; 1024 at the least, for old archives).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" no-sender-check' -l 'no-sender-check' -d 'Do not require the From address to appear in the signer certificate.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" max-layers' -l 'max-layers' -d 'Most nested S/MIME layers (signed or encrypted) looked into.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" max-certificates' -l 'max-certificates' -d 'Most certificates one signature may carry.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" at' -l 'at' -d 'Verification time: RFC 3339 with a zone (2026-03-01T12:00:00Z, 2026-03-01T13:00:00+01:00) or a date (2026-03-01, meaning 00:00Z); default: now.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" received-at' -l 'received-at' -d 'Delivery time for smimeStatusAtDelivery (default: the topmost Received header, else Date, else the file\'s modification time).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes"' -l 'decrypt-key' -d 'Private key to open encrypted messages: PEM, DER or PKCS#12 (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes"' -l 'decrypt-cert' -d 'Certificate of the --decrypt-key (when the key file does not hold it).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" passin' -l 'passin' -d 'Password of keys and PKCS#12 files: pass:PASSWORD, env:VAR, file:PATH or fd:N.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" store' -l 'store' -d 'The result cache (default: $XDG_CACHE_HOME/smimekit/results.sqlite, else ~/.cache/smimekit/results.sqlite; none when HOME, or the parent of XDG_CACHE_HOME, does not exist). query, changes and status name a file whose stat(2) stamp (device, inode, size, mtime, ctime) is unchanged by the digest recorded for it; verify always reads and hashes the file before serving a stored verdict.' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" no-cache' -l 'no-cache' -d 'Neither read nor write the result cache (even one named with --store): verify everything now.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" max-age' -l 'max-age' -d 'Serve a cached smimeStatus and smimeErrors at most this many seconds after they were computed (0 to 86400; RFC 9219 allows 24 hours).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" no-config' -l 'no-config' -d 'Ignore the config file ($SMIMEKIT_CONFIG, else $XDG_CONFIG_HOME/smimekit/config, else ~/.config/smimekit/config).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" version' -l 'version' -d 'Show the version.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit changes" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_positional "smimekit sign" -eq 1' -F
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit sign" o output' -s 'o' -l 'output' -d 'Write the message (or, with --jmap, the response) here instead of standard output; written whole or not at all.' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit sign" jmap' -l 'jmap' -d 'Read a JMAP Email/set request (or its bare arguments) instead of a message; - for standard input.' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit sign" output-dir' -l 'output-dir' -d 'With --jmap: directory the messages are written to, as ID.eml.' -rfa '(__smimekit_complete_directories)'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit sign" blob-dir' -l 'blob-dir' -d 'With --jmap: directory where attachment blobIds are found as file names.' -rfa '(__smimekit_complete_directories)'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit sign" at' -l 'at' -d 'Judge certificate validity at this time (RFC 3339 with a zone, or a date meaning 00:00Z; default: now).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit sign" header-protection' -l 'header-protection' -d 'RFC 9788 header protection: baseline (the default: From, To, Subject and the rest are copied inside and protected; encrypted mail shows Subject [...] outside), no-confidentiality (copied, nothing hidden outside) or none (for old readers that show the copy oddly). With --jmap, an Email\'s smimeHeaderProtection overrides it.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit sign" key' -l 'key' -d 'Signing key: PEM, DER or PKCS#12 (a .p12 holds the certificate too).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit sign" cert' -l 'cert' -d 'Certificate of --key, when the key file does not hold it.' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit sign"' -l 'chain' -d 'Intermediate certificates to send with the signature (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit sign" identities' -l 'identities' -d 'Directory of PKCS#12 or PEM key+certificate files; the one naming the signer\'s address is used.' -rfa '(__smimekit_complete_directories)'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit sign" passin' -l 'passin' -d 'Password of keys and PKCS#12 files: pass:PASSWORD, env:VAR, file:PATH or fd:N.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit sign" digest' -l 'digest' -d 'Digest: sha256 (default), sha384, sha512 or sha224.' -rfka 'sha256 sha384 sha512 sha224'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit sign" pss' -l 'pss' -d 'Sign with RSASSA-PSS instead of PKCS#1 v1.5 (RSA keys).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit sign" opaque' -l 'opaque' -d 'Opaque signed-data (application/pkcs7-mime) instead of multipart/signed.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit sign" encrypt' -l 'encrypt' -d 'Encrypt the signed message too (needs recipient certificates).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit sign"' -l 'recipients' -d 'Address book: a directory (or file) of PEM/DER certificates, matched by the addresses they carry (repeatable).' -rfa '(__smimekit_complete_directories)'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit sign"' -l 'recipient-cert' -d 'A recipient certificate (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit sign"' -l 'crl' -d 'CRLs (PEM or DER, file or directory): a revoked recipient certificate is refused (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit sign" cipher' -l 'cipher' -d 'aes-256-gcm (default, AuthEnvelopedData), aes-128-gcm, aes-256-cbc or aes-128-cbc (for older readers).' -rfka 'aes-256-gcm aes-128-gcm aes-256-cbc aes-128-cbc'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit sign" oaep' -l 'oaep' -d 'RSAES-OAEP key transport for RSA recipients (default PKCS#1 v1.5; EC recipients use ECDH).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit sign" no-config' -l 'no-config' -d 'Ignore the config file ($SMIMEKIT_CONFIG, else $XDG_CONFIG_HOME/smimekit/config, else ~/.config/smimekit/config).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit sign" version' -l 'version' -d 'Show the version.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit sign" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_positional "smimekit encrypt" -eq 1' -F
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit encrypt" o output' -s 'o' -l 'output' -d 'Write the message (or, with --jmap, the response) here instead of standard output; written whole or not at all.' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit encrypt" jmap' -l 'jmap' -d 'Read a JMAP Email/set request (or its bare arguments) instead of a message; - for standard input.' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit encrypt" output-dir' -l 'output-dir' -d 'With --jmap: directory the messages are written to, as ID.eml.' -rfa '(__smimekit_complete_directories)'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit encrypt" blob-dir' -l 'blob-dir' -d 'With --jmap: directory where attachment blobIds are found as file names.' -rfa '(__smimekit_complete_directories)'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit encrypt" at' -l 'at' -d 'Judge certificate validity at this time (RFC 3339 with a zone, or a date meaning 00:00Z; default: now).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit encrypt" header-protection' -l 'header-protection' -d 'RFC 9788 header protection: baseline (the default: From, To, Subject and the rest are copied inside and protected; encrypted mail shows Subject [...] outside), no-confidentiality (copied, nothing hidden outside) or none (for old readers that show the copy oddly). With --jmap, an Email\'s smimeHeaderProtection overrides it.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit encrypt"' -l 'recipients' -d 'Address book: a directory (or file) of PEM/DER certificates, matched by the addresses they carry (repeatable).' -rfa '(__smimekit_complete_directories)'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit encrypt"' -l 'recipient-cert' -d 'A recipient certificate (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit encrypt"' -l 'crl' -d 'CRLs (PEM or DER, file or directory): a revoked recipient certificate is refused (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit encrypt" cipher' -l 'cipher' -d 'aes-256-gcm (default, AuthEnvelopedData), aes-128-gcm, aes-256-cbc or aes-128-cbc (for older readers).' -rfka 'aes-256-gcm aes-128-gcm aes-256-cbc aes-128-cbc'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit encrypt" oaep' -l 'oaep' -d 'RSAES-OAEP key transport for RSA recipients (default PKCS#1 v1.5; EC recipients use ECDH).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit encrypt" sign' -l 'sign' -d 'Sign the message first (needs a signing key).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit encrypt" key' -l 'key' -d 'Signing key: PEM, DER or PKCS#12 (a .p12 holds the certificate too).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit encrypt" cert' -l 'cert' -d 'Certificate of --key, when the key file does not hold it.' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit encrypt"' -l 'chain' -d 'Intermediate certificates to send with the signature (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit encrypt" identities' -l 'identities' -d 'Directory of PKCS#12 or PEM key+certificate files; the one naming the signer\'s address is used.' -rfa '(__smimekit_complete_directories)'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit encrypt" passin' -l 'passin' -d 'Password of keys and PKCS#12 files: pass:PASSWORD, env:VAR, file:PATH or fd:N.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit encrypt" digest' -l 'digest' -d 'Digest: sha256 (default), sha384, sha512 or sha224.' -rfka 'sha256 sha384 sha512 sha224'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit encrypt" pss' -l 'pss' -d 'Sign with RSASSA-PSS instead of PKCS#1 v1.5 (RSA keys).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit encrypt" opaque' -l 'opaque' -d 'Opaque signed-data (application/pkcs7-mime) instead of multipart/signed.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit encrypt" no-config' -l 'no-config' -d 'Ignore the config file ($SMIMEKIT_CONFIG, else $XDG_CONFIG_HOME/smimekit/config, else ~/.config/smimekit/config).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit encrypt" version' -l 'version' -d 'Show the version.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit encrypt" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_positional "smimekit decrypt" -eq 1' -F
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit decrypt"' -l 'key' -l 'decrypt-key' -d 'Private key: PEM, DER or PKCS#12 (repeatable; each is tried).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit decrypt"' -l 'cert' -l 'decrypt-cert' -d 'Certificate of the --key at the same position, when the key file does not hold it.' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit decrypt" passin' -l 'passin' -d 'Password of keys and PKCS#12 files: pass:PASSWORD, env:VAR, file:PATH or fd:N.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit decrypt" o output' -s 'o' -l 'output' -d 'Write here instead of standard output; written whole or not at all.' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit decrypt" no-config' -l 'no-config' -d 'Ignore the config file ($SMIMEKIT_CONFIG, else $XDG_CONFIG_HOME/smimekit/config, else ~/.config/smimekit/config).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit decrypt" version' -l 'version' -d 'Show the version.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit decrypt" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit trust" version' -l 'version' -d 'Show the version.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit trust" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_positional "smimekit trust" -eq 1' -fa 'list' -d 'List each trust anchor: subject, SHA-256 fingerprint, notAfter and where it came from.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit trust list"' -l 'trust' -d 'Trust the certificates in this PEM/DER file or directory as anchors (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit trust list" no-system-trust' -l 'no-system-trust' -d 'Trust only the anchors given with --trust, not the system store (the same as --trust-source none).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit trust list" trust-source' -l 'trust-source' -d 'Default anchors: nss-email (the roots NSS\'s built-in store trusts for e-mail, as Thunderbird; the default), bundle (the system CA bundle, TLS roots) or none. See `smimekit trust list`.' -rfka 'nss-email bundle none'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit trust list" format' -l 'format' -d 'text (a line an anchor; default on a terminal) or ndjson (a JSON object a line; default in a pipe).' -rfka 'text ndjson json'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit trust list" version' -l 'version' -d 'Show the version.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit trust list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" request' -l 'request' -d 'Read the Request from this file instead of standard input.' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" session' -l 'session' -d 'Print the Session object (RFC 8620 2) instead of answering a request.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_positional "smimekit jmap" -ge 1' -fa '(__smimekit_complete_directories)'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap"' -l 'trust' -d 'Trust the certificates in this PEM/DER file or directory as anchors (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" no-system-trust' -l 'no-system-trust' -d 'Trust only the anchors given with --trust, not the system store (the same as --trust-source none).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" trust-source' -l 'trust-source' -d 'Default anchors: nss-email (the roots NSS\'s built-in store trusts for e-mail, as Thunderbird; the default), bundle (the system CA bundle, TLS roots) or none. See `smimekit trust list`.' -rfka 'nss-email bundle none'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap"' -l 'certs' -d 'Extra certificates (intermediates, signers) to build paths with; not trusted (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap"' -l 'crl' -d 'CRLs, PEM or DER, file or directory (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" revocation' -l 'revocation' -d 'off, soft (a revoked certificate fails, a missing CRL does not) or hard (a certificate without a known status fails).' -rfka 'off soft hard'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" online' -l 'online' -d 'Ask the OCSP responders and CRL distribution points (http only) that certificates name, and fetch missing issuers from AIA caIssuers. Off by default: an OCSP query tells the CA which certificate you checked.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" online-timeout' -l 'online-timeout' -d 'With --online, seconds each URL may take, connecting included (1 to 60).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" allow-sha1' -l 'allow-sha1' -d 'Accept SHA-1 digests and SHA-1 signed certificates.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" allow-md5' -l 'allow-md5' -d 'Accept MD5 digests and MD5 signed certificates.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" min-rsa-bits' -l 'min-rsa-bits' -d 'Smallest RSA key accepted for the signer and the CAs of its path (default 2048, RFC 8551; 1024 at the least, for old archives).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" no-sender-check' -l 'no-sender-check' -d 'Do not require the From address to appear in the signer certificate.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" max-layers' -l 'max-layers' -d 'Most nested S/MIME layers (signed or encrypted) looked into.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" max-certificates' -l 'max-certificates' -d 'Most certificates one signature may carry.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" at' -l 'at' -d 'Verification time: RFC 3339 with a zone (2026-03-01T12:00:00Z, 2026-03-01T13:00:00+01:00) or a date (2026-03-01, meaning 00:00Z); default: now.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" received-at' -l 'received-at' -d 'Delivery time for smimeStatusAtDelivery (default: the topmost Received header, else Date, else the file\'s modification time).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap"' -l 'decrypt-key' -d 'Private key to open encrypted messages: PEM, DER or PKCS#12 (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap"' -l 'decrypt-cert' -d 'Certificate of the --decrypt-key (when the key file does not hold it).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" passin' -l 'passin' -d 'Password of keys and PKCS#12 files: pass:PASSWORD, env:VAR, file:PATH or fd:N.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" store' -l 'store' -d 'The result cache (default: $XDG_CACHE_HOME/smimekit/results.sqlite, else ~/.cache/smimekit/results.sqlite; none when HOME, or the parent of XDG_CACHE_HOME, does not exist). query, changes and status name a file whose stat(2) stamp (device, inode, size, mtime, ctime) is unchanged by the digest recorded for it; verify always reads and hashes the file before serving a stored verdict.' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" no-cache' -l 'no-cache' -d 'Neither read nor write the result cache (even one named with --store): verify everything now.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" max-age' -l 'max-age' -d 'Serve a cached smimeStatus and smimeErrors at most this many seconds after they were computed (0 to 86400; RFC 9219 allows 24 hours).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" key' -l 'key' -d 'Signing key: PEM, DER or PKCS#12 (a .p12 holds the certificate too).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" cert' -l 'cert' -d 'Certificate of --key, when the key file does not hold it.' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap"' -l 'chain' -d 'Intermediate certificates to send with the signature (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" identities' -l 'identities' -d 'Directory of PKCS#12 or PEM key+certificate files; the one naming the signer\'s address is used.' -rfa '(__smimekit_complete_directories)'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" digest' -l 'digest' -d 'Digest: sha256 (default), sha384, sha512 or sha224.' -rfka 'sha256 sha384 sha512 sha224'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" pss' -l 'pss' -d 'Sign with RSASSA-PSS instead of PKCS#1 v1.5 (RSA keys).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" opaque' -l 'opaque' -d 'Opaque signed-data (application/pkcs7-mime) instead of multipart/signed.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap"' -l 'recipients' -d 'Address book: a directory (or file) of PEM/DER certificates, matched by the addresses they carry (repeatable).' -rfa '(__smimekit_complete_directories)'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap"' -l 'recipient-cert' -d 'A recipient certificate (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" cipher' -l 'cipher' -d 'aes-256-gcm (default, AuthEnvelopedData), aes-128-gcm, aes-256-cbc or aes-128-cbc (for older readers).' -rfka 'aes-256-gcm aes-128-gcm aes-256-cbc aes-128-cbc'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" oaep' -l 'oaep' -d 'RSAES-OAEP key transport for RSA recipients (default PKCS#1 v1.5; EC recipients use ECDH).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" header-protection' -l 'header-protection' -d 'RFC 9788 header protection of made mail: baseline (default), no-confidentiality or none; an Email\'s smimeHeaderProtection overrides it.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" blob-dir' -l 'blob-dir' -d 'Directory where Email/set attachment blobIds are found as file names.' -rfa '(__smimekit_complete_directories)'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" j jobs' -s 'j' -l 'jobs' -d 'Messages checked at once (default: all cores).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" max-message-size' -l 'max-message-size' -d 'Largest message read, in bytes (default 256 MiB).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" username' -l 'username' -d 'The Session\'s username and the account\'s name (default: $USER, else local).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" no-config' -l 'no-config' -d 'Ignore the config file ($SMIMEKIT_CONFIG, else $XDG_CONFIG_HOME/smimekit/config, else ~/.config/smimekit/config).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" version' -l 'version' -d 'Show the version.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit jmap" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" listen' -l 'listen' -d 'Address to listen on: HOST:PORT, [IPv6]:PORT; port 0 picks a free one.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" token-file' -l 'token-file' -d 'File holding the bearer token (mode 600).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" allow-non-loopback' -l 'allow-non-loopback' -d 'Allow an address other than loopback (the server speaks plain HTTP: put TLS in front).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_positional "smimekit serve" -ge 1' -fa '(__smimekit_complete_directories)'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve"' -l 'trust' -d 'Trust the certificates in this PEM/DER file or directory as anchors (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" no-system-trust' -l 'no-system-trust' -d 'Trust only the anchors given with --trust, not the system store (the same as --trust-source none).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" trust-source' -l 'trust-source' -d 'Default anchors: nss-email (the roots NSS\'s built-in store trusts for e-mail, as Thunderbird; the default), bundle (the system CA bundle, TLS roots) or none. See `smimekit trust list`.' -rfka 'nss-email bundle none'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve"' -l 'certs' -d 'Extra certificates (intermediates, signers) to build paths with; not trusted (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve"' -l 'crl' -d 'CRLs, PEM or DER, file or directory (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" revocation' -l 'revocation' -d 'off, soft (a revoked certificate fails, a missing CRL does not) or hard (a certificate without a known status fails).' -rfka 'off soft hard'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" online' -l 'online' -d 'Ask the OCSP responders and CRL distribution points (http only) that certificates name, and fetch missing issuers from AIA caIssuers. Off by default: an OCSP query tells the CA which certificate you checked.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" online-timeout' -l 'online-timeout' -d 'With --online, seconds each URL may take, connecting included (1 to 60).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" allow-sha1' -l 'allow-sha1' -d 'Accept SHA-1 digests and SHA-1 signed certificates.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" allow-md5' -l 'allow-md5' -d 'Accept MD5 digests and MD5 signed certificates.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" min-rsa-bits' -l 'min-rsa-bits' -d 'Smallest RSA key accepted for the signer and the CAs of its path (default 2048, RFC 8551; 1024 at the least, for old archives).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" no-sender-check' -l 'no-sender-check' -d 'Do not require the From address to appear in the signer certificate.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" max-layers' -l 'max-layers' -d 'Most nested S/MIME layers (signed or encrypted) looked into.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" max-certificates' -l 'max-certificates' -d 'Most certificates one signature may carry.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" at' -l 'at' -d 'Verification time: RFC 3339 with a zone (2026-03-01T12:00:00Z, 2026-03-01T13:00:00+01:00) or a date (2026-03-01, meaning 00:00Z); default: now.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" received-at' -l 'received-at' -d 'Delivery time for smimeStatusAtDelivery (default: the topmost Received header, else Date, else the file\'s modification time).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve"' -l 'decrypt-key' -d 'Private key to open encrypted messages: PEM, DER or PKCS#12 (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve"' -l 'decrypt-cert' -d 'Certificate of the --decrypt-key (when the key file does not hold it).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" passin' -l 'passin' -d 'Password of keys and PKCS#12 files: pass:PASSWORD, env:VAR, file:PATH or fd:N.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" store' -l 'store' -d 'The result cache (default: $XDG_CACHE_HOME/smimekit/results.sqlite, else ~/.cache/smimekit/results.sqlite; none when HOME, or the parent of XDG_CACHE_HOME, does not exist). query, changes and status name a file whose stat(2) stamp (device, inode, size, mtime, ctime) is unchanged by the digest recorded for it; verify always reads and hashes the file before serving a stored verdict.' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" no-cache' -l 'no-cache' -d 'Neither read nor write the result cache (even one named with --store): verify everything now.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" max-age' -l 'max-age' -d 'Serve a cached smimeStatus and smimeErrors at most this many seconds after they were computed (0 to 86400; RFC 9219 allows 24 hours).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" key' -l 'key' -d 'Signing key: PEM, DER or PKCS#12 (a .p12 holds the certificate too).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" cert' -l 'cert' -d 'Certificate of --key, when the key file does not hold it.' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve"' -l 'chain' -d 'Intermediate certificates to send with the signature (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" identities' -l 'identities' -d 'Directory of PKCS#12 or PEM key+certificate files; the one naming the signer\'s address is used.' -rfa '(__smimekit_complete_directories)'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" digest' -l 'digest' -d 'Digest: sha256 (default), sha384, sha512 or sha224.' -rfka 'sha256 sha384 sha512 sha224'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" pss' -l 'pss' -d 'Sign with RSASSA-PSS instead of PKCS#1 v1.5 (RSA keys).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" opaque' -l 'opaque' -d 'Opaque signed-data (application/pkcs7-mime) instead of multipart/signed.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve"' -l 'recipients' -d 'Address book: a directory (or file) of PEM/DER certificates, matched by the addresses they carry (repeatable).' -rfa '(__smimekit_complete_directories)'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve"' -l 'recipient-cert' -d 'A recipient certificate (repeatable).' -rF
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" cipher' -l 'cipher' -d 'aes-256-gcm (default, AuthEnvelopedData), aes-128-gcm, aes-256-cbc or aes-128-cbc (for older readers).' -rfka 'aes-256-gcm aes-128-gcm aes-256-cbc aes-128-cbc'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" oaep' -l 'oaep' -d 'RSAES-OAEP key transport for RSA recipients (default PKCS#1 v1.5; EC recipients use ECDH).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" header-protection' -l 'header-protection' -d 'RFC 9788 header protection of made mail: baseline (default), no-confidentiality or none; an Email\'s smimeHeaderProtection overrides it.' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" blob-dir' -l 'blob-dir' -d 'Directory where Email/set attachment blobIds are found as file names.' -rfa '(__smimekit_complete_directories)'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" j jobs' -s 'j' -l 'jobs' -d 'Messages checked at once (default: all cores).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" max-message-size' -l 'max-message-size' -d 'Largest message read, in bytes (default 256 MiB).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" username' -l 'username' -d 'The Session\'s username and the account\'s name (default: $USER, else local).' -rfka ''
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" no-config' -l 'no-config' -d 'Ignore the config file ($SMIMEKIT_CONFIG, else $XDG_CONFIG_HOME/smimekit/config, else ~/.config/smimekit/config).'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" version' -l 'version' -d 'Show the version.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit serve" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'smimekit' -n '__smimekit_should_offer_completions_for_flags_or_options "smimekit help" version' -l 'version' -d 'Show the version.'
