#!/bin/bash

__mailsh_cursor_index_in_current_word() {
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
__mailsh_offer_flags_options() {
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

__mailsh_add_completions() {
    local completion
    while IFS='' read -r completion; do
        COMPREPLY+=("${completion}")
    done < <(IFS=$'\n' compgen "${@}" -- "${cur}")
}

__mailsh_custom_complete() {
    if [[ -n "${cur}" || -z ${COMP_WORDS[${COMP_CWORD}]} || "${COMP_LINE:${COMP_POINT}:1}" != ' ' ]]; then
        local -ar words=("${COMP_WORDS[@]}")
    else
        local -ar words=("${COMP_WORDS[@]::${COMP_CWORD}}" '' "${COMP_WORDS[@]:${COMP_CWORD}}")
    fi

    "${COMP_WORDS[0]}" "${@}" "${words[@]}"
}

_mailsh() {
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
    local -a non_repeating_flags=(--no-pager --keep-going --no-rc --version -h --help)
    local -a repeating_options=()
    local -a non_repeating_options=(--store --as --format)
    __mailsh_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    account|user|personal|record|outbox|match|monitor|status|store|audit|export|import|completion|run|lua|help)
        # Offer subcommand argument completions
        "_mailsh_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'account user personal record outbox match monitor status store audit export import completion run lua help' -- "${cur}"))
        ;;
    esac
}

_mailsh_account() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __mailsh_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    list|show|create|set|copy|rename|delete|lock|unlock|password|client-key|login|logout|test|discover|audit)
        # Offer subcommand argument completions
        "_mailsh_account_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'list show create set copy rename delete lock unlock password client-key login logout test discover audit' -- "${cur}"))
        ;;
    esac
}

_mailsh_account_list() {
    repeating_flags=()
    non_repeating_flags=(--no-header --json-lines --no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--match --protocol --owner --columns --sort --limit --store --as --format)
    __mailsh_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--match')
        return
        ;;
    '--protocol')
        __mailsh_add_completions -W 'imap'$'\n''pop3'
        return
        ;;
    '--owner')
        return
        ;;
    '--columns')
        return
        ;;
    '--sort')
        return
        ;;
    '--limit')
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account list -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac
}

_mailsh_account_show() {
    repeating_flags=()
    non_repeating_flags=(--no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--field --store --as --format)
    __mailsh_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--field')
        __mailsh_add_completions -W 'protocol'$'\n''incoming.host'$'\n''incoming.port'$'\n''incoming.security'$'\n''incoming.user'$'\n''incoming.folder'$'\n''incoming.after'$'\n''incoming.move_to'$'\n''incoming.read'$'\n''incoming.ca_file'$'\n''incoming.insecure'$'\n''incoming.allow_plaintext'$'\n''incoming.auth'$'\n''incoming.client_cert'$'\n''incoming.client_key'$'\n''outgoing.host'$'\n''outgoing.port'$'\n''outgoing.security'$'\n''outgoing.user'$'\n''outgoing.from'$'\n''outgoing.display_name'$'\n''outgoing.reply_to'$'\n''outgoing.ca_file'$'\n''outgoing.insecure'$'\n''outgoing.allow_plaintext'$'\n''outgoing.auth'$'\n''outgoing.client_cert'$'\n''outgoing.client_key'$'\n''conversation.prefix'$'\n''conversation.placement'$'\n''conversation.quoted'$'\n''oauth.provider'$'\n''oauth.tenant'$'\n''oauth.client_id'$'\n''oauth.scopes'$'\n''oauth.flow'$'\n''oauth.mechanism'$'\n''oauth.authority'$'\n''oauth.token_url'$'\n''oauth.device_url'$'\n''oauth.authorize_url'$'\n''oauth.revoke_url'$'\n''oauth.ca_file'$'\n''direction'
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account show -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account show -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_mailsh_account_create() {
    repeating_flags=()
    non_repeating_flags=(-y --yes --verify --no-guess --no-pager --version -h --help)
    repeating_options=(--connect-to)
    non_repeating_options=(--discover --dns-server --ca-file --timeout --ispdb --store --as --format)
    __mailsh_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--discover')
        return
        ;;
    '--dns-server')
        return
        ;;
    '--connect-to')
        return
        ;;
    '--ca-file')
        __mailsh_add_completions -o plusdirs -fX '!*.@(pem|crt)'
        return
        ;;
    '--timeout')
        return
        ;;
    '--ispdb')
        __mailsh_add_completions -d
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account create -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    *)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account create -- positional@1 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_mailsh_account_set() {
    repeating_flags=()
    non_repeating_flags=(--dry-run --no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--if-version --store --as --format)
    __mailsh_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--if-version')
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account set -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account set -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    *)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account set -- positional@1 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_mailsh_account_copy() {
    repeating_flags=()
    non_repeating_flags=(--no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--store --as --format)
    __mailsh_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account copy -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account copy -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_mailsh_account_rename() {
    repeating_flags=()
    non_repeating_flags=(--no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--if-version --store --as --format)
    __mailsh_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--if-version')
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account rename -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account rename -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_mailsh_account_delete() {
    repeating_flags=()
    non_repeating_flags=(--keep-user-accounts --delete-customizations -y --yes --dry-run --no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--store --as --format)
    __mailsh_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account delete -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account delete -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_mailsh_account_lock() {
    repeating_flags=()
    non_repeating_flags=(--dry-run --no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--store --as --format)
    __mailsh_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account lock -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account lock -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    *)
        __mailsh_add_completions -W 'incoming.server'$'\n''incoming.credentials'$'\n''outgoing.server'$'\n''outgoing.credentials'$'\n''oauth'$'\n''oauth.credentials'$'\n''server'$'\n''credentials'$'\n''all'
        return
        ;;
    esac
}

_mailsh_account_unlock() {
    repeating_flags=()
    non_repeating_flags=(--dry-run --no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--store --as --format)
    __mailsh_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account unlock -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account unlock -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    *)
        __mailsh_add_completions -W 'incoming.server'$'\n''incoming.credentials'$'\n''outgoing.server'$'\n''outgoing.credentials'$'\n''oauth'$'\n''oauth.credentials'$'\n''server'$'\n''credentials'$'\n''all'
        return
        ;;
    esac
}

_mailsh_account_password() {
    repeating_flags=()
    non_repeating_flags=(--clear --no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--password-file --password-fd --password-env --store --as --format)
    __mailsh_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--password-file')
        __mailsh_add_completions -f
        return
        ;;
    '--password-fd')
        return
        ;;
    '--password-env')
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account password -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account password -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    2)
        __mailsh_add_completions -W 'incoming'$'\n''outgoing'$'\n''oauth'
        return
        ;;
    esac
}

_mailsh_account_client-key() {
    repeating_flags=()
    non_repeating_flags=(--clear --no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--key-file --store --as --format)
    __mailsh_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--key-file')
        __mailsh_add_completions -f
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account client-key -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account client-key -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    2)
        __mailsh_add_completions -W 'incoming'$'\n''outgoing'
        return
        ;;
    esac
}

_mailsh_account_login() {
    repeating_flags=()
    non_repeating_flags=(--browser --open --no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--store --as --format)
    __mailsh_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account login -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account login -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_mailsh_account_logout() {
    repeating_flags=()
    non_repeating_flags=(--dry-run --no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--store --as --format)
    __mailsh_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account logout -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account logout -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_mailsh_account_test() {
    repeating_flags=()
    non_repeating_flags=(--all --incoming-only --outgoing-only --no-send --round-trip --transcript --json-lines --no-pager --version -h --help)
    repeating_options=(--resolve)
    non_repeating_options=(--match --concurrency --timeout --store --as --format)
    __mailsh_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--match')
        return
        ;;
    '--concurrency')
        return
        ;;
    '--timeout')
        return
        ;;
    '--resolve')
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account test -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account test -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_mailsh_account_discover() {
    repeating_flags=()
    non_repeating_flags=(--verify --no-guess --no-pager --version -h --help)
    repeating_options=(--connect-to)
    non_repeating_options=(--csv --dns-server --ca-file --timeout --ispdb --store --as --format)
    __mailsh_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--csv')
        __mailsh_add_completions -o plusdirs -fX '!*.@(csv)'
        return
        ;;
    '--dns-server')
        return
        ;;
    '--connect-to')
        return
        ;;
    '--ca-file')
        __mailsh_add_completions -o plusdirs -fX '!*.@(pem|crt)'
        return
        ;;
    '--timeout')
        return
        ;;
    '--ispdb')
        __mailsh_add_completions -d
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account discover -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac
}

_mailsh_account_audit() {
    repeating_flags=()
    non_repeating_flags=(--all --no-pager --version -h --help)
    repeating_options=(--resolve --connect-to)
    non_repeating_options=(--match --dkim-selector --dns-server --ca-file --timeout --store --as --format)
    __mailsh_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--match')
        return
        ;;
    '--dkim-selector')
        return
        ;;
    '--resolve')
        return
        ;;
    '--dns-server')
        return
        ;;
    '--connect-to')
        return
        ;;
    '--ca-file')
        __mailsh_add_completions -o plusdirs -fX '!*.@(pem|crt)'
        return
        ;;
    '--timeout')
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account audit -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion account audit -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_mailsh_user() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __mailsh_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    add|set|list|show|grant|revoke)
        # Offer subcommand argument completions
        "_mailsh_user_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'add set list show grant revoke' -- "${cur}"))
        ;;
    esac
}

_mailsh_user_add() {
    repeating_flags=()
    non_repeating_flags=(--no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--store --as --format)
    __mailsh_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion user add -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    *)
        __mailsh_add_completions -W 'email='$'\n''rights='
        return
        ;;
    esac
}

_mailsh_user_set() {
    repeating_flags=()
    non_repeating_flags=(--no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--store --as --format)
    __mailsh_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion user set -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion user set -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    *)
        __mailsh_add_completions -W 'email='
        return
        ;;
    esac
}

_mailsh_user_list() {
    repeating_flags=()
    non_repeating_flags=(--no-header --json-lines --no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--columns --sort --limit --store --as --format)
    __mailsh_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--columns')
        return
        ;;
    '--sort')
        return
        ;;
    '--limit')
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion user list -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac
}

_mailsh_user_show() {
    repeating_flags=()
    non_repeating_flags=(--no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--store --as --format)
    __mailsh_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion user show -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion user show -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_mailsh_user_grant() {
    repeating_flags=()
    non_repeating_flags=(--no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--store --as --format)
    __mailsh_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion user grant -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion user grant -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    2)
        __mailsh_add_completions -W 'administrate'$'\n''override_locks'$'\n''add_accounts'
        return
        ;;
    esac
}

_mailsh_user_revoke() {
    repeating_flags=()
    non_repeating_flags=(--no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--store --as --format)
    __mailsh_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion user revoke -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion user revoke -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    2)
        __mailsh_add_completions -W 'administrate'$'\n''override_locks'$'\n''add_accounts'
        return
        ;;
    esac
}

_mailsh_personal() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __mailsh_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    set|password|login|logout|show|clear)
        # Offer subcommand argument completions
        "_mailsh_personal_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'set password login logout show clear' -- "${cur}"))
        ;;
    esac
}

_mailsh_personal_set() {
    repeating_flags=()
    non_repeating_flags=(--no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--store --as --format)
    __mailsh_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion personal set -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion personal set -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    *)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion personal set -- positional@1 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_mailsh_personal_password() {
    repeating_flags=()
    non_repeating_flags=(--clear --no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--password-file --password-fd --password-env --store --as --format)
    __mailsh_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--password-file')
        __mailsh_add_completions -f
        return
        ;;
    '--password-fd')
        return
        ;;
    '--password-env')
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion personal password -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion personal password -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    2)
        __mailsh_add_completions -W 'incoming'$'\n''outgoing'$'\n''oauth'
        return
        ;;
    esac
}

_mailsh_personal_login() {
    repeating_flags=()
    non_repeating_flags=(--browser --open --no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--store --as --format)
    __mailsh_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion personal login -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion personal login -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_mailsh_personal_logout() {
    repeating_flags=()
    non_repeating_flags=(--dry-run --no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--store --as --format)
    __mailsh_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion personal logout -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion personal logout -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_mailsh_personal_show() {
    repeating_flags=()
    non_repeating_flags=(--no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--store --as --format)
    __mailsh_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion personal show -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion personal show -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_mailsh_personal_clear() {
    repeating_flags=()
    non_repeating_flags=(-y --yes --dry-run --no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--store --as --format)
    __mailsh_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion personal clear -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion personal clear -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    2)
        __mailsh_add_completions -W 'incoming.server'$'\n''incoming.credentials'$'\n''outgoing.server'$'\n''outgoing.credentials'$'\n''oauth'$'\n''oauth.credentials'$'\n''server'$'\n''credentials'$'\n''all'
        return
        ;;
    esac
}

_mailsh_record() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __mailsh_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    list|show|create|close|reopen|reply|held|assign|answer)
        # Offer subcommand argument completions
        "_mailsh_record_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'list show create close reopen reply held assign answer' -- "${cur}"))
        ;;
    esac
}

_mailsh_record_list() {
    repeating_flags=()
    non_repeating_flags=(--no-header --json-lines --no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--account --status --columns --sort --limit --store --as --format)
    __mailsh_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--account')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion record list -- --account "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--status')
        __mailsh_add_completions -W 'open'$'\n''closed'
        return
        ;;
    '--columns')
        return
        ;;
    '--sort')
        return
        ;;
    '--limit')
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion record list -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac
}

_mailsh_record_show() {
    repeating_flags=()
    non_repeating_flags=(--no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--store --as --format)
    __mailsh_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion record show -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac
}

_mailsh_record_create() {
    repeating_flags=()
    non_repeating_flags=(--no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--subject --requester --store --as --format)
    __mailsh_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--subject')
        return
        ;;
    '--requester')
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion record create -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion record create -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_mailsh_record_close() {
    repeating_flags=()
    non_repeating_flags=(--no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--version --store --as --format)
    __mailsh_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--version')
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion record close -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac
}

_mailsh_record_reopen() {
    repeating_flags=()
    non_repeating_flags=(--no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--version --store --as --format)
    __mailsh_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--version')
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion record reopen -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac
}

_mailsh_record_reply() {
    repeating_flags=()
    non_repeating_flags=(--no-pager --version -h --help)
    repeating_options=(--to)
    non_repeating_options=(--body --body-file --timeout --store --as --format)
    __mailsh_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--to')
        return
        ;;
    '--body')
        return
        ;;
    '--body-file')
        __mailsh_add_completions -f
        return
        ;;
    '--timeout')
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion record reply -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac
}

_mailsh_record_held() {
    repeating_flags=()
    non_repeating_flags=(--no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--account --store --as --format)
    __mailsh_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--account')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion record held -- --account "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion record held -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac
}

_mailsh_record_assign() {
    repeating_flags=()
    non_repeating_flags=(--new --no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--store --as --format)
    __mailsh_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion record assign -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac
}

_mailsh_record_answer() {
    repeating_flags=()
    non_repeating_flags=(--no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--body --body-file --timeout --store --as --format)
    __mailsh_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--body')
        return
        ;;
    '--body-file')
        __mailsh_add_completions -f
        return
        ;;
    '--timeout')
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion record answer -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac
}

_mailsh_outbox() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __mailsh_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    list|retry)
        # Offer subcommand argument completions
        "_mailsh_outbox_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'list retry' -- "${cur}"))
        ;;
    esac
}

_mailsh_outbox_list() {
    repeating_flags=()
    non_repeating_flags=(--all --no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--store --as --format)
    __mailsh_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion outbox list -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac
}

_mailsh_outbox_retry() {
    repeating_flags=()
    non_repeating_flags=(--no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--timeout --store --as --format)
    __mailsh_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--timeout')
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion outbox retry -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac
}

_mailsh_match() {
    repeating_flags=()
    non_repeating_flags=(--no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--account --store --as --format)
    __mailsh_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--account')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion match -- --account "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion match -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    *)
        __mailsh_add_completions -f
        return
        ;;
    esac
}

_mailsh_monitor() {
    repeating_flags=()
    non_repeating_flags=(--all --once --idle --no-idle --no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--match --interval --timeout --lease --limit --idle-renewal --log-format --log-level --metrics --alert-after --alert-via --store --as --format)
    __mailsh_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--match')
        return
        ;;
    '--interval')
        return
        ;;
    '--timeout')
        return
        ;;
    '--lease')
        return
        ;;
    '--limit')
        return
        ;;
    '--idle-renewal')
        return
        ;;
    '--log-format')
        __mailsh_add_completions -W 'text'$'\n''json'
        return
        ;;
    '--log-level')
        __mailsh_add_completions -W 'trace'$'\n''debug'$'\n''info'$'\n''notice'$'\n''warning'$'\n''error'$'\n''critical'
        return
        ;;
    '--metrics')
        return
        ;;
    '--alert-after')
        return
        ;;
    '--alert-via')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion monitor -- --alert-via "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion monitor -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion monitor -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_mailsh_status() {
    repeating_flags=()
    non_repeating_flags=(--no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--match --expiry-days --store --as --format)
    __mailsh_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--match')
        return
        ;;
    '--expiry-days')
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion status -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac
}

_mailsh_store() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __mailsh_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    init|migrate|copy)
        # Offer subcommand argument completions
        "_mailsh_store_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'init migrate copy' -- "${cur}"))
        ;;
    esac
}

_mailsh_store_init() {
    repeating_flags=()
    non_repeating_flags=(--no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--store --as --format)
    __mailsh_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion store init -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac
}

_mailsh_store_migrate() {
    repeating_flags=()
    non_repeating_flags=(--no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--store --as --format)
    __mailsh_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion store migrate -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac
}

_mailsh_store_copy() {
    repeating_flags=()
    non_repeating_flags=(--no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--to --store --as --format)
    __mailsh_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--to')
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion store copy -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac
}

_mailsh_audit() {
    repeating_flags=()
    non_repeating_flags=(--no-header --json-lines --no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--columns --sort --limit --store --as --format)
    __mailsh_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--columns')
        return
        ;;
    '--sort')
        return
        ;;
    '--limit')
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion audit -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion audit -- positional@0 "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_mailsh_export() {
    repeating_flags=()
    non_repeating_flags=(--with-secrets --no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--store --as --format)
    __mailsh_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion export -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -o plusdirs -fX '!*.@(json)'
        return
        ;;
    esac
}

_mailsh_import() {
    repeating_flags=()
    non_repeating_flags=(--dry-run --no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--source-key --store --as --format)
    __mailsh_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--source-key')
        __mailsh_add_completions -o plusdirs -fX '!*.@(key)'
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion import -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -o plusdirs -fX '!*.@(json|csv)'
        return
        ;;
    esac
}

_mailsh_completion() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __mailsh_offer_flags_options 1

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -W 'bash'$'\n''zsh'$'\n''fish'$'\n''man'
        return
        ;;
    esac
}

_mailsh_run() {
    repeating_flags=()
    non_repeating_flags=(--dry-run --no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--max-instructions --max-memory --timeout --store --as --format)
    __mailsh_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--max-instructions')
        return
        ;;
    '--max-memory')
        return
        ;;
    '--timeout')
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion run -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __mailsh_add_completions -o plusdirs -fX '!*.@(lua)'
        return
        ;;
    esac
}

_mailsh_lua() {
    repeating_flags=()
    non_repeating_flags=(--no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--max-instructions --max-memory --timeout --store --as --format)
    __mailsh_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--max-instructions')
        return
        ;;
    '--max-memory')
        return
        ;;
    '--timeout')
        return
        ;;
    '--store')
        __mailsh_add_completions -o plusdirs -fX '!*.@(db)'
        return
        ;;
    '--as')
        __mailsh_add_completions -W "$(__mailsh_custom_complete ---completion lua -- --as "${COMP_CWORD}" "$(__mailsh_cursor_index_in_current_word)")"
        return
        ;;
    '--format')
        __mailsh_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac
}

_mailsh_help() {
    repeating_flags=()
    non_repeating_flags=(--version)
    repeating_options=()
    non_repeating_options=()
    __mailsh_offer_flags_options -1
}

complete -o filenames -F _mailsh mailsh
# mailsh: FIELD=VALUE (and a name with `:`) is one word, whatever COMP_WORDBREAKS splits it into.
__mailsh_joined_words() {
    local -a joined=()
    local -i index=0 cword=0
    local rest=${COMP_LINE} word glued
    for word in "${COMP_WORDS[@]}"; do
        glued=false
        [[ ${index} -gt 0 && ${rest} != [[:space:]]* ]] && glued=true
        while [[ ${rest} == [[:space:]]* ]]; do rest=${rest:1}; done
        rest=${rest#"${word}"}
        if "${glued}" && [[ ${#joined[@]} -gt 0 && ( ${word} == [=:]* || ${joined[-1]} == *[=:] ) ]]; then
            joined[-1]+=${word}
        else
            joined+=("${word}")
        fi
        [[ ${index} -eq ${COMP_CWORD} ]] && cword=$(( ${#joined[@]} - 1 ))
        index+=1
    done
    local -a COMP_WORDS=("${joined[@]}")
    local -i COMP_CWORD=${cword}
    local current=${joined[cword]}
    # bash replaces only what follows the last break in the word: the candidates lose what comes before.
    local head=
    [[ ${current} != "${2}" && ${current} == *"${2}" ]] && head=${current%"${2}"}
    _mailsh "${1}" "${current}" "${joined[cword-1]}"
    local -i i
    local ends_with_equals=false
    for i in "${!COMPREPLY[@]}"; do
        [[ ${COMPREPLY[i]} == *= ]] && ends_with_equals=true
        if [[ -n ${head} ]]; then
            if [[ ${COMPREPLY[i]} == "${head}"* ]]; then COMPREPLY[i]=${COMPREPLY[i]#"${head}"}; else unset 'COMPREPLY[i]'; fi
        fi
    done
    COMPREPLY=("${COMPREPLY[@]}")
    if [[ -n ${head} ]] || "${ends_with_equals}"; then
        # Not file names: no backslash before `=` or `:`.
        compopt +o filenames 2>/dev/null
    fi
    "${ends_with_equals}" && compopt -o nospace 2>/dev/null
    return 0
}

complete -o filenames -F __mailsh_joined_words mailsh
