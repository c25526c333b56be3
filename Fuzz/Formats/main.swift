import Foundation
import FuzzerDriver

// libFuzzer runs `LLVMFuzzerTestOneInput` (in the file named after this target) over its corpus.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzz(data!, size) })
