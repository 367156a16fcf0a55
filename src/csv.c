/* csv.c - being written */
#include "internal.h"
