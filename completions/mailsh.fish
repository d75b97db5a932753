function __mailsh_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __mailsh_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __mailsh_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __mailsh_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __mailsh_parse_tokens -S
    set -l unparsed_tokens (__mailsh_tokens -pc)
    switch $unparsed_tokens[1]
    case 'mailsh'
        __mailsh_parse_subcommand 0 'store=' 'as=' 'format=' 'keep-going' 'no-rc' 'h/help'
        switch $unparsed_tokens[1]
        case 'account'
            __mailsh_parse_subcommand 0 'h/help'
            switch $unparsed_tokens[1]
            case 'list'
                __mailsh_parse_subcommand 0 'match=' 'protocol=' 'owner=' 'store=' 'as=' 'format=' 'h/help'
            case 'show'
                __mailsh_parse_subcommand 1 'store=' 'as=' 'format=' 'h/help'
            case 'create'
                __mailsh_parse_subcommand -r 2 'store=' 'as=' 'format=' 'h/help'
            case 'set'
                __mailsh_parse_subcommand -r 2 'if-version=' 'store=' 'as=' 'format=' 'h/help'
            case 'copy'
                __mailsh_parse_subcommand 2 'store=' 'as=' 'format=' 'h/help'
            case 'rename'
                __mailsh_parse_subcommand 2 'if-version=' 'store=' 'as=' 'format=' 'h/help'
            case 'delete'
                __mailsh_parse_subcommand 1 'keep-user-accounts' 'delete-customizations' 'store=' 'as=' 'format=' 'h/help'
            case 'lock'
                __mailsh_parse_subcommand -r 2 'store=' 'as=' 'format=' 'h/help'
            case 'unlock'
                __mailsh_parse_subcommand -r 2 'store=' 'as=' 'format=' 'h/help'
            case 'password'
                __mailsh_parse_subcommand 2 'clear' 'store=' 'as=' 'format=' 'h/help'
            case 'test'
                __mailsh_parse_subcommand 1 'all' 'match=' 'concurrency=' 'incoming-only' 'outgoing-only' 'no-send' 'round-trip' 'transcript' 'timeout=' 'resolve=+' 'store=' 'as=' 'format=' 'h/help'
            end
        case 'user'
            __mailsh_parse_subcommand 0 'h/help'
            switch $unparsed_tokens[1]
            case 'add'
                __mailsh_parse_subcommand -r 2 'store=' 'as=' 'format=' 'h/help'
            case 'set'
                __mailsh_parse_subcommand -r 2 'store=' 'as=' 'format=' 'h/help'
            case 'list'
                __mailsh_parse_subcommand 0 'store=' 'as=' 'format=' 'h/help'
            case 'show'
                __mailsh_parse_subcommand 1 'store=' 'as=' 'format=' 'h/help'
            case 'grant'
                __mailsh_parse_subcommand 2 'store=' 'as=' 'format=' 'h/help'
            case 'revoke'
                __mailsh_parse_subcommand 2 'store=' 'as=' 'format=' 'h/help'
            end
        case 'personal'
            __mailsh_parse_subcommand 0 'h/help'
            switch $unparsed_tokens[1]
            case 'set'
                __mailsh_parse_subcommand -r 2 'store=' 'as=' 'format=' 'h/help'
            case 'password'
                __mailsh_parse_subcommand 2 'clear' 'store=' 'as=' 'format=' 'h/help'
            case 'show'
                __mailsh_parse_subcommand 1 'store=' 'as=' 'format=' 'h/help'
            case 'clear'
                __mailsh_parse_subcommand 2 'store=' 'as=' 'format=' 'h/help'
            end
        case 'record'
            __mailsh_parse_subcommand 0 'h/help'
            switch $unparsed_tokens[1]
            case 'list'
                __mailsh_parse_subcommand 0 'account=' 'status=' 'limit=' 'store=' 'as=' 'format=' 'h/help'
            case 'show'
                __mailsh_parse_subcommand 1 'store=' 'as=' 'format=' 'h/help'
            case 'create'
                __mailsh_parse_subcommand 1 'subject=' 'requester=' 'store=' 'as=' 'format=' 'h/help'
            case 'close'
                __mailsh_parse_subcommand 1 'version=' 'store=' 'as=' 'format=' 'h/help'
            case 'reopen'
                __mailsh_parse_subcommand 1 'version=' 'store=' 'as=' 'format=' 'h/help'
            case 'reply'
                __mailsh_parse_subcommand 1 'body=' 'body-file=' 'to=+' 'timeout=' 'store=' 'as=' 'format=' 'h/help'
            case 'held'
                __mailsh_parse_subcommand 0 'account=' 'store=' 'as=' 'format=' 'h/help'
            end
        case 'audit'
            __mailsh_parse_subcommand 1 'limit=' 'store=' 'as=' 'format=' 'h/help'
        case 'export'
            __mailsh_parse_subcommand 1 'with-secrets' 'store=' 'as=' 'format=' 'h/help'
        case 'import'
            __mailsh_parse_subcommand 1 'store=' 'as=' 'format=' 'h/help'
        case 'completion'
            __mailsh_parse_subcommand 1 'h/help'
        case 'run'
            __mailsh_parse_subcommand -r 2 'max-instructions=' 'max-memory=' 'timeout=' 'store=' 'as=' 'format=' 'h/help'
        case 'lua'
            __mailsh_parse_subcommand -r 1 'max-instructions=' 'max-memory=' 'timeout=' 'store=' 'as=' 'format=' 'h/help'
        case 'help'
            __mailsh_parse_subcommand -r 1 
        end
    end
end

function __mailsh_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __mailsh_parse_subcommand -S -a positional_count
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

function __mailsh_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __mailsh_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__mailsh_tokens -p)
    if test -z "$(__mailsh_tokens -t)"
        set -l index (count (__mailsh_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'mailsh' -f
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh" keep-going' -l 'keep-going' -d 'Reading commands from standard input: go on after a failing line (exit with the last failure).'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh" no-rc' -l 'no-rc' -d 'Do not run the start-up file ($XDG_CONFIG_HOME/mailsh/mailshrc).'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh" -eq 1' -fa 'account' -d 'List, show, create, edit, copy, rename, delete and lock e-mail accounts.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh" -eq 1' -fa 'user' -d 'Register users and manage their rights.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh" -eq 1' -fa 'personal' -d 'Your own settings for a global account, where its padlocks allow.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh" -eq 1' -fa 'record' -d 'List, show, open, close and answer records (incidents), and assign held mail.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh" -eq 1' -fa 'audit' -d 'Show the audit log, of one account or of everything (needs administrate).'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh" -eq 1' -fa 'export' -d 'Export accounts, users and personal settings as JSON (needs administrate).'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh" -eq 1' -fa 'import' -d 'Import a file made by `export`, all or nothing (needs administrate).'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh" -eq 1' -fa 'completion' -d 'Print the completion script for bash, zsh or fish.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh" -eq 1' -fa 'run' -d 'Run a Lua script against the store, as one transaction.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh" -eq 1' -fa 'lua' -d 'Evaluate Lua code against the store and print what it returns.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account" -eq 1' -fa 'list' -d 'List accounts.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account" -eq 1' -fa 'show' -d 'Show an account\'s effective settings for the current user, with where each value came from.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account" -eq 1' -fa 'create' -d 'Create a global account (needs administrate).'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account" -eq 1' -fa 'set' -d 'Change fields of an account, all or none (needs administrate).'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account" -eq 1' -fa 'copy' -d 'Copy an account under a new name, padlocks and passwords included (needs administrate).'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account" -eq 1' -fa 'rename' -d 'Rename an account (needs administrate).'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account" -eq 1' -fa 'delete' -d 'Delete an account (needs administrate).'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account" -eq 1' -fa 'lock' -d 'Close padlocks: users can no longer personalize those sections (needs administrate).'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account" -eq 1' -fa 'unlock' -d 'Open padlocks: users may personalize those sections (needs administrate).'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account" -eq 1' -fa 'password' -d 'Set an account\'s incoming or outgoing password (needs administrate).'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account" -eq 1' -fa 'test' -d 'Test an account\'s servers for real: connect, TLS, login, folder, and a test e-mail to you.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account list" match' -l 'match' -d 'Only names matching this glob (*, ?, [...]; case-sensitive).' -rfka ''
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account list" protocol' -l 'protocol' -d 'Only accounts of this protocol: imap or pop3.' -rfka 'imap pop3'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account list" owner' -l 'owner' -d 'Only global accounts (global) or those a user owns (a user name).' -rfka ''
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account list" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account list" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion account list -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account list" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account show" -eq 1' -fka '(__mailsh_custom_completion ---completion account show -- positional@0 (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account show" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account show" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion account show -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account show" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account show" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account create" -ge 1' -fka '(__mailsh_custom_completion ---completion account create -- positional@1 (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account create" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account create" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion account create -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account create" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account create" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account set" -eq 1' -fka '(__mailsh_custom_completion ---completion account set -- positional@0 (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account set" -ge 2' -fka '(__mailsh_custom_completion ---completion account set -- positional@1 (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account set" if-version' -l 'if-version' -d 'Refuse (as a conflict) unless the account is still at this version.' -rfka ''
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account set" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account set" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion account set -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account set" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account set" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account copy" -eq 1' -fka '(__mailsh_custom_completion ---completion account copy -- positional@0 (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account copy" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account copy" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion account copy -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account copy" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account copy" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account rename" -eq 1' -fka '(__mailsh_custom_completion ---completion account rename -- positional@0 (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account rename" if-version' -l 'if-version' -d 'Refuse (as a conflict) unless the account is still at this version.' -rfka ''
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account rename" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account rename" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion account rename -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account rename" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account rename" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account delete" -eq 1' -fka '(__mailsh_custom_completion ---completion account delete -- positional@0 (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account delete" keep-user-accounts' -l 'keep-user-accounts' -d 'Keep each personalizing user\'s account as their own full copy.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account delete" delete-customizations' -l 'delete-customizations' -d 'Delete the users\' personal settings with the account.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account delete" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account delete" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion account delete -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account delete" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account delete" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account lock" -eq 1' -fka '(__mailsh_custom_completion ---completion account lock -- positional@0 (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account lock" -ge 2' -fka 'incoming.server incoming.credentials outgoing.server outgoing.credentials server credentials all'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account lock" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account lock" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion account lock -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account lock" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account lock" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account unlock" -eq 1' -fka '(__mailsh_custom_completion ---completion account unlock -- positional@0 (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account unlock" -ge 2' -fka 'incoming.server incoming.credentials outgoing.server outgoing.credentials server credentials all'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account unlock" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account unlock" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion account unlock -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account unlock" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account unlock" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account password" -eq 1' -fka '(__mailsh_custom_completion ---completion account password -- positional@0 (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account password" -eq 2' -fka 'incoming outgoing'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account password" clear' -l 'clear' -d 'Remove the password instead of setting one.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account password" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account password" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion account password -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account password" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account password" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh account test" -eq 1' -fka '(__mailsh_custom_completion ---completion account test -- positional@0 (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account test" all' -l 'all' -d 'Test every global account (and your own), or those matching --match.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account test" match' -l 'match' -d 'With --all: only names matching this glob (*, ?, [...]; case-sensitive).' -rfka ''
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account test" concurrency' -l 'concurrency' -d 'With --all: how many accounts are tested at once (1 to 256).' -rfka ''
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account test" incoming-only' -l 'incoming-only' -d 'Test only the incoming server.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account test" outgoing-only' -l 'outgoing-only' -d 'Test only the outgoing server.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account test" no-send' -l 'no-send' -d 'Stop after the outgoing login: send no test e-mail.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account test" round-trip' -l 'round-trip' -d 'Also send a token to the account\'s own address, find it over the incoming server, delete it.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account test" transcript' -l 'transcript' -d 'Show the protocol lines (LOGIN, PASS and AUTH arguments redacted).'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account test" timeout' -l 'timeout' -d 'Seconds allowed for each connection and for the round trip (1 to 600).' -rfka ''
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account test"' -l 'resolve' -d 'Connect to HOST at ADDRESS instead of resolving it, e.g. to try a new server before the DNS changes (repeatable).' -rfka ''
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account test" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account test" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion account test -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account test" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh account test" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh user" -eq 1' -fa 'add' -d 'Register a user (needs administrate).'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh user" -eq 1' -fa 'set' -d 'Change a user\'s e-mail address.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh user" -eq 1' -fa 'list' -d 'List users and their rights.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh user" -eq 1' -fa 'show' -d 'Show one user (default: the current user).'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh user" -eq 1' -fa 'grant' -d 'Grant a right (needs administrate).'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh user" -eq 1' -fa 'revoke' -d 'Revoke a right (needs administrate).'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh user add" -ge 1' -fka 'email= rights='
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user add" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user add" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion user add -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user add" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user add" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh user set" -eq 1' -fka '(__mailsh_custom_completion ---completion user set -- positional@0 (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh user set" -ge 2' -fka 'email='
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user set" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user set" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion user set -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user set" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user set" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user list" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user list" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion user list -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user list" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh user show" -eq 1' -fka '(__mailsh_custom_completion ---completion user show -- positional@0 (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user show" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user show" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion user show -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user show" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user show" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh user grant" -eq 1' -fka '(__mailsh_custom_completion ---completion user grant -- positional@0 (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh user grant" -eq 2' -fka 'administrate override_locks add_accounts'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user grant" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user grant" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion user grant -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user grant" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user grant" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh user revoke" -eq 1' -fka '(__mailsh_custom_completion ---completion user revoke -- positional@0 (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh user revoke" -eq 2' -fka 'administrate override_locks add_accounts'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user revoke" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user revoke" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion user revoke -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user revoke" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh user revoke" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh personal" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh personal" -eq 1' -fa 'set' -d 'Set your own values (an empty value removes yours).'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh personal" -eq 1' -fa 'password' -d 'Set your own incoming or outgoing password for a global account.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh personal" -eq 1' -fa 'show' -d 'Show your own values for a global account.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh personal" -eq 1' -fa 'clear' -d 'Remove your own values (of one section, or all).'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh personal set" -eq 1' -fka '(__mailsh_custom_completion ---completion personal set -- positional@0 (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh personal set" -ge 2' -fka '(__mailsh_custom_completion ---completion personal set -- positional@1 (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh personal set" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh personal set" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion personal set -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh personal set" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh personal set" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh personal password" -eq 1' -fka '(__mailsh_custom_completion ---completion personal password -- positional@0 (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh personal password" -eq 2' -fka 'incoming outgoing'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh personal password" clear' -l 'clear' -d 'Remove your password.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh personal password" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh personal password" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion personal password -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh personal password" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh personal password" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh personal show" -eq 1' -fka '(__mailsh_custom_completion ---completion personal show -- positional@0 (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh personal show" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh personal show" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion personal show -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh personal show" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh personal show" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh personal clear" -eq 1' -fka '(__mailsh_custom_completion ---completion personal clear -- positional@0 (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh personal clear" -eq 2' -fka 'incoming.server incoming.credentials outgoing.server outgoing.credentials'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh personal clear" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh personal clear" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion personal clear -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh personal clear" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh personal clear" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh record" -eq 1' -fa 'list' -d 'List records, newest first.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh record" -eq 1' -fa 'show' -d 'Show a record and its messages.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh record" -eq 1' -fa 'create' -d 'Open a record for an account\'s mailbox.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh record" -eq 1' -fa 'close' -d 'Close a record (a later reply by conversation ID reopens it; subjects no longer match it).'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh record" -eq 1' -fa 'reopen' -d 'Open a closed record again.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh record" -eq 1' -fa 'reply' -d 'Send mail about a record through its account\'s outgoing server.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh record" -eq 1' -fa 'held' -d 'List mail the monitor held for a person (ambiguous: it could not be filed safely).'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record list" account' -l 'account' -d 'Only the records of this account.' -rfka '(__mailsh_custom_completion ---completion record list -- --account (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record list" status' -l 'status' -d 'Only open or only closed records.' -rfka 'open closed'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record list" limit' -l 'limit' -d 'At most this many.' -rfka ''
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record list" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record list" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion record list -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record list" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record show" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record show" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion record show -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record show" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record show" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh record create" -eq 1' -fka '(__mailsh_custom_completion ---completion record create -- positional@0 (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record create" subject' -l 'subject' -d 'The record\'s subject (1 to 998 characters).' -rfka ''
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record create" requester' -l 'requester' -d 'The address of whoever the record is for.' -rfka ''
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record create" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record create" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion record create -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record create" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record create" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record close" version' -l 'version' -d 'Refuse with a conflict if the record changed since this version.' -rfka ''
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record close" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record close" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion record close -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record close" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record close" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record reopen" version' -l 'version' -d 'Refuse with a conflict if the record changed since this version.' -rfka ''
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record reopen" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record reopen" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion record reopen -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record reopen" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record reopen" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record reply" body' -l 'body' -d 'The text of the message.' -rfka ''
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record reply" body-file' -l 'body-file' -d 'Read the text from this file (\'-\' for standard input).' -rF
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record reply"' -l 'to' -d 'Recipients instead of the requester (repeatable).' -rfka ''
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record reply" timeout' -l 'timeout' -d 'Seconds allowed for the connection (1 to 600).' -rfka ''
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record reply" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record reply" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion record reply -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record reply" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record reply" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record held" account' -l 'account' -d 'Only the mail of this account.' -rfka '(__mailsh_custom_completion ---completion record held -- --account (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record held" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record held" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion record held -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record held" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh record held" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh audit" -eq 1' -fka '(__mailsh_custom_completion ---completion audit -- positional@0 (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh audit" limit' -l 'limit' -d 'Only the last N entries.' -rfka ''
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh audit" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh audit" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion audit -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh audit" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh audit" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh export" -eq 1' -fa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'json\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh export" with-secrets' -l 'with-secrets' -d 'Include the encrypted passwords.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh export" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh export" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion export -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh export" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh export" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh import" -eq 1' -fa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'json\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh import" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh import" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion import -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh import" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh import" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh completion" -eq 1' -fka 'bash zsh fish'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh completion" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_positional "mailsh run" -eq 1' -fa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'lua\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh run" max-instructions' -l 'max-instructions' -d 'Stop the script after this many Lua instructions (0: no limit).' -rfka ''
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh run" max-memory' -l 'max-memory' -d 'Stop the script when it holds more memory than this, such as 64M or 1G (0: no limit).' -rfka ''
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh run" timeout' -l 'timeout' -d 'Stop the script after this many seconds (default: no limit).' -rfka ''
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh run" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh run" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion run -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh run" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh run" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh lua" max-instructions' -l 'max-instructions' -d 'Stop the script after this many Lua instructions (0: no limit).' -rfka ''
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh lua" max-memory' -l 'max-memory' -d 'Stop the script when it holds more memory than this, such as 64M or 1G (0: no limit).' -rfka ''
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh lua" timeout' -l 'timeout' -d 'Stop the script after this many seconds (default: no limit).' -rfka ''
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh lua" store' -l 'store' -d 'The store: a file path (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'db\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh lua" as' -l 'as' -d 'Act as this user (needs administrate; also MAILSH_USER).' -rfka '(__mailsh_custom_completion ---completion lua -- --as (count (__mailsh_tokens -pc)) (__mailsh_tokens -tC))'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh lua" format' -l 'format' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'mailsh' -n '__mailsh_should_offer_completions_for_flags_or_options "mailsh lua" h help' -s 'h' -l 'help' -d 'Show help information.'