/*
 * walkthrough.h - the tutorial's steps 1 to 6, printed with their numbers.
 */
#ifndef NNC_CLI_WALKTHROUGH_H
#define NNC_CLI_WALKTHROUGH_H

/* Prints each step's quantities to stdout; 0 on success, 1 on failure. */
int walkthrough(void);

/* The tutorial's feature engineering for text (bag_of_words.c): two texts
 * as lemmas, their vocabulary and counts; 0, or 1 after a message. */
int bag_of_words(void);

#endif
