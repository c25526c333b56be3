// libFuzzer's entry for programs that have a `main` of their own. SwiftPM names an executable's entry point
// after its module and points `main` at it, so libFuzzer's `main` is never linked: each fuzz target's
// main.swift calls this driver instead.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
