/* idx.c - being written */
#include "internal.h"
