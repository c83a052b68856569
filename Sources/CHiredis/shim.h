#include <hiredis.h>
#include <read.h>
