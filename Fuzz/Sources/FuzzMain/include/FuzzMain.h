#ifndef HERALD_FUZZ_MAIN_H
#define HERALD_FUZZ_MAIN_H

/// Runs libFuzzer's driver over this executable's `LLVMFuzzerTestOneInput` and returns its exit status.
///
/// SwiftPM links every Swift executable with `main` aliased to the module's own entry point
/// (`<Module>_main`), which replaces libFuzzer's `main`; each harness therefore has a tiny
/// `@main` that hands `argc`/`argv` to libFuzzer here.
int herald_fuzz_main(int argc, char **argv);

#endif
