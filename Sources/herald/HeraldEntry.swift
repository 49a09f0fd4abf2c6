import HeraldCLI

/// The executable's entry point: prepares the standard streams, then runs the `herald` command.
///
/// `@main` lives here rather than on `Herald` because `Herald` is in the HeraldCLI library,
/// which the tests link; its async `main()` parses the arguments and runs the subcommand.
@main
struct HeraldEntry {
    static func main() async {
        StandardStreams.prepareProcess()
        await Herald.main()
    }
}
