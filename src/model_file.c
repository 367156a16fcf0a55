/* model_file.c - being written */
#include "internal.h"
