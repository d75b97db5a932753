/* The libedit functions the interactive shell calls (LineEditor), each forwarding to libedit.so.2, which the first
   call opens (dlopen): a one-shot command never loads libedit, nor libtinfo and libbsd behind it. libedit's
   readline variables cannot be forwarded, so the shell reaches them through accessors (declared in CEditLine's
   shim.h) that return the library's own variable. */
#include <stdio.h>
#include <histedit.h>
#include <editline/readline.h>
#include "lazy_library.h"
#include "../CEditLine/shim.h"

/* Debian's libedit2 (what libedit-dev links against). */
LAZY_LIBRARY("libedit.so.2", "Debian's libedit2")

#define REAL(name) LAZY_REAL(name)
#define SLOT(name) LAZY_SLOT(name)

SLOT(readline);
char *readline(const char *prompt) { return REAL(readline)(prompt); }
SLOT(add_history);
int add_history(const char *line) { return REAL(add_history)(line); }
SLOT(clear_history);
void clear_history(void) { REAL(clear_history)(); }
SLOT(stifle_history);
void stifle_history(int max) { REAL(stifle_history)(max); }
SLOT(read_history);
int read_history(const char *path) { return REAL(read_history)(path); }
SLOT(write_history);
int write_history(const char *path) { return REAL(write_history)(path); }
SLOT(history_truncate_file);
int history_truncate_file(const char *path, int lines) { return REAL(history_truncate_file)(path, lines); }

/* The address of libedit's own variable `name` (dlsym gives a variable's address as it gives a function's). */
#define VARIABLE(type, name, accessor) \
    SLOT(name);                        \
    type *accessor(void) { return REAL(name); }

VARIABLE(const char *, rl_readline_name, mailsh_rl_readline_name)
VARIABLE(int, rl_catch_signals, mailsh_rl_catch_signals)
VARIABLE(const char *, rl_basic_word_break_characters, mailsh_rl_basic_word_break_characters)
VARIABLE(char *, rl_completer_word_break_characters, mailsh_rl_completer_word_break_characters)
VARIABLE(rl_completion_func_t *, rl_attempted_completion_function, mailsh_rl_attempted_completion_function)
VARIABLE(int, rl_attempted_completion_over, mailsh_rl_attempted_completion_over)
VARIABLE(char *, rl_line_buffer, mailsh_rl_line_buffer)
VARIABLE(int, rl_point, mailsh_rl_point)
VARIABLE(int, rl_completion_append_character, mailsh_rl_completion_append_character)
