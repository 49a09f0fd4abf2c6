import HeraldCLI
import HeraldCore

#if canImport(Glibc)
    import Glibc
#endif

/// The executable's entry point: prepares the standard streams, then runs the `herald` command.
///
/// `@main` lives here rather than on `Herald` because `Herald` is in the HeraldCLI library,
/// which the tests link; its async `main()` parses the arguments and runs the subcommand.
@main
struct HeraldEntry {
    static func main() async {
        #if canImport(Glibc)
            // One malloc arena for every thread: glibc otherwise gives each sender thread its own
            // arena, each holding freed pages; Herald's threads allocate little and rarely at the
            // same time, so sharing one costs nothing measurable, and the peak RSS of a 10,000-letter
            // send at concurrency 4 drops by about 1.3 MiB (issue 10: at most 40 MiB at 100,000).
            // (`mallopt` is in <malloc.h>, which the Glibc module leaves out; M_ARENA_MAX is -8.)
            if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
                typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
                _ = unsafeBitCast(symbol, to: Mallopt.self)(-8, 1)
            }
        #endif
        // First, before anything touches libcrypto: no OpenSSL cleanup racing threads at exit.
        SHA256.prepareProcess()
        StandardStreams.prepareProcess()
        await Herald.main()
    }
}
