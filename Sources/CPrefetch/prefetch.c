/* The hint is the inline function in include/cprefetch.h; a C target needs
   one source file of its own. */
#include "cprefetch.h"
