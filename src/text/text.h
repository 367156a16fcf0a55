/*
 * text/text.h - text as words (words.c); the public calls are in nnc.h.
 */
#ifndef NNC_TEXT_H
#define NNC_TEXT_H

#include "core/core.h"

#endif /* NNC_TEXT_H */
