// librdkafka's C API (Debian: librdkafka-dev), for SpateKafka's client layer, and its mock cluster (used by
// the tests' KafkaMockCluster host).
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
