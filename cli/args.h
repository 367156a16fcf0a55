/*
 * args.h - strict parsing of command-line values for the nnc program.
 *
 * Each parser accepts the whole string or nothing: "10x", "", "1e999" and
 * out-of-range values are refused with a message on stderr naming the option.
 */
#ifndef NNC_CLI_ARGS_H
#define NNC_CLI_ARGS_H

#include <stdint.h>

/* An integer in [min, max] into *out; 0 on success, -1 (after a message) if not. */
int parse_int(const char *option, const char *text, long min, long max, int *out);

/* An unsigned 64-bit integer (decimal) into *out; 0 or -1 as above. */
int parse_u64(const char *option, const char *text, uint64_t *out);

/* A finite number greater than min_exclusive into *out; 0 or -1 as above. */
int parse_positive(const char *option, const char *text, double *out);

/* A finite number in [min, max] into *out; 0 or -1 as above. */
int parse_double(const char *option, const char *text, double min, double max, double *out);

/* Splits a comma-separated list of names into a NULL-terminated array of
 * pointers into a private copy; free the array with free_names. NULL (after a
 * message) when the list has an empty name. *count gets the number. */
char **split_names(const char *option, const char *text, int *count);
void free_names(char **names);

/* The words of a file, one per line (blanks around a word, empty lines and
 * lines starting with '#' ignored), as split_names gives names: a stop word
 * list. NULL after a message when it cannot be read or has no word. */
char **read_word_list(const char *option, const char *path, int *count);

/* Index of text in the NULL-terminated choices, or -1 after a message that
 * lists them. */
int parse_choice(const char *option, const char *text, const char *const *choices);

/* Prepares getopt_long for a subcommand's arguments: from the start, and
 * without getopt's own messages (ours name the command). */
void begin_options(void);

struct option;

/* For getopt's '?': says which argument of `nnc COMMAND` is wrong, and for
 * an option not in longs the closest one that is, if any is close (at most
 * two letters' edits, as --taget for --target); -1. */
int bad_option(const char *command, char **argv, const struct option *longs);

/* Refuses arguments left after the options; 0 if there are none, else -1. */
int no_extra_arguments(const char *command, int argc, char **argv);

/* Creates directory path if it does not exist; 0 or -1 (after a message). */
int ensure_directory(const char *path);

/* "dir/name" into buf of size n; -1 (after a message) if it does not fit. */
int join_path(char *buf, unsigned long n, const char *dir, const char *name);

#endif
