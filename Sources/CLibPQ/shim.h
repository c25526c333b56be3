// libpq's C API (Debian: libpq-dev, headers in /usr/include/postgresql, found through pkg-config libpq),
// for SpatePostgres's connection layer.
#include <libpq-fe.h>
