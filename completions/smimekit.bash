#!/bin/bash

__smimekit_cursor_index_in_current_word() {
    local remaining="${COMP_LINE}"

    local word
    for word in "${COMP_WORDS[@]::COMP_CWORD}"; do
        remaining="${remaining##*([[:space:]])"${word}"*([[:space:]])}"
    done

    local -ir index="$((COMP_POINT - ${#COMP_LINE} + ${#remaining}))"
    if [[ "${index}" -le 0 ]]; then
        printf 0
    else
        printf %s "${index}"
    fi
}

# positional arguments:
#
# - 1: the current (sub)command's count of positional arguments
#
# required variables:
#
# - repeating_flags: the repeating flags that the current (sub)command can accept
# - non_repeating_flags: the non-repeating flags that the current (sub)command can accept
# - repeating_options: the repeating options that the current (sub)command can accept
# - non_repeating_options: the non-repeating options that the current (sub)command can accept
# - positional_number: value ignored
# - unparsed_words: unparsed words from the current command line
#
# modified variables:
#
# - non_repeating_flags: remove flags for this (sub)command that are already on the command line
# - non_repeating_options: remove options for this (sub)command that are already on the command line
# - positional_number: set to the current positional number
# - unparsed_words: remove all flags, options, and option values for this (sub)command
__smimekit_offer_flags_options() {
    local -ir positional_count="${1}"
    positional_number=0

    local was_flag_option_terminator_seen=false
    local is_parsing_option_value=false

    local -ar unparsed_word_indices=("${!unparsed_words[@]}")
    local -i word_index
    for word_index in "${unparsed_word_indices[@]}"; do
        if "${is_parsing_option_value}"; then
            # This word is an option value:
            # Reset marker for next word iff not currently the last word
            [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]] && is_parsing_option_value=false
            unset "unparsed_words[${word_index}]"
            # Do not process this word as a flag or an option
            continue
        fi

        local word="${unparsed_words["${word_index}"]}"
        if ! "${was_flag_option_terminator_seen}"; then
            case "${word}" in
            --)
                unset "unparsed_words[${word_index}]"
                # by itself -- is a flag/option terminator, but if it is the last word, it is the start of a completion
                if [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]]; then
                    was_flag_option_terminator_seen=true
                fi
                continue
                ;;
            -*)
                # ${word} is a flag or an option
                # If ${word} is an option, mark that the next word to be parsed is an option value
                local option
                for option in "${repeating_options[@]}" "${non_repeating_options[@]}"; do
                    [[ "${word}" = "${option}" ]] && is_parsing_option_value=true && break
                done

                # Remove ${word} from ${non_repeating_flags} or ${non_repeating_options} so it isn't offered again
                local not_found=true
                local -i index
                for index in "${!non_repeating_flags[@]}"; do
                    if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                        unset "non_repeating_flags[${index}]"
                        non_repeating_flags=("${non_repeating_flags[@]}")
                        not_found=false
                        break
                    fi
                done
                if "${not_found}"; then
                    for index in "${!non_repeating_flags[@]}"; do
                        if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                            unset "non_repeating_flags[${index}]"
                            non_repeating_flags=("${non_repeating_flags[@]}")
                            break
                        fi
                    done
                fi
                unset "unparsed_words[${word_index}]"
                continue
                ;;
            esac
        fi

        # ${word} is neither a flag, nor an option, nor an option value
        if [[ "${positional_number}" -lt "${positional_count}" || "${positional_count}" -lt 0 ]]; then
            # ${word} is a positional
            ((positional_number++))
            unset "unparsed_words[${word_index}]"
        else
            if [[ -z "${word}" ]]; then
                # Could be completing a flag, option, or subcommand
                positional_number=-1
            else
                # ${word} is a subcommand or invalid, so stop processing this (sub)command
                positional_number=-2
            fi
            break
        fi
    done

    unparsed_words=("${unparsed_words[@]}")

    if\
        ! "${was_flag_option_terminator_seen}"\
        && ! "${is_parsing_option_value}"\
        && [[ ("${cur}" = -* && "${positional_number}" -ge 0) || "${positional_number}" -eq -1 ]]
    then
        COMPREPLY+=($(compgen -W "${repeating_flags[*]} ${non_repeating_flags[*]} ${repeating_options[*]} ${non_repeating_options[*]}" -- "${cur}"))
    fi
}

__smimekit_add_completions() {
    local completion
    while IFS='' read -r completion; do
        COMPREPLY+=("${completion}")
    done < <(IFS=$'\n' compgen "${@}" -- "${cur}")
}

__smimekit_custom_complete() {
    if [[ -n "${cur}" || -z ${COMP_WORDS[${COMP_CWORD}]} || "${COMP_LINE:${COMP_POINT}:1}" != ' ' ]]; then
        local -ar words=("${COMP_WORDS[@]}")
    else
        local -ar words=("${COMP_WORDS[@]::${COMP_CWORD}}" '' "${COMP_WORDS[@]:${COMP_CWORD}}")
    fi

    "${COMP_WORDS[0]}" "${@}" "${words[@]}"
}

_smimekit() {
    local state
    state="$(shopt -p;shopt -po)"
    trap "${state//$'\n'/;}" RETURN
    shopt -s extglob
    set +o history +o posix

    local -xr SAP_SHELL=bash
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(IFS='.';printf %s "${BASH_VERSINFO[*]}")"
    local -r SAP_SHELL_VERSION

    local -r cur="${2}"
    local -r prev="${3}"

    local -i positional_number
    local -a unparsed_words=("${COMP_WORDS[@]:1:${COMP_CWORD}}")

    local -a repeating_flags=()
    local -a non_repeating_flags=(--version -h --help)
    local -a repeating_options=()
    local -a non_repeating_options=()
    __smimekit_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    status|verify|query|changes|sign|encrypt|decrypt|trust|jmap|serve|help)
        # Offer subcommand argument completions
        "_smimekit_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'status verify query changes sign encrypt decrypt trust jmap serve help' -- "${cur}"))
        ;;
    esac
}

_smimekit_status() {
    repeating_flags=()
    non_repeating_flags=(--no-progress --no-system-trust --online --allow-sha1 --allow-md5 --no-sender-check --no-cache -l --paths-only -0 --null --no-config --cached --version -h --help)
    repeating_options=(--trust --certs --crl --decrypt-key --decrypt-cert)
    non_repeating_options=(-j --jobs --max-message-size --max-in-memory-size --max-depth --max-parts --max-header-bytes --max-header-fields --format --properties --trust-source --revocation --online-timeout --min-rsa-bits --max-layers --max-certificates --at --received-at --passin --store --max-age)
    __smimekit_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '-j'|'--jobs')
        return
        ;;
    '--max-message-size')
        return
        ;;
    '--max-in-memory-size')
        return
        ;;
    '--max-depth')
        return
        ;;
    '--max-parts')
        return
        ;;
    '--max-header-bytes')
        return
        ;;
    '--max-header-fields')
        return
        ;;
    '--format')
        __smimekit_add_completions -W 'text'$'\n''ndjson'$'\n''json'
        return
        ;;
    '--properties')
        __smimekit_add_completions -W 'smimeStatus'$'\n''smimeStatusAtDelivery'$'\n''smimeErrors'$'\n''smimeVerifiedAt'
        return
        ;;
    '--trust')
        __smimekit_add_completions -f
        return
        ;;
    '--trust-source')
        __smimekit_add_completions -W 'nss-email'$'\n''bundle'$'\n''none'
        return
        ;;
    '--certs')
        __smimekit_add_completions -f
        return
        ;;
    '--crl')
        __smimekit_add_completions -f
        return
        ;;
    '--revocation')
        __smimekit_add_completions -W 'off'$'\n''soft'$'\n''hard'
        return
        ;;
    '--online-timeout')
        return
        ;;
    '--min-rsa-bits')
        return
        ;;
    '--max-layers')
        return
        ;;
    '--max-certificates')
        return
        ;;
    '--at')
        return
        ;;
    '--received-at')
        return
        ;;
    '--decrypt-key')
        __smimekit_add_completions -f
        return
        ;;
    '--decrypt-cert')
        __smimekit_add_completions -f
        return
        ;;
    '--passin')
        return
        ;;
    '--store')
        __smimekit_add_completions -f
        return
        ;;
    '--max-age')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    *)
        __smimekit_add_completions -f
        return
        ;;
    esac
}

_smimekit_verify() {
    repeating_flags=()
    non_repeating_flags=(--no-progress --no-system-trust --online --allow-sha1 --allow-md5 --no-sender-check --no-cache --details -l --paths-only -0 --null --no-config --version -h --help)
    repeating_options=(--trust --certs --crl --decrypt-key --decrypt-cert)
    non_repeating_options=(-j --jobs --max-message-size --max-in-memory-size --max-depth --max-parts --max-header-bytes --max-header-fields --format --properties --trust-source --revocation --online-timeout --min-rsa-bits --max-layers --max-certificates --at --received-at --passin --store --max-age --out --signer)
    __smimekit_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '-j'|'--jobs')
        return
        ;;
    '--max-message-size')
        return
        ;;
    '--max-in-memory-size')
        return
        ;;
    '--max-depth')
        return
        ;;
    '--max-parts')
        return
        ;;
    '--max-header-bytes')
        return
        ;;
    '--max-header-fields')
        return
        ;;
    '--format')
        __smimekit_add_completions -W 'text'$'\n''ndjson'$'\n''json'
        return
        ;;
    '--properties')
        __smimekit_add_completions -W 'smimeStatus'$'\n''smimeStatusAtDelivery'$'\n''smimeErrors'$'\n''smimeVerifiedAt'
        return
        ;;
    '--trust')
        __smimekit_add_completions -f
        return
        ;;
    '--trust-source')
        __smimekit_add_completions -W 'nss-email'$'\n''bundle'$'\n''none'
        return
        ;;
    '--certs')
        __smimekit_add_completions -f
        return
        ;;
    '--crl')
        __smimekit_add_completions -f
        return
        ;;
    '--revocation')
        __smimekit_add_completions -W 'off'$'\n''soft'$'\n''hard'
        return
        ;;
    '--online-timeout')
        return
        ;;
    '--min-rsa-bits')
        return
        ;;
    '--max-layers')
        return
        ;;
    '--max-certificates')
        return
        ;;
    '--at')
        return
        ;;
    '--received-at')
        return
        ;;
    '--decrypt-key')
        __smimekit_add_completions -f
        return
        ;;
    '--decrypt-cert')
        __smimekit_add_completions -f
        return
        ;;
    '--passin')
        return
        ;;
    '--store')
        __smimekit_add_completions -f
        return
        ;;
    '--max-age')
        return
        ;;
    '--out')
        __smimekit_add_completions -f
        return
        ;;
    '--signer')
        __smimekit_add_completions -f
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    *)
        __smimekit_add_completions -f
        return
        ;;
    esac
}

_smimekit_query() {
    repeating_flags=()
    non_repeating_flags=(--no-progress --has-smime --no-has-smime --has-verified-smime --no-has-verified-smime --has-verified-smime-at-delivery --no-has-verified-smime-at-delivery --has-attachment --no-has-attachment -q --quiet -0 --null --no-system-trust --online --allow-sha1 --allow-md5 --no-sender-check --no-cache --no-config --version -h --help)
    repeating_options=(--header --has-keyword --not-keyword --sort --trust --certs --crl --decrypt-key --decrypt-cert)
    non_repeating_options=(-j --jobs --max-message-size --max-in-memory-size --max-depth --max-parts --max-header-bytes --max-header-fields --from --to --cc --bcc --subject --text --body --before --after --min-size --max-size --filter --position --limit --format --properties --trust-source --revocation --online-timeout --min-rsa-bits --max-layers --max-certificates --at --received-at --passin --store --max-age)
    __smimekit_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '-j'|'--jobs')
        return
        ;;
    '--max-message-size')
        return
        ;;
    '--max-in-memory-size')
        return
        ;;
    '--max-depth')
        return
        ;;
    '--max-parts')
        return
        ;;
    '--max-header-bytes')
        return
        ;;
    '--max-header-fields')
        return
        ;;
    '--from')
        return
        ;;
    '--to')
        return
        ;;
    '--cc')
        return
        ;;
    '--bcc')
        return
        ;;
    '--subject')
        return
        ;;
    '--text')
        return
        ;;
    '--body')
        return
        ;;
    '--header')
        return
        ;;
    '--before')
        return
        ;;
    '--after')
        return
        ;;
    '--min-size')
        return
        ;;
    '--max-size')
        return
        ;;
    '--has-keyword')
        return
        ;;
    '--not-keyword')
        return
        ;;
    '--filter')
        return
        ;;
    '--sort')
        __smimekit_add_completions -W 'receivedAt'$'\n''receivedAt:desc'$'\n''sentAt'$'\n''sentAt:desc'$'\n''size'$'\n''size:desc'$'\n''from'$'\n''from:desc'$'\n''to'$'\n''to:desc'$'\n''subject'$'\n''subject:desc'
        return
        ;;
    '--position')
        return
        ;;
    '--limit')
        return
        ;;
    '--format')
        __smimekit_add_completions -W 'text'$'\n''ndjson'$'\n''json'
        return
        ;;
    '--properties')
        __smimekit_add_completions -W 'smimeStatus'$'\n''smimeStatusAtDelivery'$'\n''smimeErrors'$'\n''smimeVerifiedAt'
        return
        ;;
    '--trust')
        __smimekit_add_completions -f
        return
        ;;
    '--trust-source')
        __smimekit_add_completions -W 'nss-email'$'\n''bundle'$'\n''none'
        return
        ;;
    '--certs')
        __smimekit_add_completions -f
        return
        ;;
    '--crl')
        __smimekit_add_completions -f
        return
        ;;
    '--revocation')
        __smimekit_add_completions -W 'off'$'\n''soft'$'\n''hard'
        return
        ;;
    '--online-timeout')
        return
        ;;
    '--min-rsa-bits')
        return
        ;;
    '--max-layers')
        return
        ;;
    '--max-certificates')
        return
        ;;
    '--at')
        return
        ;;
    '--received-at')
        return
        ;;
    '--decrypt-key')
        __smimekit_add_completions -f
        return
        ;;
    '--decrypt-cert')
        __smimekit_add_completions -f
        return
        ;;
    '--passin')
        return
        ;;
    '--store')
        __smimekit_add_completions -f
        return
        ;;
    '--max-age')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    *)
        __smimekit_add_completions -f
        return
        ;;
    esac
}

_smimekit_changes() {
    repeating_flags=()
    non_repeating_flags=(--no-progress --no-system-trust --online --allow-sha1 --allow-md5 --no-sender-check --no-cache --no-config --version -h --help)
    repeating_options=(--trust --certs --crl --decrypt-key --decrypt-cert)
    non_repeating_options=(--since --max-changes -j --jobs --max-message-size --max-in-memory-size --max-depth --max-parts --max-header-bytes --max-header-fields --trust-source --revocation --online-timeout --min-rsa-bits --max-layers --max-certificates --at --received-at --passin --store --max-age)
    __smimekit_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--since')
        return
        ;;
    '--max-changes')
        return
        ;;
    '-j'|'--jobs')
        return
        ;;
    '--max-message-size')
        return
        ;;
    '--max-in-memory-size')
        return
        ;;
    '--max-depth')
        return
        ;;
    '--max-parts')
        return
        ;;
    '--max-header-bytes')
        return
        ;;
    '--max-header-fields')
        return
        ;;
    '--trust')
        __smimekit_add_completions -f
        return
        ;;
    '--trust-source')
        __smimekit_add_completions -W 'nss-email'$'\n''bundle'$'\n''none'
        return
        ;;
    '--certs')
        __smimekit_add_completions -f
        return
        ;;
    '--crl')
        __smimekit_add_completions -f
        return
        ;;
    '--revocation')
        __smimekit_add_completions -W 'off'$'\n''soft'$'\n''hard'
        return
        ;;
    '--online-timeout')
        return
        ;;
    '--min-rsa-bits')
        return
        ;;
    '--max-layers')
        return
        ;;
    '--max-certificates')
        return
        ;;
    '--at')
        return
        ;;
    '--received-at')
        return
        ;;
    '--decrypt-key')
        __smimekit_add_completions -f
        return
        ;;
    '--decrypt-cert')
        __smimekit_add_completions -f
        return
        ;;
    '--passin')
        return
        ;;
    '--store')
        __smimekit_add_completions -f
        return
        ;;
    '--max-age')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    *)
        __smimekit_add_completions -f
        return
        ;;
    esac
}

_smimekit_sign() {
    repeating_flags=()
    non_repeating_flags=(--pss --opaque --encrypt --oaep --no-config --version -h --help)
    repeating_options=(--chain --recipients --recipient-cert --crl)
    non_repeating_options=(-o --output --jmap --output-dir --blob-dir --at --header-protection --key --cert --identities --passin --digest --cipher)
    __smimekit_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '-o'|'--output')
        __smimekit_add_completions -f
        return
        ;;
    '--jmap')
        __smimekit_add_completions -f
        return
        ;;
    '--output-dir')
        __smimekit_add_completions -d
        return
        ;;
    '--blob-dir')
        __smimekit_add_completions -d
        return
        ;;
    '--at')
        return
        ;;
    '--header-protection')
        return
        ;;
    '--key')
        __smimekit_add_completions -f
        return
        ;;
    '--cert')
        __smimekit_add_completions -f
        return
        ;;
    '--chain')
        __smimekit_add_completions -f
        return
        ;;
    '--identities')
        __smimekit_add_completions -d
        return
        ;;
    '--passin')
        return
        ;;
    '--digest')
        __smimekit_add_completions -W 'sha256'$'\n''sha384'$'\n''sha512'$'\n''sha224'
        return
        ;;
    '--recipients')
        __smimekit_add_completions -d
        return
        ;;
    '--recipient-cert')
        __smimekit_add_completions -f
        return
        ;;
    '--crl')
        __smimekit_add_completions -f
        return
        ;;
    '--cipher')
        __smimekit_add_completions -W 'aes-256-gcm'$'\n''aes-128-gcm'$'\n''aes-256-cbc'$'\n''aes-128-cbc'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __smimekit_add_completions -f
        return
        ;;
    esac
}

_smimekit_encrypt() {
    repeating_flags=()
    non_repeating_flags=(--oaep --sign --pss --opaque --no-config --version -h --help)
    repeating_options=(--recipients --recipient-cert --crl --chain)
    non_repeating_options=(-o --output --jmap --output-dir --blob-dir --at --header-protection --cipher --key --cert --identities --passin --digest)
    __smimekit_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '-o'|'--output')
        __smimekit_add_completions -f
        return
        ;;
    '--jmap')
        __smimekit_add_completions -f
        return
        ;;
    '--output-dir')
        __smimekit_add_completions -d
        return
        ;;
    '--blob-dir')
        __smimekit_add_completions -d
        return
        ;;
    '--at')
        return
        ;;
    '--header-protection')
        return
        ;;
    '--recipients')
        __smimekit_add_completions -d
        return
        ;;
    '--recipient-cert')
        __smimekit_add_completions -f
        return
        ;;
    '--crl')
        __smimekit_add_completions -f
        return
        ;;
    '--cipher')
        __smimekit_add_completions -W 'aes-256-gcm'$'\n''aes-128-gcm'$'\n''aes-256-cbc'$'\n''aes-128-cbc'
        return
        ;;
    '--key')
        __smimekit_add_completions -f
        return
        ;;
    '--cert')
        __smimekit_add_completions -f
        return
        ;;
    '--chain')
        __smimekit_add_completions -f
        return
        ;;
    '--identities')
        __smimekit_add_completions -d
        return
        ;;
    '--passin')
        return
        ;;
    '--digest')
        __smimekit_add_completions -W 'sha256'$'\n''sha384'$'\n''sha512'$'\n''sha224'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __smimekit_add_completions -f
        return
        ;;
    esac
}

_smimekit_decrypt() {
    repeating_flags=()
    non_repeating_flags=(--no-config --version -h --help)
    repeating_options=(--key --decrypt-key --cert --decrypt-cert)
    non_repeating_options=(--passin -o --output)
    __smimekit_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--key'|'--decrypt-key')
        __smimekit_add_completions -f
        return
        ;;
    '--cert'|'--decrypt-cert')
        __smimekit_add_completions -f
        return
        ;;
    '--passin')
        return
        ;;
    '-o'|'--output')
        __smimekit_add_completions -f
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __smimekit_add_completions -f
        return
        ;;
    esac
}

_smimekit_trust() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __smimekit_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    list)
        # Offer subcommand argument completions
        "_smimekit_trust_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'list' -- "${cur}"))
        ;;
    esac
}

_smimekit_trust_list() {
    repeating_flags=()
    non_repeating_flags=(--no-system-trust --version -h --help)
    repeating_options=(--trust)
    non_repeating_options=(--trust-source --format)
    __smimekit_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--trust')
        __smimekit_add_completions -f
        return
        ;;
    '--trust-source')
        __smimekit_add_completions -W 'nss-email'$'\n''bundle'$'\n''none'
        return
        ;;
    '--format')
        __smimekit_add_completions -W 'text'$'\n''ndjson'$'\n''json'
        return
        ;;
    esac
}

_smimekit_jmap() {
    repeating_flags=()
    non_repeating_flags=(--session --no-system-trust --online --allow-sha1 --allow-md5 --no-sender-check --no-cache --pss --opaque --oaep --no-config --version -h --help)
    repeating_options=(--trust --certs --crl --decrypt-key --decrypt-cert --chain --recipients --recipient-cert)
    non_repeating_options=(--request --trust-source --revocation --online-timeout --min-rsa-bits --max-layers --max-certificates --at --received-at --passin --store --max-age --key --cert --identities --digest --cipher --header-protection --blob-dir -j --jobs --max-message-size --username)
    __smimekit_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--request')
        __smimekit_add_completions -f
        return
        ;;
    '--trust')
        __smimekit_add_completions -f
        return
        ;;
    '--trust-source')
        __smimekit_add_completions -W 'nss-email'$'\n''bundle'$'\n''none'
        return
        ;;
    '--certs')
        __smimekit_add_completions -f
        return
        ;;
    '--crl')
        __smimekit_add_completions -f
        return
        ;;
    '--revocation')
        __smimekit_add_completions -W 'off'$'\n''soft'$'\n''hard'
        return
        ;;
    '--online-timeout')
        return
        ;;
    '--min-rsa-bits')
        return
        ;;
    '--max-layers')
        return
        ;;
    '--max-certificates')
        return
        ;;
    '--at')
        return
        ;;
    '--received-at')
        return
        ;;
    '--decrypt-key')
        __smimekit_add_completions -f
        return
        ;;
    '--decrypt-cert')
        __smimekit_add_completions -f
        return
        ;;
    '--passin')
        return
        ;;
    '--store')
        __smimekit_add_completions -f
        return
        ;;
    '--max-age')
        return
        ;;
    '--key')
        __smimekit_add_completions -f
        return
        ;;
    '--cert')
        __smimekit_add_completions -f
        return
        ;;
    '--chain')
        __smimekit_add_completions -f
        return
        ;;
    '--identities')
        __smimekit_add_completions -d
        return
        ;;
    '--digest')
        __smimekit_add_completions -W 'sha256'$'\n''sha384'$'\n''sha512'$'\n''sha224'
        return
        ;;
    '--recipients')
        __smimekit_add_completions -d
        return
        ;;
    '--recipient-cert')
        __smimekit_add_completions -f
        return
        ;;
    '--cipher')
        __smimekit_add_completions -W 'aes-256-gcm'$'\n''aes-128-gcm'$'\n''aes-256-cbc'$'\n''aes-128-cbc'
        return
        ;;
    '--header-protection')
        return
        ;;
    '--blob-dir')
        __smimekit_add_completions -d
        return
        ;;
    '-j'|'--jobs')
        return
        ;;
    '--max-message-size')
        return
        ;;
    '--username')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    *)
        __smimekit_add_completions -d
        return
        ;;
    esac
}

_smimekit_serve() {
    repeating_flags=()
    non_repeating_flags=(--allow-non-loopback --no-system-trust --online --allow-sha1 --allow-md5 --no-sender-check --no-cache --pss --opaque --oaep --no-config --version -h --help)
    repeating_options=(--trust --certs --crl --decrypt-key --decrypt-cert --chain --recipients --recipient-cert)
    non_repeating_options=(--listen --token-file --trust-source --revocation --online-timeout --min-rsa-bits --max-layers --max-certificates --at --received-at --passin --store --max-age --key --cert --identities --digest --cipher --header-protection --blob-dir -j --jobs --max-message-size --username)
    __smimekit_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--listen')
        return
        ;;
    '--token-file')
        __smimekit_add_completions -f
        return
        ;;
    '--trust')
        __smimekit_add_completions -f
        return
        ;;
    '--trust-source')
        __smimekit_add_completions -W 'nss-email'$'\n''bundle'$'\n''none'
        return
        ;;
    '--certs')
        __smimekit_add_completions -f
        return
        ;;
    '--crl')
        __smimekit_add_completions -f
        return
        ;;
    '--revocation')
        __smimekit_add_completions -W 'off'$'\n''soft'$'\n''hard'
        return
        ;;
    '--online-timeout')
        return
        ;;
    '--min-rsa-bits')
        return
        ;;
    '--max-layers')
        return
        ;;
    '--max-certificates')
        return
        ;;
    '--at')
        return
        ;;
    '--received-at')
        return
        ;;
    '--decrypt-key')
        __smimekit_add_completions -f
        return
        ;;
    '--decrypt-cert')
        __smimekit_add_completions -f
        return
        ;;
    '--passin')
        return
        ;;
    '--store')
        __smimekit_add_completions -f
        return
        ;;
    '--max-age')
        return
        ;;
    '--key')
        __smimekit_add_completions -f
        return
        ;;
    '--cert')
        __smimekit_add_completions -f
        return
        ;;
    '--chain')
        __smimekit_add_completions -f
        return
        ;;
    '--identities')
        __smimekit_add_completions -d
        return
        ;;
    '--digest')
        __smimekit_add_completions -W 'sha256'$'\n''sha384'$'\n''sha512'$'\n''sha224'
        return
        ;;
    '--recipients')
        __smimekit_add_completions -d
        return
        ;;
    '--recipient-cert')
        __smimekit_add_completions -f
        return
        ;;
    '--cipher')
        __smimekit_add_completions -W 'aes-256-gcm'$'\n''aes-128-gcm'$'\n''aes-256-cbc'$'\n''aes-128-cbc'
        return
        ;;
    '--header-protection')
        return
        ;;
    '--blob-dir')
        __smimekit_add_completions -d
        return
        ;;
    '-j'|'--jobs')
        return
        ;;
    '--max-message-size')
        return
        ;;
    '--username')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    *)
        __smimekit_add_completions -d
        return
        ;;
    esac
}

_smimekit_help() {
    repeating_flags=()
    non_repeating_flags=(--version)
    repeating_options=()
    non_repeating_options=()
    __smimekit_offer_flags_options -1
}

complete -o filenames -F _smimekit smimekit
