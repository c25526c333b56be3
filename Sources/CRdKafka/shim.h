// librdkafka's C API (Debian: librdkafka-dev), for SpateKafka's client layer.
#include <librdkafka/rdkafka.h>
