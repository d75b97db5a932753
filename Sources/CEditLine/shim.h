#ifndef MAILSH_CEDITLINE_SHIM_H
#define MAILSH_CEDITLINE_SHIM_H
#include <stdio.h>
#include <histedit.h>
#include <editline/readline.h>

/* libedit is not linked: CEditLineLoader opens libedit.so.2 at the first call (only the interactive shell makes one)
   and defines the functions LineEditor calls. Its variables are reached through these accessors, each the address
   of libedit's own variable; use them, never the variable itself (the link fails if one is named). */
const char **mailsh_rl_readline_name(void);
int *mailsh_rl_catch_signals(void);
const char **mailsh_rl_basic_word_break_characters(void);
char **mailsh_rl_completer_word_break_characters(void);
rl_completion_func_t **mailsh_rl_attempted_completion_function(void);
int *mailsh_rl_attempted_completion_over(void);
char **mailsh_rl_line_buffer(void);
int *mailsh_rl_point(void);
int *mailsh_rl_completion_append_character(void);
#endif
