/* modules.c -- the one place that wires modules into the server: each
 * registers its config entries and hooks here, in a fixed order. */
#include "server.h"

void server_register_modules(void)
{
}
