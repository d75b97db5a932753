import ArgumentParser

/// The completion scripts for bash, zsh and fish: the argument parser's, generated from the command declarations,
/// with what `FIELD=VALUE` arguments need in bash and zsh (fish needs nothing: it keeps `incoming.security=` one
/// word and adds no blank after a `=`).
///
/// The values themselves come from the declarations' completions (``completeAssignment(prefix:fields:)``, which
/// reads the core's field vocabulary) through `mailsh ---completion`; these additions only place them:
/// - bash splits words at `COMP_WORDBREAKS` (`=` and `:` among them), so `incoming.security=` would reach mailsh
///   as three words and each candidate would replace only the text after the `=`: the words are joined again as
///   the line has them, the candidates cut to the part bash replaces, and a field name ending in `=` gets neither
///   a blank after it nor a backslash before its `=`.
/// - zsh completes the value after the `=` (`compset -P '*='`), and a field name ending in `=` gets no blank.
enum CompletionScripts {
    static func script(for shell: CompletionShell) -> String {
        let generated = MailshCommand.completionScript(for: shell)
        switch shell {
        case .bash:
            return generated + bashAddition
        case .zsh:
            let call = "if [[ \"${funcstack[1]}\" = _mailsh ]]; then"
            guard let range = generated.range(of: call, options: .backwards) else { return generated + zshAddition }
            return generated.replacingCharacters(in: range, with: zshAddition + "\n" + call)
        default:
            return generated
        }
    }

    static let bashAddition = #"""

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

        """#

    static let zshAddition = #"""
        # mailsh: FIELD=VALUE completes the value after the `=`, and a field name ending in `=` takes no blank.
        __mailsh_custom_complete() {
            local -a completions
            completions=("${(@f)"$("${command_name}" "${@}" "${command_line[@]}")"}")
            [[ "${#completions[@]}" -gt 1 ]] || return 1
            completions=("${completions[@]:0:-1}")
            if [[ "${PREFIX}" == *=* ]]; then
                local before="${PREFIX}"
                compset -P '*='
                local head="${before%"${PREFIX}"}" candidate
                local -a kept=()
                for candidate in "${completions[@]}"; do
                    [[ "${candidate}" == "${head}"* ]] && kept+=("${candidate#"${head}"}")
                done
                completions=("${kept[@]}")
            fi
            local -a fields=("${(M)completions[@]:#*=}") others=("${completions[@]:#*=}")
            local -i ret=1
            (( ${#fields} )) && compadd -S '' -a fields && ret=0
            # _describe reads `:` as the start of a description.
            (( ${#others} )) && __mailsh_complete "${(@)others//:/\\:}" && ret=0
            return ret
        }

        """#
}
