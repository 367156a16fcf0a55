/*
 * walkthrough.h - the tutorial's steps 1 to 6, printed with their numbers.
 */
#ifndef NNC_CLI_WALKTHROUGH_H
#define NNC_CLI_WALKTHROUGH_H

/* Prints each step's quantities to stdout; 0 on success, 1 on failure. */
int walkthrough(void);

#endif
