// Declarations only (FuzzerDriver.h); the driver itself is in the toolchain's libFuzzer.
#include "FuzzerDriver.h"
